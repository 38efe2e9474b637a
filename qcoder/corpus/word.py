"""Reading Word (.docx) files: every paragraph and every table cell, once, in reading order.

python-docx opens the package (it finds the main document part and checks it is a Word
file); the text is then read by walking the body's XML in document order, because
python-docx's ``Paragraph.text`` sees only plain runs and hyperlinks: text in tracked
insertions, content controls, smart tags, simple fields and text boxes would be lost, and
its ``row.cells`` repeats merged cells. Walking the XML visits each ``w:tc`` once, so a
horizontally merged cell (one ``w:tc`` with ``w:gridSpan``) is read once, a vertically
merged one once (its continuation cells are empty), and a table nested in a cell is read
where it stands.

What is read, and what `word_text` counts independently, is the text a reader sees in
Word's final view: every ``w:t`` run (and ``m:t`` of equations), except copies and
annotations that are not part of that text: the ``mc:Fallback`` copy of content that has
an ``mc:Choice`` (text boxes are stored twice), text tracked as moved away
(``w:moveFrom``; it also appears where it moved to) and ruby readings (``w:rt``). Deleted
text (``w:delText``) and field codes (``w:instrText``) are not ``w:t`` and so are not
text. `read_docx` refuses a file whose text does not add up, so a reader that loses or
repeats text fails loudly instead of storing a shorter document.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from posixpath import normpath
from typing import TYPE_CHECKING, cast

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.types import Decoded, ImportRefused, PipelineOptions, StepReport

if TYPE_CHECKING:
    from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_NS = {"w": W, "m": M, "mc": MC}

_P, _TBL, _TXBX = f"{{{W}}}p", f"{{{W}}}tbl", f"{{{W}}}txbxContent"
_TEXT = frozenset({f"{{{W}}}t", f"{{{M}}}t"})
_TAB = frozenset({f"{{{W}}}tab", f"{{{W}}}ptab"})
_BREAK = frozenset({f"{{{W}}}br", f"{{{W}}}cr"})
_NO_BREAK_HYPHEN = f"{{{W}}}noBreakHyphen"
_ALT_CHUNK = f"{{{W}}}altChunk"
# Not part of the text a reader sees (see the module docstring); properties hold no text.
_SKIP = frozenset(
    {
        f"{{{MC}}}Fallback",
        f"{{{W}}}moveFrom",
        f"{{{W}}}rt",
        f"{{{W}}}pPr",
        f"{{{W}}}rPr",
        f"{{{W}}}sectPr",
        f"{{{W}}}tblPr",
        f"{{{W}}}trPr",
        f"{{{W}}}tcPr",
        f"{{{W}}}sdtPr",
        f"{{{W}}}instrText",
        f"{{{W}}}delText",
    }
)
# The independent count: the same text, found by one XPath instead of a walk.
_COUNTED = (
    "//w:t[not(ancestor::mc:Fallback or ancestor::w:moveFrom or ancestor::w:rt)]"
    " | //m:t[not(ancestor::mc:Fallback or ancestor::w:moveFrom or ancestor::w:rt)]"
    " | //w:noBreakHyphen[not(ancestor::mc:Fallback or ancestor::w:moveFrom or ancestor::w:rt)]"
)
_OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_STRICT_OFFICE_DOCUMENT = "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument"


_TR, _TC = f"{{{W}}}tr", f"{{{W}}}tc"
_VAL = f"{{{W}}}val"


@dataclass(frozen=True)
class _Where:
    """A line's paragraph style, list numbering and outline level, and the table cell it is in."""

    style: str = ""
    numbered: bool = False
    outline: int | None = None
    cell: tuple[int, int, int] | None = None  # (table number, row, column) of the innermost table
    depth: int = 0  # how many tables it is nested in


