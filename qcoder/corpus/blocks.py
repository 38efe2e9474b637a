"""Structured sources: what a reader of PDF, Markdown, HTML, subtitles or spreadsheets hands the pipeline.

Plain text arrives as one string and the pipeline finds its paragraphs and statements. Structured
sources already know more — a heading and its level, a speaker turn with its time, the page a paragraph
is on, the row an answer came from — and that knowledge must reach the statements. A reader therefore
returns blocks: the pipeline cleans, splits and tokenizes each block on its own (a statement never
crosses a block boundary), joins the blocks with a blank line in the stored text, and gives every
statement cut from a block the block's kind and attributes. Everything a reader leaves out (page
furniture, code fences, images, markup) is listed in `removed`, so the import accounting still holds:
characters read = characters kept + characters listed as removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qcoder.corpus.types import StepReport

BLOCK_KINDS = ("paragraph", "heading", "list_item", "turn", "line", "caption", "table_row", "answer")


@dataclass(frozen=True)
class Block:
    """One unit of a structured source; statements are cut inside it, never across it."""

    text: str
    kind: str = "paragraph"  # one of BLOCK_KINDS
    level: int | None = None  # heading level (1 = top) for kind == "heading"
    attributes: dict[str, str] = field(default_factory=dict)  # statement attributes: speaker, time, page, row


@dataclass
class StructuredSource:
    """A reader's result for one document (a spreadsheet gives one per row/case)."""

    blocks: list[Block]
    reader: str  # which reader and library produced it, e.g. "pdf (pdfplumber 0.11)", shown by --dry-run
    name: str = ""  # document name when one file gives several documents (spreadsheet rows); else ""
    document_attributes: dict[str, str] = field(default_factory=dict)  # the case: front matter, row columns
    removed: list[StepReport] = field(default_factory=list)  # what the reader left out, with reasons
    notes: list[str] = field(default_factory=list)  # remarks for the import report (footnotes, alt text ...)
    read_chars: int = 0  # visible characters the reader saw in the source (for the accounting)
    encoding: str = ""  # what the import report and Document.encoding show, e.g. "pdf"; "" = the reader's first word
    keep_lines: bool = False  # line breaks inside a block are the writer's (Word): never re-joined
    furniture: bool = False  # find page furniture and letterhead across all blocks (text pasted from PDFs)
    # the format marks its headings (Markdown `#`, HTML <h1>): a paragraph block is never guessed to be one,
    # however short and unpunctuated (PDF and Word paragraphs still are: there a bold short line is a title)
    marked_headings: bool = False
