"""Spreadsheet readers on answers written by openpyxl and by Python's csv module in GB18030 (make_sheets.py)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from qcoder.corpus.pipeline import process_all
from qcoder.corpus.readers.spreadsheet import read_csv, read_xlsx
from qcoder.corpus.types import ImportRefused, PipelineOptions

SOURCES = Path(__file__).parents[1] / "data" / "sources"
CHOSEN = PipelineOptions(text_columns=("开放题1", "开放题2"), id_column="编号")


@pytest.mark.parametrize(("name", "reader"), [("answers.xlsx", read_xlsx), ("answers_gb18030.csv", read_csv)])
def test_rows_become_cases_with_attributes_and_answers_with_question_and_row(name: str, reader: object) -> None:
    sources = reader((SOURCES / name).read_bytes(), CHOSEN)  # type: ignore[operator]
    assert [s.name for s in sources] == ["R001", "R002", "R004", "R005"]  # R003 answered nothing
    first = sources[0]
    assert first.document_attributes == {"性别": "女", "年龄": "34", "地区": "成都", "填写日期": "2026-05-01"}
    assert [(b.text, b.attributes) for b in first.blocks] == [
        ("社区食堂价格实惠，但菜品种类太少", {"question": "开放题1", "row": "2"}),
        ("希望增加上门理发服务", {"question": "开放题2", "row": "2"}),
    ]
    assert "地区" not in sources[2].document_attributes  # an empty cell is no attribute
    assert any("rows without any answer" in n and "4" in n for n in first.notes)


def test_every_cell_is_a_statement_an_attribute_or_the_name() -> None:
    """Independent count: openpyxl reads the workbook again; every non-empty cell must be found."""
    sheet = openpyxl.load_workbook(SOURCES / "answers.xlsx").worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    documents = {d.name: d for d in process_all((SOURCES / "answers.xlsx").read_bytes(), CHOSEN, filename="a.xlsx")}
    for row in body:
        answers = [row[header.index(q)] for q in ("开放题1", "开放题2")]
        if not any(answers):
            assert row[0] not in documents
            continue
        doc = documents[str(row[0])]
        for column, value in zip(header, row):
            if value in (None, "") or column == "编号":
                continue
            if column in ("开放题1", "开放题2"):
                said = "".join(doc.text[s.start : s.end] for s in doc.spans if s.attributes["question"] == column)
                assert "".join(str(value).split()) == "".join(said.split())
            else:
                shown = doc.document_attributes[str(column)]
                assert shown == (
                    value.date().isoformat()
                    if hasattr(value, "date")
                    else str(int(value))
                    if isinstance(value, float)
                    else str(value)
                )


def test_statements_carry_row_and_question_through_the_pipeline() -> None:
    documents = process_all((SOURCES / "answers_gb18030.csv").read_bytes(), CHOSEN, filename="answers.csv")
    r002 = next(d for d in documents if d.name == "R002")
    assert [(r002.text[s.start : s.end], s.attributes) for s in r002.spans] == [
        ("我每天都去活动中心下棋。", {"question": "开放题1", "row": "3"}),
        ("认识了很多新朋友", {"question": "开放题1", "row": "3"}),
    ]
    r004 = next(d for d in documents if d.name == "R004")
    assert next(r004.text[s.start : s.end] for s in r004.spans) == "腿脚不好，下楼很困难"  # wrapped after a comma


def test_without_text_column_the_text_columns_are_found() -> None:
    sources = read_xlsx((SOURCES / "answers.xlsx").read_bytes(), PipelineOptions())
    assert {b.attributes["question"] for s in sources for b in s.blocks} == {"开放题1"}
    assert sources[0].name == "row 2" and sources[0].document_attributes["编号"] == "R001"
    assert sources[0].notes[0].startswith("text columns: 开放题1")


def test_unknown_columns_and_broken_files_are_refused_in_one_line() -> None:
    raw = (SOURCES / "answers.xlsx").read_bytes()
    with pytest.raises(ImportRefused, match=r"no column '开放题9'.*编号、性别") as err:
        read_xlsx(raw, PipelineOptions(text_columns=("开放题9",)))
    assert "\n" not in str(err.value)
    with pytest.raises(ImportRefused, match="xlsx"):
        read_xlsx(b"PK\x03\x04 not really", PipelineOptions())
    with pytest.raises(ImportRefused, match="nothing to import"):
        read_csv(b"\n\n", PipelineOptions())
