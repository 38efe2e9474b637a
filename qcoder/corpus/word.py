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
import zipfile
from collections import Counter
from posixpath import normpath
from typing import TYPE_CHECKING, cast

from qcoder.corpus.types import Decoded, ImportRefused

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


class _Reader:
    """Collects one line per paragraph; counts tables so the import report can say so."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.tables = 0
        self.boxes = 0

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
            else:
                if tag == _TBL:
                    self.tables += 1
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
    return Decoded(
        text=text,
        encoding="docx",
        how=f"Word body: {', '.join(what)}; all {count:,} characters of its text runs read",
    )
