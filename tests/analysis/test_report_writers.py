"""Every report format opens with its reader and holds the cells that were written."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from gt_builders import GT, build_gt

from qcoder.analysis.report import FORMATS, KINDS, build_report, format_for_path, render_report, write_report
from qcoder.analysis.table import Table
from qcoder.analysis.writers import display_width, parse_markdown, render, to_text, write_file
from qcoder.errors import QcoderError

TABLES = [
    Table(
        "初始范畴",
        ["范畴", "概念", "语句数"],
        [["企业主体", "主体地位、创新主体", 12], ["AB", "x|y\n第二行", 3]],
        notes=["共 2 个范畴"],
        name="categories",
    ),
    Table("关系", ["关系", "内涵"], [["甲 → 乙", None]], name="relations"),
]


def test_text_aligns_columns_by_display_width() -> None:
    lines = to_text(TABLES[:1]).splitlines()
    header, rule, first, second = lines[2], lines[3], lines[4], lines[5]
    assert header.startswith("范畴") and rule.startswith("--------  ")
    # the second column starts at the same terminal cell on every row
    starts = [
        display_width(line[: line.index(mark)])
        for line, mark in ((header, "概念"), (first, "主体地位"), (second, "x|y"))
    ]
    assert len(set(starts)) == 1
    assert first.endswith("12") and second.endswith(" 3")  # numbers right-aligned
    assert lines[6].strip() == "第二行" and lines[-1] == "共 2 个范畴"


def test_text_wraps_long_cells() -> None:
    long = Table("t", ["a"], [["创新" * 40]])
    body = to_text([long], max_cell=20).splitlines()[4:]
    assert len(body) == 8 and all(display_width(line) <= 20 for line in body)


def test_markdown_round_trips_pipes_and_newlines() -> None:
    parsed = parse_markdown(render(TABLES, "md"))  # type: ignore[arg-type]
    assert [t[0] for t in parsed] == ["初始范畴", "关系"]
    assert parsed[0][1] == ["范畴", "概念", "语句数"]
    assert parsed[0][2] == [["企业主体", "主体地位、创新主体", "12"], ["AB", "x|y\n第二行", "3"]]
    assert parsed[1][2] == [["甲 → 乙", ""]]


def test_csv_single_table_is_plain_and_several_are_blocks(tmp_path: Path) -> None:
    single = list(csv.reader(io.StringIO(render(TABLES[:1], "csv"))))  # type: ignore[arg-type]
    assert single == [["范畴", "概念", "语句数"], ["企业主体", "主体地位、创新主体", "12"], ["AB", "x|y\n第二行", "3"]]
    blocks = list(csv.reader(io.StringIO(render(TABLES, "csv"))))  # type: ignore[arg-type]
    assert blocks[0] == ["初始范畴"] and blocks[4] == [] and blocks[5] == ["关系"] and blocks[7] == ["甲 → 乙", ""]
    path = write_file(render(TABLES[:1], "csv"), tmp_path / "t.csv", "csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel reads the Chinese as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == single


def test_json_parses_back() -> None:
    payload = json.loads(render(TABLES, "json"))  # type: ignore[arg-type]
    first = payload["tables"][0]
    assert first["name"] == "categories" and first["columns"] == ["范畴", "概念", "语句数"]
    assert first["rows"][0] == ["企业主体", "主体地位、创新主体", 12] and first["notes"] == ["共 2 个范畴"]
    assert payload["tables"][1]["rows"] == [["甲 → 乙", None]]


def test_xlsx_has_a_sheet_per_table_with_bold_header(tmp_path: Path) -> None:
    path = write_file(render(TABLES, "xlsx"), tmp_path / "t.xlsx", "xlsx")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["初始范畴", "关系"]
    sheet = book["初始范畴"]
    assert [c.value for c in sheet[1]] == ["范畴", "概念", "语句数"] and all(c.font.bold for c in sheet[1])
    assert [c.value for c in sheet[2]] == ["企业主体", "主体地位、创新主体", 12]
    assert isinstance(sheet["C2"].value, int) and sheet["B3"].value == "x|y\n第二行"
    assert sheet["A5"].value == "共 2 个范畴"
    assert sheet.column_dimensions["B"].width >= display_width("主体地位、创新主体")
    assert sheet.freeze_panes == "A2"


def test_xlsx_sheet_names_are_legal_and_unique() -> None:
    tables = [Table("a/b:c" + "长" * 40, ["x"], [])] * 2
    book = openpyxl.load_workbook(io.BytesIO(render(tables, "xlsx")))  # type: ignore[arg-type]
    assert len(book.sheetnames) == 2 and len(set(book.sheetnames)) == 2
    assert all(len(n) <= 31 and "/" not in n and ":" not in n for n in book.sheetnames)


def test_docx_tables_are_ready_for_a_paper(tmp_path: Path) -> None:
    path = write_file(render(TABLES, "docx"), tmp_path / "t.docx", "docx")
    document = docx.Document(str(path))
    assert len(document.tables) == 2
    grid = document.tables[0]
    assert grid.style.name == "Table Grid"
    assert [c.text for c in grid.rows[0].cells] == ["范畴", "概念", "语句数"]
    assert [c.text for c in grid.rows[1].cells] == ["企业主体", "主体地位、创新主体", "12"]
    assert grid.rows[2].cells[1].text == "x|y\n第二行"
    header_run = grid.rows[0].cells[0].paragraphs[0].runs[0]
    assert header_run.bold
    fonts = header_run._element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "宋体" and fonts.get(qn("w:ascii")) == "Times New Roman"
    captions = [p.text for p in document.paragraphs if p.text.startswith("表")]
    assert captions == ["表1 初始范畴", "表2 关系"]
    assert any(p.text == "共 2 个范畴" for p in document.paragraphs)


def test_unknown_format_is_a_one_line_error() -> None:
    with pytest.raises(QcoderError, match="unknown format"):
        render(TABLES, "pdf")


# ---------------------------------------------------------------------- whole reports
@pytest.fixture
def gt(project) -> GT:  # type: ignore[no-untyped-def]
    built = build_gt(project)
    built.alice.add_relation(built.ids["范畴1"], built.ids["范畴2"], "causal", "一导致二")
    built.alice.set_storyline("故事线。")
    return built


def test_every_report_in_every_format_opens(gt: GT, tmp_path: Path) -> None:
    for kind in KINDS:
        for fmt in FORMATS[kind]:
            path = write_report(kind, gt.project, fmt, tmp_path / f"{kind}.{fmt}")
            assert isinstance(path, Path) and path.stat().st_size > 0, (kind, fmt)
            if fmt == "xlsx":
                assert openpyxl.load_workbook(path).sheetnames
            elif fmt == "docx":
                assert docx.Document(str(path)).tables
            elif fmt == "json":
                assert json.loads(path.read_text(encoding="utf-8"))["tables"]
            elif fmt == "png":
                assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            elif fmt == "svg":
                assert "<svg" in path.read_text(encoding="utf-8")[:500]  # matplotlib writes an XML prolog first


def test_report_contents(gt: GT) -> None:
    text = write_report("hierarchy", gt.project)
    assert isinstance(text, str) and "6 条原始语句 → 5 个概念 → 2 个初始范畴 → 1 个主范畴 → 1 个核心范畴" in text
    tables = json.loads(write_report("tables", gt.project, "json"))["tables"]  # type: ignore[arg-type]
    assert [t["name"] for t in tables] == ["categories_1", "main_categories_2", "relations", "storyline"]
    assert tables[2]["rows"] == [["范畴1 → 范畴2", "因果关系", "一导致二"]]
    saturation = write_report("saturation", gt.project)
    assert "未出现新的概念" not in saturation and "尚未编码" in saturation and "* 累计概念" in saturation
    diagram = write_report("diagram", gt.project, "md")
    assert isinstance(diagram, str) and "```mermaid\nflowchart BT" in diagram
    assert write_report("diagram", gt.project).startswith("flowchart BT")  # type: ignore[union-attr]
    with gt.project.session() as session:
        matrix = build_report("matrix", session, level="初始范畴")[0]
        words = build_report("words", session, coder="bob")[0]
    assert [r[0] for r in matrix.rows] == ["范畴1", "范畴2"]
    assert words.rows == []  # the factory's single-character tokens are all filtered out


def test_format_checks(gt: GT) -> None:
    assert format_for_path("out/report.XLSX") == "xlsx" and format_for_path("a.gv") == "dot"
    assert format_for_path("noext") is None and format_for_path(None) is None
    with pytest.raises(QcoderError, match="cannot be written as 'png'"):
        write_report("hierarchy", gt.project, "png")
    with pytest.raises(QcoderError, match="unknown report"):
        write_report("everything", gt.project, "text")
    with gt.project.session() as session:
        assert isinstance(render_report("saturation", session, "png"), bytes)