def _paragraph_style(p: object) -> tuple[str, bool, int | None]:
    ppr = p.find(f"{{{W}}}pPr")  # type: ignore[attr-defined]
    if ppr is None:
        return "", False, None
    style = ppr.find(f"{{{W}}}pStyle")
    outline = ppr.find(f"{{{W}}}outlineLvl")
    level = outline.get(_VAL) if outline is not None else None
    return (
        style.get(_VAL, "") if style is not None else "",
        ppr.find(f"{{{W}}}numPr") is not None,
        int(level) if level is not None and level.isdigit() else None,
    )


class _Reader:
    """Collects one line per paragraph; counts tables so the import report can say so."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.tables = 0
        self.boxes = 0
        # beside each line: its paragraph's properties and the table cell it stands in (see `_Where`)
        self.where: list[_Where] = []
        self._cells: list[list[int]] = []  # open tables: [table number, row, column]

    def blocks(self, container: object, out: list[str]) -> None:
        """Paragraphs and tables of a body, cell, text box or content control, in order."""
        for child in container:  # type: ignore[attr-defined]
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == _P:
                self.paragraph(child, out)
            elif tag == _ALT_CHUNK:
                raise ImportRefused(
                    "this .docx embeds other documents (altChunk) that only Word can merge; "
                    "open it in Word or LibreOffice, save it again and import that"
                )
            elif tag == _TBL:
                self.tables += 1
                self._cells.append([self.tables, -1, -1])
                self.blocks(child, out)
                self._cells.pop()
            else:
                if tag == _TR and self._cells:
                    self._cells[-1][1] += 1
                    self._cells[-1][2] = -1
                elif tag == _TC and self._cells:
                    self._cells[-1][2] += 1
                # tables, rows, cells (each w:tc once), content controls, custom XML, tracked
                # insertions: their paragraphs and tables in document order
                self.blocks(child, out)

    def paragraph(self, p: object, out: list[str]) -> None:
        """One line: the paragraph's runs; text boxes anchored in it follow as lines of their own."""
        parts: list[str] = []
        boxes: list[str] = []

        def walk(element: object) -> None:
            for child in element:  # type: ignore[attr-defined]
                tag = child.tag
                if not isinstance(tag, str) or tag in _SKIP:
                    continue
                if tag in _TEXT:
                    parts.append(child.text or "")
                elif tag in _TAB:
                    parts.append("\t")
                elif tag in _BREAK:
                    parts.append("\n")  # a manual line break; a page break in Word is not page furniture
                elif tag == _NO_BREAK_HYPHEN:
                    parts.append("-")
                elif tag == _TXBX:
                    self.boxes += 1
                    self.blocks(child, boxes)
                else:
                    walk(child)

        walk(p)
        out.append("".join(parts))
        if out is self.lines:
            cell = (self._cells[-1][0], self._cells[-1][1], self._cells[-1][2]) if self._cells else None
            self.where.append(_Where(*_paragraph_style(p), cell=cell, depth=len(self._cells)))
            self.where.extend(_Where(cell=cell, depth=len(self._cells)) for _ in boxes)
        out.extend(boxes)


def _main_part(package: zipfile.ZipFile) -> str:
    """Name of the main document part, from the package relationships (usually word/document.xml)."""
    from lxml import etree

    from qcoder.corpus.xml_parser import safe_parser

    try:
        rels = etree.fromstring(package.read("_rels/.rels"), safe_parser())
    except (KeyError, etree.XMLSyntaxError):
        return "word/document.xml"
    for rel in rels:
        if rel.get("Type") in (_OFFICE_DOCUMENT, _STRICT_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
            return normpath(rel.get("Target", "").lstrip("/"))  # relative to the package root
    return "word/document.xml"


def word_text(raw: bytes) -> str:
    """Every ``w:t``/``m:t`` run of the main document part, concatenated: the independent count.

    This deliberately shares nothing with the reader but the definition of what counts as
    text: it opens the zip itself and takes all runs with one XPath, tables nested or not.
    """
    from lxml import etree

    from qcoder.corpus.xml_parser import safe_parser

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            root = etree.fromstring(package.read(_main_part(package)), safe_parser())
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError):
        raise ImportRefused(
            "this is not a valid .docx (Word 2007+) file; open it in Word or LibreOffice and save it again"
        ) from None
    nodes = cast("list[etree._Element]", root.xpath(_COUNTED, namespaces=_NS))  # the path selects elements only
    return "".join("-" if node.tag == _NO_BREAK_HYPHEN else (node.text or "") for node in nodes)


