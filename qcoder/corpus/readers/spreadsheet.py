"""Spreadsheets (.csv, .tsv via the decode step; .xlsx via openpyxl): one row per respondent → one document.

The chosen text columns (`--text-column`, repeatable; each column a question) become the row's
statements, one block per answer with the statement attributes "question" (the column's header) and
"row" (the row number as a spreadsheet shows it, header = row 1). The id column (`--id-column`) names
the document; every other column becomes a document attribute (性别, 年龄, 地区): the case.
Without `--text-column` the columns that hold text (most cells longer than a short answer, not
numbers or dates) are taken and named in the notes. Rows without any answer are not documents (a
document needs a statement); they are counted in the notes with their row numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Iterable, Sequence

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.decode import decode
from qcoder.corpus.readers._text import visible
from qcoder.corpus.types import ImportRefused, PipelineOptions

_AUTO_MIN_CHARS = 8  # median length of a column's cells above which it is taken for a text column


def _cell(value: object) -> str:
    """A cell as text: whole numbers without '.0', dates as ISO dates."""
    if type(value) is str:  # most cells: checked first, a 100,000-row sheet has 600,000 of them
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _answer(text: str) -> str:
    """A cell's text: a line break after a comma is the respondent's wrap, not the end of a statement."""
    if "\n" not in text and "\r" not in text:
        return text.strip()
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    out = lines[0]
    for line in lines[1:]:
        out = out + line if out.endswith(("，", "、", "；", "：", ",", ";", ":")) else out + "\n" + line
    return out.strip()


def _header(names: Sequence[str]) -> list[str]:
    """Header names, empty ones called by their column letter position, duplicates numbered."""
    out: list[str] = []
    for i, name in enumerate(names, start=1):
        name = name.strip() or f"column {i}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def _is_texty(values: list[str]) -> bool:
    filled = [v for v in values if v]
    if not filled:
        return False
    numeric = sum(1 for v in filled if v.replace(".", "", 1).replace("-", "", 2).isdigit())
    return numeric < len(filled) / 2 and statistics.median(len(v) for v in filled) >= _AUTO_MIN_CHARS


def _choose(header: list[str], rows: list[list[str]], options: PipelineOptions) -> tuple[list[int], int | None]:
    """Indexes of the text columns and of the id column; refuses names that are not there."""
    listed = "、".join(header)
    for name in (*options.text_columns, *([options.id_column] if options.id_column else [])):
        if name not in header:
            raise ImportRefused(f"no column {name!r} in this spreadsheet; its columns are: {listed}")
    if options.text_columns:
        text = [header.index(name) for name in options.text_columns]
    else:
        sample = rows[:500]
        text = [i for i in range(len(header)) if _is_texty([r[i] if i < len(r) else "" for r in sample])]
        if options.id_column:
            text = [i for i in text if header[i] != options.id_column]
        if not text:
            raise ImportRefused(f"say which column holds the answers: --text-column NAME (columns: {listed})")
    ident = header.index(options.id_column) if options.id_column else None
    if ident is not None and ident in text:
        raise ImportRefused(f"column {options.id_column!r} cannot be both the id column and a text column")
    return text, ident


def _sources(table: Iterable[Sequence[object]], options: PipelineOptions, reader: str) -> list[StructuredSource]:
    rows_iter = iter(table)
    header_row: list[str] | None = None
    header_at = 0
    for header_at, raw_row in enumerate(rows_iter, start=1):  # noqa: B007 - the row number is used below
        cells = [_cell(v) for v in raw_row]
        if any(cells):
            header_row = cells
            break
    if header_row is None:
        raise ImportRefused("the spreadsheet is empty; nothing to import")
    header = _header(header_row)
    rows = [[_cell(v) for v in r] for r in rows_iter]
    text_cols, ident = _choose(header, rows, options)
    others = [i for i in range(len(header)) if i not in text_cols and i != ident]
    sources: list[StructuredSource] = []
    empty: list[int] = []
    names: dict[str, int] = {}
    for offset, cells in enumerate(rows, start=1):
        number = header_at + offset
        if not any(cells):
            continue
        cells = cells + [""] * (len(header) - len(cells))
        extra = [c for c in cells[len(header) :] if c]
        blocks = [
            Block(_answer(cells[i]), kind="answer", attributes={"question": header[i], "row": str(number)})
            for i in text_cols
            if cells[i]
        ]
        if not blocks:
            empty.append(number)
            continue
        name = cells[ident] if ident is not None and cells[ident] else f"row {number}"
        if name in names:  # two rows with one id: keep both, told apart by their rows
            name = f"{name} (row {number})"
        names[name] = number
        attributes = {header[i]: cells[i] for i in others if cells[i]}
        notes = [f"row {number} has {len(extra)} cells beyond the header; kept as 'extra'"] if extra else []
        if extra:
            attributes["extra"] = " | ".join(extra)
        sources.append(
            StructuredSource(
                blocks=blocks,
                reader=reader,
                name=name,
                document_attributes=attributes,
                notes=notes,
                encoding=reader.split(" ")[0],
                read_chars=sum(visible(b.text) for b in blocks),
            )
        )
    if not sources:
        raise ImportRefused(
            f"no row has an answer in the text column(s) {', '.join(header[i] for i in text_cols)}; nothing to import"
        )
    summary = f"text columns: {'、'.join(header[i] for i in text_cols)}; {len(sources):,} rows with answers"
    if ident is not None:
        summary += f"; documents named by {header[ident]}"
    sources[0].notes.insert(0, summary)
    if empty:
        shown = ", ".join(map(str, empty[:20])) + (" …" if len(empty) > 20 else "")
        sources[0].notes.append(f"{len(empty):,} rows without any answer were not imported (rows {shown})")
    return sources


def read_csv(raw: bytes, options: PipelineOptions = PipelineOptions()) -> list[StructuredSource]:
    """CSV or TSV: the encoding found by the decode step, the delimiter by csv.Sniffer."""
    decoded = decode(raw, max_bytes=options.max_bytes)
    text = decoded.text.lstrip("\ufeff")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:20000], delimiters=",\t;|")
    except csv.Error:
        dialect = csv.excel
    try:
        table = list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise ImportRefused(f"cannot read this CSV ({exc}); save it again as CSV UTF-8 from the spreadsheet") from None
    return _sources(table, options, f"csv ({decoded.encoding})")


def read_xlsx(raw: bytes, options: PipelineOptions = PipelineOptions()) -> list[StructuredSource]:
    """Excel workbook: the first worksheet, cell values as shown (formulas' cached results).

    Read with python-calamine (Rust): 100,000 rows in about a second, where openpyxl's read-only
    mode takes some 20 s (bench/bench_readers.py)."""
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
        names = book.sheet_names
        if not names:
            raise ImportRefused("the workbook has no worksheets; nothing to import")
        table = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except python_calamine.PasswordError:
        raise ImportRefused("this workbook is password-protected; save an unprotected copy and import that") from None
    except (python_calamine.CalamineError, python_calamine.ZipError, python_calamine.XmlError, ValueError) as exc:
        raise ImportRefused(
            f"this is not a readable .xlsx workbook ({exc}); open it in Excel and save it again"
        ) from None
    sources = _sources(table, options, f"xlsx (python-calamine, sheet {names[0]})")
    if len(names) > 1:
        sources[0].notes.append(f"only the first sheet ({names[0]}) was read; {len(names) - 1} more")
    return sources
