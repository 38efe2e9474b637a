"""Data passed between the import steps.

Every step is a small pure function; these records carry what each step produced and
what it changed, so `qcoder import --dry-run` can report it and tests can check that
nothing is lost silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qcoder.errors import QcoderError
from qcoder.store.import_options import PipelineOptions  # noqa: F401 - re-exported: the store reads it from settings


class ImportRefused(QcoderError):
    """A file cannot be imported; the message is one line that says what to do."""


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # e.g. "utf-8", "utf-8-sig", "utf-16-le", "gb18030", "big5"
    how: str  # why this encoding was chosen: "bom", "valid utf-8", "charset-normalizer", ...


@dataclass
class StepReport:
    """What one cleaning/convert step did: how many changes and what it removed."""

    step: str
    changes: int = 0
    removed: list[str] = field(default_factory=list)  # non-space content the step deleted
    notes: list[str] = field(default_factory=list)  # human-readable remarks (e.g. mojibake flags)


@dataclass(frozen=True)
class Span:
    """A statement: `text[start:end]` of the normalized document text (code points)."""

    start: int
    end: int
    kind: str = "sentence"  # "sentence" | "heading" | "context" (shown, not for coding)
    # the statement's own attributes (speaker, time, page, row, heading level), from its block
    attributes: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class ProcessedDocument:
    raw: bytes
    decoded: Decoded
    text: str  # normalized text: what sentences index into
    spans: list[Span]
    tokens: list[list[str]]  # jieba tokens per span
    reports: list[StepReport]
    mojibake: list[tuple[int, int]] = field(default_factory=list)  # suspicious spans in `text`
    reader: str = ""  # the reader that produced the blocks (structured sources); "" for the plain-text path
    name: str = ""  # document name when one file gives several documents (spreadsheet rows)
    document_attributes: dict[str, str] = field(default_factory=dict)  # the case, from the reader
    read_chars: int | None = None  # visible characters the reader saw, when it left some out
    notes: list[str] = field(default_factory=list)  # the reader's remarks (footnotes, comments, units found)