def _visible(text: str) -> Counter[str]:
    return Counter("".join(text.split()))


def _shortfall(expected: str, got: str) -> str:
    """One line saying which characters the reader lost or repeated (empty if none)."""
    want, have = _visible(expected), _visible(got)
    if want == have:
        return ""
    lost, extra = want - have, have - want
    total = sum(want.values())
    parts = []
    if lost:
        sample = "".join(sorted(lost, key=expected.find)[:12])
        parts.append(f"{sum(lost.values()):,} of its {total:,} characters were not read (e.g. {sample!r})")
    if extra:
        sample = "".join(sorted(extra, key=got.find)[:12])
        parts.append(f"{sum(extra.values()):,} characters were read twice (e.g. {sample!r})")
    return "; ".join(parts)


DOCX_MEMBER_CAP = 256 * 1024 * 1024  # one part (document.xml of a book, an embedded video)
DOCX_TOTAL_CAP = 512 * 1024 * 1024


def _refuse_bombs(raw: bytes) -> None:
    """Before python-docx reads every part into memory: refuse a package that says it is a bomb."""
    from qcoder.corpus.zip_limits import check_declared

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            check_declared(
                package,
                lambda line: ImportRefused(f"this .docx: {line}"),
                member_cap=DOCX_MEMBER_CAP,
                total_cap=DOCX_TOTAL_CAP,
            )
    except zipfile.BadZipFile:
        return  # python-docx says what is wrong with it


def read_docx(raw: bytes) -> Decoded:
    """One line per Word paragraph (cells, nested tables and text boxes included), checked
    character for character against `word_text`."""
    return _read(raw)[1]


def _read(raw: bytes) -> tuple[_Reader, Decoded, object]:
    """The reader (lines and where each stands), the checked text, and python-docx's document."""
    try:
        import docx
    except ImportError:  # pragma: no cover - python-docx is a declared dependency
        raise ImportRefused(
            "importing .docx needs the 'python-docx' package; install it or save the file as .txt"
        ) from None
    _refuse_bombs(raw)
    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception:
        raise ImportRefused(
            "this is not a valid .docx (Word 2007+) file; open it in Word or LibreOffice and save it again"
        ) from None
    reader = _Reader()
    try:
        reader.blocks(document.element.body, reader.lines)
    except RecursionError:
        raise ImportRefused(
            "the .docx nests tables too deeply to read; save it as .txt (UTF-8) and import that"
        ) from None
    text = "\n".join(reader.lines)
    if not text.strip():
        raise ImportRefused("the .docx file has no text in its paragraphs; nothing to import")
    expected = word_text(raw)
    problem = _shortfall(expected, text)
    if problem:
        raise ImportRefused(
            f"reading this .docx went wrong: {problem}; nothing was imported. Save it as .txt (UTF-8) and import that"
        )
    count = len("".join(expected.split()))
    what = [f"{len(reader.lines)} paragraphs"]
    if reader.tables:
        what.append(f"{reader.tables} table{'s' if reader.tables != 1 else ''}")
    if reader.boxes:
        what.append(f"{reader.boxes} text box{'es' if reader.boxes != 1 else ''}")
    decoded = Decoded(
        text=text,
        encoding="docx",
        how=f"Word body: {', '.join(what)}; all {count:,} characters of its text runs read",
    )
    return reader, decoded, document


