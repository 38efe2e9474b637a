"""Writing the codebook for colleagues and other tools: .qdc, .csv, .md, .json, .xlsx.

Every format carries the same facts in tree order (a parent before its children): GUID,
name, level, parent, definition and colour. The REFI-QDA codebook nests codes for the
hierarchy and adds one ``Set`` per level so the grounded-theory level survives a trip
through NVivo, ATLAS.ti or MAXQDA (they show the Sets as code groups).
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcoder.analysis.writers import xlsx_text_cells
from qcoder.coding.codes import CodeNode, code_tree
from qcoder.errors import QcoderError
from qcoder.exchange import refi
from qcoder.store.models import Code
from qcoder.store.safe_text import csv_cell
from qcoder.store.settings import Level, levels

CSV_COLUMNS = ("name", "path", "level", "level_name", "parent", "parent_guid", "guid", "description", "colour")


@dataclass(frozen=True)
class CodeRow:
    code: Code
    depth: int
    path: tuple[str, ...]
    parent: Code | None


def code_rows(session: Session) -> list[CodeRow]:
    """Every code, depth first from the highest level (the order of ``qcoder codes``)."""
    rows: list[CodeRow] = []

    def walk(node: CodeNode, depth: int, path: tuple[str, ...], parent: Code | None) -> None:
        here = (*path, node.code.name)
        rows.append(CodeRow(node.code, depth, here, parent))
        for child in node.children:
            walk(child, depth + 1, here, node.code)

    for root in code_tree(session):
        walk(root, 0, (), None)
    return rows


def _level(ladder: Sequence[Level], rank: int) -> Level:
    return ladder[rank] if rank < len(ladder) else Level(rank, f"level_{rank}", f"level {rank}", f"level {rank}")


def row_dict(row: CodeRow, ladder: Sequence[Level]) -> dict[str, Any]:
    code = row.code
    return {
        "name": code.name,
        "path": refi.FLAT_PATH_SEPARATOR.join(row.path),
        "level": code.level,
        "level_name": _level(ladder, code.level).name,
        "parent": row.parent.name if row.parent else "",
        "parent_guid": row.parent.guid if row.parent else "",
        "guid": code.guid,
        "description": code.definition or "",
        "colour": code.colour or "",
    }


# ---------------------------------------------------------------------------------------
# REFI-QDA
# ---------------------------------------------------------------------------------------


def add_code_elements(
    parent: etree._Element, nodes: Sequence[CodeNode], ns: str, note_refs: Mapping[int, Sequence[str]] | None = None
) -> None:
    """Nested ``Code`` elements; in a project each may carry ``NoteRef``s (its memos)."""
    for node in nodes:
        code = node.code
        attrib = {"guid": code.guid, "name": refi.xml_text(code.name), "isCodable": "true"}
        if code.colour:
            attrib["color"] = code.colour
        element = etree.SubElement(parent, f"{{{ns}}}Code", attrib)
        if code.definition:
            etree.SubElement(element, f"{{{ns}}}Description").text = refi.xml_text(code.definition)
        for target in (note_refs or {}).get(code.id, ()):
            etree.SubElement(element, f"{{{ns}}}NoteRef", targetGUID=target)
        add_code_elements(element, node.children, ns, note_refs)


def add_level_sets(
    sets: etree._Element, codes: Sequence[Code], ladder: Sequence[Level], ns: str, member_attr: str
) -> None:
    """One ``Set`` per level in use; the codebook schema names members by ``guid``, the project by ``targetGUID``."""
    for rank in sorted({code.level for code in codes}):
        level = _level(ladder, rank)
        element = etree.SubElement(
            sets,
            f"{{{ns}}}Set",
            guid=refi.set_guid(f"level:{rank}"),
            name=refi.level_set_name(rank, level.name, level.name_en),
        )
        etree.SubElement(element, f"{{{ns}}}Description").text = f"{refi.LEVEL_MARKER}{rank} ({level.key})"
        for code in sorted((c for c in codes if c.level == rank), key=lambda c: c.guid):
            etree.SubElement(element, f"{{{ns}}}MemberCode", {member_attr: code.guid})


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def export_qdc(session: Session) -> bytes:
    nodes = code_tree(session)
    if not nodes:
        raise QcoderError("the codebook is empty; a REFI-QDA codebook needs at least one code")
    ns = refi.CODEBOOK_NS
    root = etree.Element(f"{{{ns}}}CodeBook", nsmap={None: ns}, origin=refi.ORIGIN)  # type: ignore[dict-item]  # lxml-stubs forbid the None (default) prefix
    add_code_elements(etree.SubElement(root, f"{{{ns}}}Codes"), nodes, ns)
    add_level_sets(
        etree.SubElement(root, f"{{{ns}}}Sets"), [r.code for r in code_rows(session)], levels(session), ns, "guid"
    )
    return to_bytes(root)


# ---------------------------------------------------------------------------------------
# Tables and text
# ---------------------------------------------------------------------------------------


def export_csv(session: Session, columns: Sequence[str] = CSV_COLUMNS) -> bytes:
    """UTF-8 with a byte-order mark, so Excel shows Chinese names correctly."""
    ladder = levels(session)
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for row in code_rows(session):  # formula-looking names stay text in Excel (OWASP); read back by csv_value
        writer.writerow({k: csv_cell(v) if isinstance(v, str) else v for k, v in row_dict(row, ladder).items()})
    return out.getvalue().encode("utf-8-sig")


# Taguette's codebook import refuses a file with more than one of 'tag', 'name' and 'path';
# without 'name' it takes 'path' (parent::child) as the tag and ignores the other columns,
# and qcoder reads the name back from the path's last part.
TAGUETTE_COLUMNS = tuple(column for column in CSV_COLUMNS if column != "name")


def export_taguette_csv(session: Session) -> bytes:
    """The codebook as a CSV that Taguette imports (and qcoder reads back with its hierarchy)."""
    return export_csv(session, TAGUETTE_COLUMNS)


# QualCoder's codebook import (Project > Import codes, ``ImportPlainTextCodes`` in its helpers.py)
# reads a .csv without a header, comma-separated, UTF-8 (a byte-order mark is skipped): column 1
# is ``category>>category>>code``, column 2 the code's memo; every row is a code and every segment
# before the last a category. Categories have no memo there and cannot be coded, so a code with
# children is written twice: as the category its children sit in, and as a code of the same name
# inside it that keeps its definition (and can hold its codings). Names stay as they are (no
# apostrophe before formula-looking text: QualCoder would keep it as part of the name). Its
# code and category names are unique project-wide, so ``qualcoder_merges`` names what it folds.
QUALCODER_SEPARATOR = ">>"


def _qualcoder_paths(session: Session) -> list[tuple[tuple[str, ...], Code]]:
    """(categories…, code) per QualCoder row, in tree order: a parent's own row before its children's."""
    rows = code_rows(session)
    parents = {row.parent.id for row in rows if row.parent is not None}
    return [((*row.path, row.code.name) if row.code.id in parents else row.path, row.code) for row in rows]


def _qualcoder_reads_back(cell: str) -> list[str]:
    """The segments QualCoder's importer takes from a first-column cell (it splits on ``>>`` and strips)."""
    if QUALCODER_SEPARATOR not in cell:
        return [cell.strip()]
    return [part.strip() for part in cell.split(QUALCODER_SEPARATOR)]


