"""HTML (.html, .htm) → blocks with lxml's HTML parser (already a dependency; no regular expressions on tags).

Headings keep their level, list items and table rows are units of their own, paragraphs are blocks;
inline markup (links, bold, spans) leaves only its text. Scripts, styles, navigation, forms' hidden
parts and code (`<pre>`) are not statements: they are dropped and listed. Image alt text is listed as
well (and named in the notes), `<figcaption>` becomes a caption block, `<title>` the document's "title"
attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.decode import decode
from qcoder.corpus.readers._text import glue, one_line, report, settle_paragraphs, tidy, visible
from qcoder.corpus.types import ImportRefused, PipelineOptions

DROPPED = {"script", "style", "nav", "noscript", "template", "iframe", "svg", "math", "canvas", "object", "select"}
CODE = {"pre"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = {
    "p", "div", "section", "article", "main", "blockquote", "header", "footer", "aside", "figure", "address",
    "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "caption", "form", "fieldset", "body",
    "html", "center", "details", "summary", "hr",
}  # fmt: skip
CELLS = {"td", "th"}


@dataclass
class Walker:
    """Walks an element tree, collecting blocks and what it leaves out."""

    blocks: list[Block] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)  # scripts, styles, nav, code
    alt: list[str] = field(default_factory=list)  # image alt text
    buffer: list[str] = field(default_factory=list)
    kind: str = "paragraph"
    level: int | None = None

    def flush(self) -> None:
        lines = [""]  # a paragraph keeps its line breaks (<br>, newlines): they may separate speaker turns
        for piece in self.buffer:
            for k, part in enumerate(piece.split("\n")):
                if k:
                    lines.append("")
                if part.strip():
                    lines[-1] = glue(lines[-1], tidy(part))
        self.buffer.clear()
        lines = [line for line in lines if line]
        text = "\n".join(lines) if self.kind == "paragraph" else one_line("\n".join(lines))
        if text:
            self.blocks.append(Block(text, kind=self.kind, level=self.level))
        self.kind, self.level = "paragraph", None

    def add(self, text: str | None) -> None:
        if text:
            self.buffer.append(text)

    def walk(self, el: etree._Element) -> None:
        if not isinstance(el.tag, str):  # comments, processing instructions: never visible
            return
        tag = el.tag.lower()
        if tag == "title" or tag == "head":
            return  # the caller reads the title
        if tag in DROPPED or tag in CODE:
            text = " ".join(str(t) for t in el.itertext()).strip()
            if text.strip():
                self.dropped.append(tidy(text) if tag not in CODE else text.strip())
            return
        if tag == "img":
            alt = (el.get("alt") or "").strip()
            if alt:
                self.alt.append(alt)
            return
        if tag == "br":
            self.buffer.append("\n")
            return
        if tag == "tr":  # one block per row, cells kept apart by a space
            self.flush()
            cells: list[str] = []
            for child in el:
                cell = Walker()
                cell.walk(child)
                cell.add(child.tail)
                cell.flush()
                self.dropped.extend(cell.dropped)
                self.alt.extend(cell.alt)
                cells.extend(one_line(b.text) for b in cell.blocks)
            if cells:
                self.blocks.append(Block(" ".join(cells), kind="table_row"))
            return
        if tag in HEADINGS or tag in BLOCKS or tag in ("li", "figcaption"):
            self.flush()
            self.add(el.text)
            for child in el:
                self.walk(child)
                self.add(child.tail)
            if tag in HEADINGS:
                self.kind, self.level = "heading", HEADINGS[tag]
            elif tag == "li":
                self.kind = "list_item"
            elif tag == "figcaption":
                self.kind = "caption"
            self.flush()
            return
        if tag in CELLS:
            self.buffer.append(" ")
        self.add(el.text)
        for child in el:
            self.walk(child)
            self.add(child.tail)
        if tag in CELLS:
            self.buffer.append(" ")


def visible_text(root: etree._Element) -> int:
    """Visible characters of every text node and image alt text under `root` (comments excluded)."""
    n = 0
    for el in root.iter():
        if isinstance(el.tag, str):
            n += visible(el.text or "")
            if el.tag.lower() == "img":
                n += visible(el.get("alt") or "")
        if el is not root:
            n += visible(el.tail or "")
    return n


def parse(text: str) -> etree._Element:
    """HTML text → element tree (lxml's forgiving HTML parser; never fetches anything)."""
    if not text.strip():
        raise ImportRefused("the file is empty; nothing to import")
    try:
        return lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ImportRefused(f"cannot parse this HTML ({exc}); open it in a browser and save it again") from None


def read_html(raw: bytes, options: PipelineOptions = PipelineOptions()) -> list[StructuredSource]:
    """One HTML page → one structured source."""
    decoded = decode(raw, max_bytes=options.max_bytes)
    root = parse(decoded.text)
    attributes: dict[str, str] = {}
    title_el = root.find(".//title")
    title = tidy(" ".join(str(t) for t in title_el.itertext())) if title_el is not None else ""
    if title:
        attributes["title"] = title
    walker = Walker()
    head_read = _head_dropped(root, walker)
    body = root.find("body")
    walker.walk(body if body is not None else root)
    walker.flush()
    blocks, labels = settle_paragraphs(walker.blocks)
    removed = [
        r
        for r in (
            report("html_title", [title] if title else [], ["the <title> became the document attribute 'title'"]),
            report("html_dropped", walker.dropped, ["scripts, styles, navigation and code are not statements"]),
            report("html_images", walker.alt, ["image alt text is not a statement"]),
            report("speaker_labels", labels),
        )
        if r.changes
    ]
    return [
        StructuredSource(
            blocks=blocks,
            reader=f"html (lxml {'.'.join(map(str, etree.LXML_VERSION[:3]))}; {decoded.encoding})",
            encoding=decoded.encoding,  # what Document.encoding shows: the file's, not the format
            document_attributes=attributes,
            removed=removed,
            notes=[f"image alt text (not a statement): {a}" for a in walker.alt],
            marked_headings=True,  # <h1>…<h6> / `#` say what a heading is; a short <p> is not one
            read_chars=_body_chars(root) + visible(title) + head_read,
        )
    ]


def _body_chars(root: etree._Element) -> int:
    """Independent count: visible characters of every text node and alt attribute outside <head>."""
    body = root.find("body")
    return visible_text(body) if body is not None else visible_text(root)


def _head_dropped(root: etree._Element, walker: Walker) -> int:
    """Scripts and styles in <head> are read and dropped too: list them and count them."""
    head = root.find("head")
    if head is None:
        return 0
    n = 0
    for el in head:
        if isinstance(el.tag, str) and el.tag.lower() in DROPPED:
            text = " ".join(str(t) for t in el.itertext()).strip()
            if text:
                walker.dropped.append(tidy(text))
                n += visible(text)
    return n
