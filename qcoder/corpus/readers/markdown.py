"""Markdown (.md, .markdown) → blocks with markdown-it-py (CommonMark + tables), front matter via mdit-py-plugins.

Front matter (YAML between `---` lines) becomes the document's attributes. Headings keep their level,
list items and table rows are units of their own; links keep their text; emphasis markers never
survive — also the `****Q：…？****` that CommonMark leaves as literal asterisks next to CJK punctuation.
Code (fenced, indented, inline backticks stay as text), images and raw HTML tags are not statements:
code and alt text are listed as removed (alt text named in the notes); an HTML block's text is read with
the HTML reader's rules.
"""

from __future__ import annotations

import re
from typing import Any

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.decode import decode
from qcoder.corpus.readers._text import one_line, report, settle_paragraphs, tidy, visible
from qcoder.corpus.readers.html import Walker, parse, visible_text
from qcoder.corpus.types import ImportRefused, PipelineOptions

_MARKERS = re.compile(r"\*{2,}|~~|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")  # emphasis left as literal text


def _parser() -> Any:
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").use(front_matter_plugin).enable(["table", "strikethrough"])


_STRUCTURE = frozenset(
    {"front_matter", "fence", "code_block", "html_block", "table_open", "bullet_list_open", "ordered_list_open"}
)
_INLINE_STRUCTURE = frozenset({"image", "link_open", "html_inline", "code_inline"})


def is_structured(raw: bytes) -> bool:
    """True if the file uses Markdown beyond headings and emphasis (front matter, lists, code, links, images,
    tables, HTML): then this reader is needed; otherwise the plain-text path reads it as well (and the
    seeds, text pasted from PDFs with a few `##`, import exactly as before)."""
    try:
        text = decode(raw, max_bytes=max(len(raw), 1)).text
    except ImportRefused:
        return True  # let the reader give the message
    for tok in _parser().parse(text):
        if tok.type in _STRUCTURE:
            return True
        if any(child.type in _INLINE_STRUCTURE for child in tok.children or []):
            return True
    return False


def _front_matter(content: str, notes: list[str]) -> dict[str, str]:
    """YAML front matter → flat string attributes (lists joined with '、')."""
    import yaml

    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as exc:
        notes.append(f"front matter is not valid YAML ({str(exc).splitlines()[0]}); kept out of the text, not used")
        return {}
    if not isinstance(data, dict):
        notes.append("front matter is not a list of 'name: value' lines; kept out of the text, not used")
        return {}
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):
            out[str(key)] = "、".join(str(v) for v in value)
        elif value is not None:
            out[str(key)] = str(value)
    return out


def read_markdown(raw: bytes, options: PipelineOptions = PipelineOptions()) -> list[StructuredSource]:
    """One Markdown file → one structured source."""
    decoded = decode(raw, max_bytes=options.max_bytes)
    tokens = _parser().parse(decoded.text)
    blocks: list[Block] = []
    code: list[str] = []
    alt: list[str] = []
    markers: list[str] = []
    front: list[str] = []
    notes: list[str] = []
    attributes: dict[str, str] = {}
    read = 0
    kind, level = "paragraph", None
    in_item = 0
    row: list[str] | None = None
    for tok in tokens:
        t = tok.type
        if t == "front_matter":
            read += visible(tok.content)
            front.append(tok.content)
            attributes = _front_matter(tok.content, notes)
        elif t == "heading_open":
            kind, level = "heading", int(tok.tag[1])
        elif t == "heading_close":
            kind, level = "paragraph", None
        elif t == "list_item_open":
            in_item += 1
        elif t == "list_item_close":
            in_item -= 1
        elif t == "tr_open":
            row = []
        elif t == "tr_close" and row is not None:
            text = " ".join(cell for cell in row if cell)
            if text:
                blocks.append(Block(text, kind="table_row"))
            row = None
        elif t in ("fence", "code_block"):
            read += visible(tok.content)
            if tok.content.strip():
                code.append(tok.content.strip())
        elif t == "html_block":
            root = parse(f"<html><body>{tok.content}</body></html>")
            body = root.find("body")
            read += visible_text(body if body is not None else root)
            walker = Walker()
            walker.walk(body if body is not None else root)
            walker.flush()
            blocks.extend(walker.blocks)
            code.extend(walker.dropped)
            alt.extend(walker.alt)
        elif t == "inline":
            pieces: list[str] = []
            for child in tok.children or []:
                if child.type in ("text", "code_inline"):
                    read += visible(child.content)
                    pieces.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    pieces.append("\n")
                elif child.type == "image":
                    text = "".join(c.content for c in child.children or []) or child.content
                    read += visible(text)
                    if text.strip():
                        alt.append(text.strip())
                elif child.type == "html_inline":
                    pass  # a tag (`<span>`): markup, not text; the text between tags is in the text tokens
            lines = []  # a paragraph keeps its line breaks: they may separate speaker turns (settled below)
            for piece in "".join(pieces).split("\n"):
                line = tidy(piece)
                found = _MARKERS.findall(line)
                if found:
                    markers.extend(found)
                    line = tidy(_MARKERS.sub("", line))
                if line:
                    lines.append(line)
            paragraph = row is None and kind != "heading" and not in_item
            text = "\n".join(lines) if paragraph else one_line("\n".join(lines))
            if not text:
                continue
            if row is not None:
                row.append(text)
            elif kind == "heading":
                blocks.append(Block(text, kind="heading", level=level))
            else:
                blocks.append(Block(text, kind="list_item" if in_item else "paragraph"))
    blocks, labels = settle_paragraphs(blocks)
    removed = [
        r
        for r in (
            report("markdown_front_matter", front, ["front matter became the document's attributes"] if front else []),
            report("markdown_code", code, ["code, scripts and styles are not statements"]),
            report("markdown_images", alt, ["image alt text is not a statement"]),
            report("markdown_emphasis", markers, ["emphasis markers left as text by the Markdown parser"]),
            report("speaker_labels", labels),
        )
        if r.changes
    ]
    notes.extend(f"image alt text (not a statement): {a}" for a in alt)
    return [
        StructuredSource(
            blocks=blocks,
            reader=f"markdown (markdown-it-py; {decoded.encoding})",
            encoding=decoded.encoding,  # what Document.encoding shows: the file's, not the format
            document_attributes=attributes,
            removed=removed,
            notes=notes,
            marked_headings=True,  # <h1>…<h6> / `#` say what a heading is; a short <p> is not one
            read_chars=read,
        )
    ]