# ---------------------------------------------------------------------------------------
# Blocks: headings, list items, transcript tables and turns, footnotes and comments
# ---------------------------------------------------------------------------------------

_HEADING_NAME = re.compile(r"(?:heading|标题|標題)\s*(\d)$", re.IGNORECASE)
_TITLE_NAMES = frozenset({"title", "subtitle"})
_LIST_NAME = re.compile(r"^(?:list|列表)", re.IGNORECASE)
# A transcript table's first column: a name or role, short, no sentence punctuation.
_NAME_CELL = re.compile(r"[^\s。！？!?，,；;]{1,12}(?:\s?\d{1,2}:\d{2}(?::\d{2})?)?")
_NAME_HEADERS = frozenset(
    {"说话人", "說話人", "发言人", "發言人", "角色", "姓名", "身份", "人物", "speaker", "name", "who", "role"}
)


def _styles(document: object) -> dict[str, tuple[str, int | None]]:
    """Style id → (lower-case name, heading level from the name or the style's outline level)."""
    out: dict[str, tuple[str, int | None]] = {}
    for style in document.styles:  # type: ignore[attr-defined]
        name = (style.name or "").strip().lower()
        level: int | None = None
        m = _HEADING_NAME.match(name)
        if m:
            level = int(m.group(1))
        elif name in _TITLE_NAMES:
            level = 1 if name == "title" else 2
        else:
            element = style.element
            outline = element.find(f"{{{W}}}pPr/{{{W}}}outlineLvl")
            if outline is not None and (outline.get(_VAL) or "").isdigit() and int(outline.get(_VAL)) < 9:
                level = int(outline.get(_VAL)) + 1
        out[style.style_id] = (name, level)
    return out


def _transcript_table(rows: dict[int, dict[int, list[int]]], lines: list[str]) -> bool:
    """Two cells a row, the first a short name that recurs: speaker | utterance."""
    from qcoder.corpus.transcript import is_role

    if len(rows) < 2 or any(sorted(cells) != [0, 1] for cells in rows.values()):
        return False
    names = ["".join(lines[i] for i in cells[0]).strip() for cells in rows.values()]
    body = names[1:] if names[0].lower() in _NAME_HEADERS else names
    if len(body) < 2 or not all(_NAME_CELL.fullmatch(name) for name in body if name):
        return False
    named = [name for name in body if name]
    distinct = set(named)
    if not distinct or len(distinct) > max(2, len(body) // 2):
        return False
    # the names recur (a conversation) or are interview roles: 姓名 | 张三 / 年龄 | 45 is a form
    return len(distinct) < len(named) or all(is_role(name) for name in distinct)


def _annotations(raw: bytes) -> list[str]:
    """Footnotes, endnotes and comments: reported in the import report, never mixed into the text."""
    from lxml import etree

    from qcoder.corpus.xml_parser import safe_parser

    notes: list[str] = []
    parts = (("word/footnotes.xml", "footnote", "footnotes"), ("word/endnotes.xml", "endnote", "endnotes"))
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as package:
            names = set(package.namelist())
            for part, tag, what in (*parts, ("word/comments.xml", "comment", "comments")):
                if part not in names:
                    continue
                root = etree.fromstring(package.read(part), safe_parser())
                texts = []
                for note in root.iter(f"{{{W}}}{tag}"):
                    if tag != "comment" and note.get(f"{{{W}}}type") in ("separator", "continuationSeparator"):
                        continue
                    text = "".join(t.text or "" for t in note.iter(f"{{{W}}}t")).strip()
                    if text:
                        author = note.get(f"{{{W}}}author") if tag == "comment" else None
                        texts.append(f"{author}: {text}" if author else text)
                if texts:
                    notes.append(f"{len(texts)} {what} not imported as statements (kept out of the text):")
                    notes.extend(f"  {text[:80]!r}" for text in texts)
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, OSError):
        notes.append("footnotes or comments could not be read; they are not part of the text")
    return notes