def export_qualcoder_csv(session: Session) -> bytes:
    """The codebook as the CSV QualCoder's codebook import reads; a name it would split or trim is refused."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    for path, code in _qualcoder_paths(session):
        cell = QUALCODER_SEPARATOR.join(path)
        if _qualcoder_reads_back(cell) != list(path):
            raise QcoderError(
                f"code {code.name!r} cannot go to QualCoder: it reads '>>' as a category separator and trims"
                " spaces, so the name would change; rename it (qcoder codebook rename) and export again"
            )
        writer.writerow([cell, code.definition or ""])
    return out.getvalue().encode("utf-8-sig")


def qualcoder_merges(session: Session) -> list[str]:
    """Names QualCoder keeps once although qcoder has several: its code names and its category names are
    unique in the whole project (a second code of a name is "not imported", a second category's codes
    join the first)."""
    paths = _qualcoder_paths(session)
    codes = Counter(path[-1] for path, _ in paths)
    categories: dict[str, set[tuple[str, ...]]] = {}
    for path, _ in paths:
        for depth in range(len(path) - 1):
            categories.setdefault(path[depth], set()).add(path[: depth + 1])
    found = [f"code {name!r} ×{n}" for name, n in codes.items() if n > 1]
    found += [f"category {name!r} ×{len(seen)}" for name, seen in categories.items() if len(seen) > 1]
    return found


CODEBOOK_FORMATS = ("taguette", "qualcoder")  # CSV variants beside qcoder's own (chosen with --format)
EXPORT_VARIANTS: dict[str, Callable[[Session], bytes]] = {
    "taguette": export_taguette_csv,
    "qualcoder": export_qualcoder_csv,
}


def export_json(session: Session) -> bytes:
    ladder = levels(session)
    document = {
        "format": "qcoder-codebook",
        "version": 1,
        "levels": [{"rank": lv.rank, "key": lv.key, "name": lv.name, "name_en": lv.name_en} for lv in ladder],
        "codes": [row_dict(row, ladder) for row in code_rows(session)],
    }
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _md(text: str) -> str:
    for ch in "\\`*_[]<>#|":
        text = text.replace(ch, "\\" + ch)
    return text


def export_markdown(session: Session) -> bytes:
    ladder = levels(session)
    rows = code_rows(session)
    lines = ["# Codebook", ""]
    counts = ", ".join(f"{sum(1 for r in rows if r.code.level == lv.rank)} {lv.name} ({lv.name_en})" for lv in ladder)
    lines += [f"{len(rows)} codes: {counts}.", ""]
    for row in rows:
        level = _level(ladder, row.code.level)
        indent = "  " * row.depth
        colour = f" `{row.code.colour}`" if row.code.colour else ""
        lines.append(f"{indent}- **{_md(row.code.name)}** · {level.name} ({level.name_en}){colour}")
        for paragraph in (row.code.definition or "").strip().splitlines():
            if paragraph.strip():
                lines.append(f"{indent}  {_md(paragraph.strip())}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def export_xlsx(session: Session) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    ladder = levels(session)
    book = Workbook()
    sheet = book.create_sheet("Codebook", 0)
    for blank in book.worksheets[1:]:  # the default empty sheet: the codebook takes its place
        book.remove(blank)
    sheet.append(list(CSV_COLUMNS))
    for row in code_rows(session):
        values = row_dict(row, ladder)
        sheet.append([values[column] for column in CSV_COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    level_sheet = book.create_sheet("Levels")
    level_sheet.append(["rank", "key", "name", "name_en"])
    for level in ladder:
        level_sheet.append([level.rank, level.key, level.name, level.name_en])
    xlsx_text_cells(sheet)
    xlsx_text_cells(level_sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


EXPORTERS: dict[str, Callable[[Session], bytes]] = {
    ".qdc": export_qdc,
    ".csv": export_csv,
    ".md": export_markdown,
    ".json": export_json,
    ".xlsx": export_xlsx,
}


def export_codebook(session: Session, suffix: str) -> bytes:
    exporter = EXPORTERS.get(suffix.lower())
    if exporter is None:
        raise QcoderError(f"cannot write a codebook as '{suffix}'; use one of: {', '.join(EXPORTERS)}")
    return exporter(session)


def write_codebook(session: Session, path: Path, fmt: str | None = None) -> int:
    """Write the codebook in the format its suffix names (``fmt``: the CSV Taguette or QualCoder
    imports); returns how many codes."""
    if fmt is not None and fmt not in CODEBOOK_FORMATS:
        raise QcoderError(f"--format takes {', '.join(CODEBOOK_FORMATS)}; got {fmt!r}")
    if fmt is not None and path.suffix.lower() != ".csv":
        raise QcoderError(f"--format {fmt} writes a .csv file; got {path.name!r}")
    data = EXPORT_VARIANTS[fmt](session) if fmt is not None else export_codebook(session, path.suffix)
    try:
        path.write_bytes(data)
    except OSError as error:
        raise QcoderError(f"cannot write {path}: {error.strerror}") from None
    return session.scalar(select(func.count()).select_from(Code)) or 0
