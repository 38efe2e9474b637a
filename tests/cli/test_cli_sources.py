"""`qcoder import` on structured sources end to end: spreadsheet rows as cases, PDFs with pages, subtitles."""

from __future__ import annotations

from pathlib import Path

from factories import qc
from sqlalchemy import select

from qcoder.store.database import open_project
from qcoder.store.models import Document, Sentence

SOURCES = Path(__file__).resolve().parents[1] / "data" / "sources"


def test_import_answers_with_text_and_id_columns(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    args = ["--text-column", "开放题1", "--text-column", "开放题2", "--id-column", "编号"]
    code, out, err = qc("import", "--db", db, *args, str(SOURCES / "answers.xlsx"))
    assert code == 0, err
    assert "imported 4 documents" in out
    with open_project(db) as project, project.session() as s:
        docs = {d.name: d.attributes for d in s.scalars(select(Document))}
        said = s.execute(select(Sentence.text, Sentence.attributes).join(Document).where(Document.name == "R001")).all()
    assert docs["R004"] == {"性别": "男", "年龄": "72", "填写日期": "2026-05-03"}
    assert set(docs) == {"R001", "R002", "R004", "R005"}
    assert [(t, a["question"], a["row"]) for t, a in said] == [
        ("社区食堂价格实惠，但菜品种类太少", "开放题1", "2"),
        ("希望增加上门理发服务", "开放题2", "2"),
    ]


def test_unknown_text_column_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    code, _out, err = qc("import", "--db", db, "--text-column", "问题9", str(SOURCES / "answers.xlsx"))
    assert code != 0
    assert "no column '问题9'" in err and len(err.strip().splitlines()) == 1


def test_import_pdf_and_subtitles_keeps_pages_speakers_and_times(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    files = [SOURCES / "policy.pdf", SOURCES / "interview.srt"]
    code, out, err = qc("import", "--db", db, "--dry-run", *map(str, files))
    assert code == 0, err
    assert "3× '内部资料 注意保密'" in out  # dry-run lists the page furniture
    code, out, err = qc("import", "--db", db, *map(str, files))
    assert code == 0, err
    with open_project(db) as project, project.session() as s:
        rows = s.execute(
            select(Document.name, Sentence.text, Sentence.attributes).join(Document).order_by(Sentence.id)
        ).all()
    pages = {a.get("page") for name, _, a in rows if name == "policy"}
    assert pages == {"1", "2", "3"}
    turns = [(t, a["speaker"], a["time"]) for name, t, a in rows if name == "interview"]
    assert ("当时只有五户。", "受访者", "00:00:15") in turns
    assert not any("保密" in t or "公报" in t for _, t, _ in rows)
