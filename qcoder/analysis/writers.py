"""Writers for analysis tables: text, Markdown, CSV, JSON, Excel (xlsx) and Word (docx).

They are the output of analysis (reports and agreement write through them), so they live in analysis.

Why one module: every analysis returns ``Table`` objects, so a report in any format is one
call. Text output measures Chinese characters as two terminal cells (wcwidth) so columns
line up; Word tables are ready to paste into a paper (Table Grid, bold header, 宋体 for
Chinese and Times New Roman for Latin text); CSV files are written with a UTF-8 BOM so
Excel opens Chinese text correctly.

A CSV of several tables holds them one after another, each preceded by a one-cell title
row and followed by an empty row; a single table is a plain CSV (header, then rows).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from wcwidth import wcwidth

from qcoder.analysis.table import Cell, Table
from qcoder.errors import QcoderError
from qcoder.store.safe_text import csv_cell

TEXT_FORMATS = ("text", "md", "csv", "json")
BINARY_FORMATS = ("xlsx", "docx")
FORMATS = TEXT_FORMATS + BINARY_FORMATS
CHINESE_FONT = "宋体"  # SimSun
LATIN_FONT = "Times New Roman"


DECIMALS = 3  # every float in every report format: a column of figures lines up, as a paper prints it


def number_text(value: float, decimals: int = DECIMALS) -> str:
    """A float with a fixed number of decimals; a value that rounds to zero never shows as "-0.000"."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def display_width(text: str) -> int:
    return sum(max(wcwidth(ch), 0) for ch in text)


