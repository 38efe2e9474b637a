"""`qcoder report`: every kind from the command line, files by extension, one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import docx
import openpyxl
import pytest
from factories import add_document
from factories import invoke_cli as qc

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project


@pytest.fixture
def db(tmp_path: Path) -> str:
    """Two documents, 2 concepts under one category, coded by alice and bob."""
    path = str(tmp_path / "report.qcoder")
    with open_project(path) as project:
        add_document(project, ["企业是创新主体。", "政府提供支持。", "高校培养人才。"], name="访谈一")
        add_document(project, ["市场需求牵引创新。"], name="访谈二", role="holdout")
        alice, bob = Workbench(project, "alice"), Workbench(project, "bob")
        category = alice.create_code("创新主体", 1, definition="谁在创新")
        alice.create_code("企业主体", 0, parent_id=category.id, code_sentences=[1])
        support = alice.create_code("政府支持", 0, parent_id=category.id, code_sentences=[1, 2])
        bob.code_statements([2, 4], support.id)
    return path


def test_hierarchy_as_text(db: str) -> None:
    result = qc("report", "hierarchy", "--db", db)
    assert result.exit_code == 0, result.stderr
    assert "3 条原始语句 → 2 个概念 → 1 个初始范畴 → 0 个主范畴 → 0 个核心范畴" in result.stdout
    assert "no-parent" not in result.stdout and "empty-level" in result.stdout


def test_global_db_option_is_honoured(db: str) -> None:
    result = qc("--db", db, "report", "frequencies", "--format", "json", "--level", "concept")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["tables"][0]["rows"]
    assert rows[0][:3] == ["政府支持", "概念", 3] and rows[1][:3] == ["企业主体", "概念", 1]


def test_coder_and_level_options(db: str) -> None:
    result = qc("report", "matrix", "--db", db, "--format", "csv", "--coder", "bob", "--level", "初始范畴")
    assert result.exit_code == 0, result.stderr
    assert list(csv.reader(io.StringIO(result.stdout))) == [["编码", "D01", "D02", "合计"], ["创新主体", "1", "1", "2"]]


def test_files_take_their_format_from_the_extension(db: str, tmp_path: Path) -> None:
    out = tmp_path / "paper.docx"
    result = qc("report", "tables", "--db", db, "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert f"wrote {out} (tables, docx)" in result.stdout
    first = docx.Document(str(out)).tables[0]
    assert [c.text for c in first.rows[1].cells] == ["创新主体", "企业主体、政府支持", "“企业是创新主体。”（D01-S001）"]
    sheet = tmp_path / "freq.xlsx"
    assert qc("report", "frequencies", "--db", db, "-o", str(sheet)).exit_code == 0
    assert openpyxl.load_workbook(sheet).active["A2"].value == "创新主体"


def test_saturation_curve_formats(db: str, tmp_path: Path) -> None:
    text = qc("report", "saturation", "--db", db)
    assert text.exit_code == 0 and "留存文档中出现了" not in text.stdout
    assert "未出现新的概念" in text.stdout and "* 累计概念" in text.stdout
    png = qc("report", "saturation", "--db", db, "--format", "png")  # stdout is not a terminal here
    assert png.exit_code == 0 and png.stdout_bytes[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "curve.svg"
    assert qc("report", "saturation", "--db", db, "-o", str(svg)).exit_code == 0
    assert "<svg" in svg.read_text(encoding="utf-8")[:500]


def test_diagram_formats(db: str) -> None:
    mermaid = qc("report", "diagram", "--db", db)
    assert mermaid.exit_code == 0 and mermaid.stdout.startswith("flowchart BT")
    dot = qc("report", "diagram", "--db", db, "--format", "dot")
    assert dot.stdout.startswith("digraph hierarchy {") and "rank=same;" in dot.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "everything"], "error: unknown report 'everything'"),
        (["report", "hierarchy", "--format", "png"], "error: report hierarchy cannot be written as 'png'"),
        (["report", "words", "--coder", "carol"], "error: no coder 'carol'; coders: alice, bob"),
        (["report", "matrix", "--level", "9"], "error: unknown level '9'"),
    ],
)
def test_errors_are_one_line(db: str, args: list[str], message: str) -> None:
    result = qc(*args, "--db", db)
    assert result.exit_code == 1
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1


def test_missing_project_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nope.qcoder"
    result = qc("report", "hierarchy", "--db", str(missing))
    assert result.exit_code == 1 and result.stderr.startswith("error: no project at")
    assert not missing.exists()