def read_docx_sources(raw: bytes, options: PipelineOptions) -> list[StructuredSource]:
    """The Word file as blocks (see `read_docx` for what is read and checked).

    A paragraph in a Heading style (or with an outline level) is a heading with its level and is
    never glued to the next paragraph; a numbered or bulleted paragraph is a list item; a table is
    read row by row, each cell a unit, and a two-column table whose first column holds short names
    is a transcript: each row a turn of that speaker. Body paragraphs that start with speaker labels
    (访谈者：, 问：, Q: ...) are turns as in plain-text transcripts."""
    from qcoder.corpus.transcript import transcript_blocks

    reader, decoded, document = _read(raw)
    lines = reader.lines
    where = reader.where if len(reader.where) == len(lines) else [_Where() for _ in lines]
    styles = _styles(document)
    tables: dict[int, dict[int, dict[int, list[int]]]] = {}
    for i, w in enumerate(where):
        if w.cell is not None:
            table, row, col = w.cell
            tables.setdefault(table, {}).setdefault(row, {}).setdefault(col, []).append(i)
    nested = {w.cell[0] for w in where if w.cell is not None and w.depth > 1}
    transcripts = {t for t, rows in tables.items() if t not in nested and _transcript_table(rows, lines)}
    labels = StepReport("speaker_labels")
    blocks: list[Block] = []
    plain: list[int] = []  # indexes into `blocks` of body paragraphs (checked for speaker labels)
    done: set[int] = set()
    for i, (line, w) in enumerate(zip(lines, where, strict=True)):
        if i in done:
            continue
        if w.cell is not None and w.cell[0] in transcripts:
            table, row, _col = w.cell
            cells = tables[table][row]
            done.update(cells[0] + cells[1])
            name = " ".join(lines[j].strip() for j in cells[0]).strip()
            said = [lines[j] for j in cells[1] if lines[j].strip()]
            if name:
                labels.removed.append(name)
                labels.changes += 1
            if row == min(tables[table]) and name.lower() in _NAME_HEADERS:
                blocks.extend(Block(text, "paragraph") for text in said)  # a header row: its second cell
                continue
            attributes = {"speaker": name} if name else {}
            blocks.extend(Block(text, "turn", attributes=dict(attributes)) for text in said)
            continue
        if not line.strip():
            continue
        name, level = styles.get(w.style, ("", None))
        if w.outline is not None and w.outline < 9:
            level = w.outline + 1
        if level is not None:
            blocks.append(Block(line, "heading", level=level))
        elif w.numbered or _LIST_NAME.match(name):
            blocks.append(Block(line, "list_item"))
        else:
            if w.cell is None:
                plain.append(len(blocks))
            blocks.append(Block(line, "paragraph"))
    turned = transcript_blocks([blocks[i].text for i in plain]) if plain else None
    if turned is not None:
        turns, found = turned
        # one entry per paragraph, in the same order, labels taken off (None: nothing but a label)
        gone = set()
        for index, turn in zip(plain, turns, strict=True):
            if turn is None:
                gone.add(index)
            else:
                blocks[index] = turn
        blocks = [block for i, block in enumerate(blocks) if i not in gone]
        labels.removed.extend(found.removed)
        labels.changes += found.changes
    speakers = Counter(b.attributes.get("speaker", "") for b in blocks if b.kind == "turn")
    notes: list[str] = []
    if speakers:
        notes.append("transcript: " + ", ".join(f"{who or '(no speaker)'} {n} turns" for who, n in speakers.items()))
    notes.extend(_annotations(raw))
    return [
        StructuredSource(
            blocks=blocks,
            reader=f"docx (python-docx; styles, lists, tables, transcript tables): {decoded.how}",
            removed=[labels] if labels.removed else [],
            notes=notes,
            encoding="docx",
            read_chars=len("".join(decoded.text.split())),
            keep_lines=True,
            furniture=True,
        )
    ]