def _wrap(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` terminal cells (a Chinese character is two)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0
        for ch in paragraph:
            w = max(wcwidth(ch), 0)
            if used + w > width and line:
                lines.append(line)
                line, used = "", 0
            line += ch
            used += w
        lines.append(line)
    return lines


def _pad(text: str, width: int, right: bool) -> str:
    gap = " " * max(width - display_width(text), 0)
    return gap + text if right else text + gap


def _emit(
    out: list[str], cells: list[list[str]], widths: list[int], numeric: list[bool], is_header: bool = False
) -> None:
    """Append one table row (its cells already wrapped into lines) to ``out``, a line per wrapped line."""
    for k in range(max(len(c) for c in cells)):
        parts = [
            _pad(cells[i][k] if k < len(cells[i]) else "", widths[i], numeric[i] and not is_header)
            for i in range(len(cells))
        ]
        out.append("  ".join(parts).rstrip())


# ---------------------------------------------------------------------- text
def to_text(tables: Sequence[Table], *, max_cell: int = 48) -> str:
    """Aligned plain text; long cells wrap at ``max_cell`` terminal cells."""
    blocks = []
    for table in tables:
        numeric = [
            all(isinstance(r[i], (int, float)) or r[i] is None for r in table.rows) and bool(table.rows)
            for i in range(len(table.columns))
        ]
        header = [_wrap(c, max_cell) for c in table.columns]
        body = [[_wrap(cell_text(v), max_cell) for v in row] for row in table.rows]
        widths = [
            max(display_width(line) for cell in [header[i], *(r[i] for r in body)] for line in cell)
            for i in range(len(table.columns))
        ]
        out = [table.title, "=" * max(display_width(table.title), 1)]

        _emit(out, header, widths, numeric, is_header=True)
        out.append("  ".join("-" * w for w in widths))
        for row in body:
            _emit(out, row, widths, numeric)
        out.extend(table.notes)
        blocks.append("\n".join(out))
    return "\n\n".join(blocks) + "\n"


# ---------------------------------------------------------------------- markdown
def _md_cell(value: Cell) -> str:
    return cell_text(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")


def to_markdown(tables: Sequence[Table]) -> str:
    blocks = []
    for table in tables:
        numeric = [
            bool(table.rows) and all(isinstance(r[i], (int, float)) or r[i] is None for r in table.rows)
            for i in range(len(table.columns))
        ]
        lines = [
            f"### {table.title}",
            "",
            "| " + " | ".join(_md_cell(c) for c in table.columns) + " |",
            "|" + "|".join("---:" if n else "---" for n in numeric) + "|",
        ]
        lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |" for row in table.rows]
        if table.notes:
            lines.append("")
            lines += [note.replace("\n", "  \n") for note in table.notes]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


_MD_SPLIT = re.compile(r"(?<!\\)\|")


def parse_markdown(text: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, columns, rows) of each table written by ``to_markdown`` — for round-trip checks."""
    found: list[tuple[str, list[str], list[list[str]]]] = []
    title, rows = "", []  # type: ignore[var-annotated]

    def cells(line: str) -> list[str]:
        parts = _MD_SPLIT.split(line.strip())[1:-1]
        return [p.strip().replace("<br>", "\n").replace("\\|", "|").replace("\\\\", "\\") for p in parts]

    for line in text.splitlines():
        if line.startswith("### "):
            title, rows = line[4:], []
            found.append((title, [], rows))
        elif line.startswith("|") and found:
            if re.fullmatch(r"\|(?:-{3}:?\|)+", line.strip()):
                continue
            if not found[-1][1]:
                found[-1] = (title, cells(line), rows)
            else:
                rows.append(cells(line))
    return found


# ---------------------------------------------------------------------- csv / json
def to_csv(tables: Sequence[Table]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for k, table in enumerate(tables):
        if len(tables) > 1:
            if k:
                writer.writerow([])
            writer.writerow([csv_cell(table.title)])
        writer.writerow([csv_cell(c) for c in table.columns])
        # a code named "=HYPERLINK(…)" stays text in Excel (OWASP): see qcoder.store.safe_text
        writer.writerows([csv_cell(v) if isinstance(v, str) else cell_text(v) for v in row] for row in table.rows)
    return buffer.getvalue()


def to_json(tables: Sequence[Table]) -> str:
    payload = {
        "tables": [
            {"name": t.name, "title": t.title, "columns": t.columns, "rows": t.rows, "notes": t.notes} for t in tables
        ]
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------- xlsx
def _sheet_title(title: str, taken: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def to_xlsx(tables: Sequence[Table]) -> bytes:
    """One sheet per table: bold header in row 1, numbers as numbers, notes under the table."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    for blank in book.worksheets:  # the default empty sheet: every sheet we keep is made per table
        book.remove(blank)
    taken: set[str] = set()
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    for table in tables or [Table("empty", [], [])]:
        sheet = book.create_sheet(_sheet_title(table.title, taken))
        sheet.append(table.columns)
        for cell in sheet[1]:
            cell.font, cell.fill = bold, fill
        for row in table.rows:
            sheet.append([v if isinstance(v, (int, float)) or v is None else str(v) for v in row])
        if table.notes:
            sheet.append([])
            for note in table.notes:
                sheet.append([note])
        for i, column in enumerate(table.columns, start=1):
            longest = max(
                [
                    display_width(line)
                    for v in [column, *(r[i - 1] for r in table.rows)]
                    for line in cell_text(v).split("\n")
                ]
                or [8]
            )
            sheet.column_dimensions[get_column_letter(i)].width = min(max(longest + 2, 6), 60)
            if longest > 58:
                for (cell,) in sheet.iter_rows(min_row=2, max_row=len(table.rows) + 1, min_col=i, max_col=i):
                    cell.alignment = wrap
        for (cell,) in sheet.iter_rows(min_row=2, max_row=len(table.rows) + 1, min_col=1, max_col=1):
            if "\n" in cell_text(cell.value):
                cell.alignment = wrap
        sheet.freeze_panes = "A2"
        xlsx_text_cells(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_text_cells(sheet: Any) -> None:
    """Store every text cell as text: openpyxl would make a formula of text beginning with "=".

    Why: a code, memo or document name like ``=HYPERLINK("http://…")`` comes from whoever wrote
    the codebook; as a formula it would run when a colleague opens the report.
    """
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.data_type != "s":
                cell.data_type = "s"


# ---------------------------------------------------------------------- docx
def _set_fonts(run, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = LATIN_FONT
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attr), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), CHINESE_FONT)
    if size_pt is not None:
        run.font.size = Pt(size_pt)
    if bold is not None:
        run.bold = bold


def _cell_paragraphs(cell, text: str, *, bold: bool = False, align=None) -> None:
    lines = text.split("\n")
    paragraph = cell.paragraphs[0]
    for k, line in enumerate(lines):
        if k:
            paragraph = cell.add_paragraph()
        if align is not None:
            paragraph.alignment = align
        _set_fonts(paragraph.add_run(line), 10.5, bold)


def to_docx(tables: Sequence[Table]) -> bytes:
    """Word tables for a paper: caption 表n above, Table Grid, bold header, 宋体 + Times New Roman."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), CHINESE_FONT)
    if any(len(t.columns) > 6 for t in tables):
        section = document.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    for number, table in enumerate(tables, start=1):
        caption = document.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_fonts(caption.add_run(f"表{number} {table.title}"), 10.5, True)
        grid = document.add_table(rows=1 + len(table.rows), cols=max(len(table.columns), 1))
        grid.style = "Table Grid"
        for i, column in enumerate(table.columns):
            _cell_paragraphs(grid.rows[0].cells[i], column, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
        for r, row in enumerate(table.rows, start=1):
            cells = grid.rows[r].cells
            for i, value in enumerate(row):
                align = WD_ALIGN_PARAGRAPH.CENTER if isinstance(value, (int, float)) else None
                _cell_paragraphs(cells[i], cell_text(value), align=align)
        for note in table.notes:
            _set_fonts(document.add_paragraph().add_run(note), 9)
        document.add_paragraph()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------- entry points
def render(tables: Sequence[Table], fmt: str) -> str | bytes:
    """The tables in ``fmt``: str for text formats, bytes for xlsx and docx."""
    writers: dict[str, Callable[[Sequence[Table]], str | bytes]] = {
        "text": to_text,
        "md": to_markdown,
        "csv": to_csv,
        "json": to_json,
        "xlsx": to_xlsx,
        "docx": to_docx,
    }
    if fmt not in writers:
        raise QcoderError(f"unknown format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return writers[fmt](tables)


def write_file(content: str | bytes, path: Path, fmt: str) -> Path:
    """Write rendered content; CSV gets a BOM so Excel reads its Chinese text as UTF-8."""
    path = Path(path)
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline="")
    except OSError as error:
        raise QcoderError(f"cannot write {path}: {error.strerror}") from None
    return path
