"""`qcoder report matrix --by …`: codes by speaker, question and document attribute, counts and 0/1 per case."""

from __future__ import annotations

import io
import json
from pathlib import Path

import openpyxl
import pytest
from factories import qc

SOURCES = Path(__file__).resolve().parents[1] / "data" / "sources"


@pytest.fixture
def coded(db_url: str) -> str:
    """Answers (4 cases with 性别), an interview (srt) and a focus group (vtt), a few statements coded."""
    steps = [
        ("import", "--db", db_url, "--text-column", "开放题1", "--text-column", "开放题2", "--id-column", "编号",
         str(SOURCES / "answers.xlsx")),
        ("import", "--db", db_url, str(SOURCES / "interview.srt"), str(SOURCES / "focus_group.vtt")),
        ("code", "--db", db_url, "--coder", "lee", "--code", "照护负担",
         "D05-S002", "D05-S003", "D06-S003", "D06-S004", "D01-S001", "D03-S001"),
        ("code", "--db", db_url, "--coder", "lee", "--code", "设施不足", "D06-S006", "D03-S002", "D03-S001"),
    ]  # fmt: skip
    for args in steps:
        code, _out, err = qc(*args)
        assert code == 0, err
    return db_url


def _tables(db: str, by: str) -> list[dict]:
    code, out, err = qc("report", "matrix", "--db", db, "--by", by, "-f", "json")
    assert code == 0, err
    data = json.loads(out)
    return data if isinstance(data, list) else data["tables"]


def _rows(table: dict) -> list[list]:
    return [list(row.values()) if isinstance(row, dict) else row for row in table["rows"]]


def test_codes_by_speaker_counts_and_cases(coded: str) -> None:
    counts, cases = _tables(coded, "speaker")
    assert counts["columns"] == ["编码", "受访者", "李师傅", "王阿姨", "(none)", "合计"]
    assert _rows(counts) == [["照护负担", 2, 0, 2, 2, 6], ["设施不足", 0, 1, 0, 2, 3]]
    assert ["D06", "focus_group", "李师傅", 0, 1] in _rows(cases)
    assert ["D05", "interview", "访谈者", 0, 0] in _rows(cases)  # a case without codes is a row of zeros


def test_codes_by_document_attribute_one_row_per_case(coded: str) -> None:
    counts, cases = _tables(coded, "attr:性别")
    assert _rows(counts) == [["照护负担", 1, 1, 4, 6], ["设施不足", 0, 2, 1, 3]]
    assert _rows(cases)[:4] == [
        ["D01", "R001", "女", 1, 0],
        ["D02", "R002", "男", 0, 0],
        ["D03", "R004", "男", 1, 1],
        ["D04", "R005", "女", 0, 0],
    ]


def test_matrix_by_question_as_xlsx_and_unknown_attribute(coded: str, tmp_path: Path) -> None:
    target = tmp_path / "m.xlsx"
    code, _out, err = qc("report", "matrix", "--db", coded, "--by", "question", "-o", str(target))
    assert code == 0, err
    book = openpyxl.load_workbook(io.BytesIO(target.read_bytes()))
    assert len(book.worksheets) == 2
    values = [[c.value for c in row] for row in book.worksheets[0].iter_rows()]
    assert ["设施不足", 1, 1, 1, 3] in values
    code, _out, err = qc("report", "matrix", "--db", coded, "--by", "attr:职业")
    assert code != 0 and "no coded document has the attribute '职业'" in err
    code, _out, err = qc("report", "frequencies", "--db", coded, "--by", "speaker")
    assert code != 0 and "matrix" in err
