"""Documents arriving from another project or another tool, with their statements.

Two ways in. A document qcoder wrote itself (a merge, or a ``.qdpx`` carrying qcoder's
side files) arrives with its statements already cut: ``insert_document`` stores it as is,
keeping its label when that label is free. A text from another tool goes through
``verbatim_document``: decoded and split into statements like any import, but *not
cleaned* — the other tool's selection offsets count characters of exactly this text, and
cleaning (joining lines, dropping page furniture, converting script) would move them.
Only line ends are normalized, with a position map so offsets can follow.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.orm import Session
from wcwidth import wcswidth

from qcoder.corpus.types import Decoded, PipelineOptions, ProcessedDocument, StepReport
from qcoder.errors import QcoderError
from qcoder.store.events import log_event
from qcoder.store.labels import document_label, lock_document_labels, statement_label
from qcoder.store.models import DOCUMENT_ROLES, Document, Sentence

_LABEL = re.compile(r"^D\d+$")


@dataclass(frozen=True)
class StatementData:
    start: int
    end: int
    kind: str = "sentence"
    tokens: str = ""
    attributes: dict[str, str] = field(default_factory=dict)  # the statement's own: speaker, time, page …


@dataclass
class DocumentData:
    """Everything a ``Document`` row needs, from wherever it came."""

    name: str
    sha256: str
    raw_bytes: bytes
    encoding: str
    original_text: str
    text: str
    statements: list[StatementData]
    label: str | None = None  # wanted; used when free
    source_path: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    role: str = "coding"
    import_report: list[str] = field(default_factory=list)


def check_statements(text: str, statements: Sequence[StatementData], where: str) -> None:
    """Statements must lie inside the text, in order, without overlapping."""
    previous_end = 0
    for number, statement in enumerate(statements, start=1):
        if not 0 <= statement.start < statement.end <= len(text):
            raise QcoderError(
                f"{where}: statement {number} spans {statement.start}–{statement.end}, "
                f"outside the text ({len(text)} characters)"
            )
        if statement.start < previous_end:
            raise QcoderError(f"{where}: statement {number} overlaps the one before it")
        if statement.kind not in ("sentence", "heading", "context"):
            raise QcoderError(f"{where}: statement {number} has unknown kind {statement.kind!r}")
        previous_end = statement.end


@dataclass
class StatementIndex:
    """One document's statements as (start, end, id) in text order, to find what a span overlaps."""

    spans: list[tuple[int, int, int]]
    starts: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.spans.sort()
        self.starts = [span[0] for span in self.spans]

    @classmethod
    def of(cls, session: Session, document_id: int) -> StatementIndex:
        rows = session.execute(
            select(Sentence.start, Sentence.end, Sentence.id).where(Sentence.document_id == document_id)
        )
        return cls([(start, end, sid) for start, end, sid in rows])

    def overlapping(self, start: int, end: int) -> tuple[list[int], bool]:
        """Ids of the statements overlapping [start, end), and whether any is only partly covered."""
        if start >= end:
            return [], False
        found, partial = [], False
        for s_start, s_end, sid in self.spans[max(bisect_right(self.starts, start) - 1, 0) :]:
            if s_start >= end:
                break
            if s_end > start:
                found.append(sid)
                partial = partial or s_start < start or s_end > end
        return found, partial

    def pieces(self, start: int, end: int) -> list[tuple[int, tuple[int, int] | None]]:
        """The span [start, end) cut at statement boundaries: (statement id, quote span inside
        that statement, or None where the span covers the whole statement), in text order."""
        if start >= end:
            return []
        found: list[tuple[int, tuple[int, int] | None]] = []
        for s_start, s_end, sid in self.spans[max(bisect_right(self.starts, start) - 1, 0) :]:
            if s_start >= end:
                break
            if s_end > start:
                q_start, q_end = max(start, s_start) - s_start, min(end, s_end) - s_start
                found.append((sid, None if (q_start, q_end) == (0, s_end - s_start) else (q_start, q_end)))
        return found


def free_label(session: Session, wanted: str | None) -> str:
    """``wanted`` if it is a document label not yet used, else the next free number."""
    lock_document_labels(session)  # another import's labels wait until this transaction ends
    taken = set(session.scalars(select(Document.label)))
    if wanted and _LABEL.match(wanted) and wanted not in taken:
        return wanted
    numbers = [int(label[1:]) for label in taken if label[1:].isdigit()]
    return document_label(max(numbers, default=0) + 1)


def insert_document(session: Session, data: DocumentData, *, coder_id: int | None = None, via: str) -> Document:
    """Store a document and its statements exactly as given (bulk insert)."""
    if data.role not in DOCUMENT_ROLES:
        raise QcoderError(f"document {data.name!r}: role {data.role!r} unknown")
    check_statements(data.text, data.statements, f"document {data.name!r}")
    label = free_label(session, data.label)
    document = Document(
        label=label,
        name=data.name,
        source_path=data.source_path,
        sha256=data.sha256,
        raw_bytes=data.raw_bytes,
        encoding=data.encoding,
        original_text=data.original_text,
        text=data.text,
        attributes=dict(data.attributes),
        role=data.role,
        import_report=list(data.import_report),
    )
    session.add(document)
    session.flush()
    rows = []
    for ordinal, statement in enumerate(data.statements, start=1):
        piece = data.text[statement.start : statement.end]
        rows.append(
            {
                "document_id": document.id,
                "ordinal": ordinal,
                "label": statement_label(label, ordinal),
                "start": statement.start,
                "end": statement.end,
                "kind": statement.kind,
                "text": piece,
                "tokens": statement.tokens,
                "attributes": dict(statement.attributes),
                "cell_width": max(wcswidth(piece), len(piece)),
            }
        )
    for start in range(0, len(rows), 2000):
        session.execute(insert(Sentence), rows[start : start + 2000])
    log_event(
        session, coder_id, "document.import", document_id=document.id, name=data.name, statements=len(rows), via=via
    )
    return document


# ---------------------------------------------------------------------------------------
# Texts from other tools
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineEnds:
    """Where CR-LF pairs lost their CR: maps offsets in the file's text to the stored text."""

    removed: tuple[int, ...]  # positions of the dropped CRs in the file's text

    def to_stored(self, position: int) -> int:
        return position - bisect_left(self.removed, position)


def normalize_line_ends(text: str) -> tuple[str, LineEnds]:
    """CR-LF → LF (a lone CR → LF, same length); returns the text and the position map."""
    removed = tuple(match.start() for match in re.finditer("\r\n", text))
    return text.replace("\r\n", "\n").replace("\r", "\n"), LineEnds(removed)


def verbatim_document(
    raw: bytes, decoded: Decoded, text: str, options: PipelineOptions, line_ends: int
) -> ProcessedDocument:
    """Statements and tokens of ``text`` as it is (see the module docstring for why)."""
    from qcoder.corpus.clean import find_mojibake
    from qcoder.corpus.split import split
    from qcoder.corpus.tokenize import tokenize

    spans = split(text, semicolon=options.split_on_semicolon)
    tokens = tokenize([text[s.start : s.end] for s in spans], options.user_words)
    notes = ["text kept exactly as the other tool exported it, so its selections stay in place"]
    if options.to_simplified:
        notes.append("not converted to Simplified: conversion would move the other tool's offsets")
    report = StepReport("keep_text", changes=line_ends, notes=notes)
    return ProcessedDocument(
        raw=raw, decoded=decoded, text=text, spans=spans, tokens=tokens, reports=[report], mojibake=find_mojibake(text)
    )


def decode_source(raw: bytes, filename: str, options: PipelineOptions) -> Decoded:
    """Decode a source file as the import pipeline does (byte-order marks, legacy encodings)."""
    from qcoder.corpus.pipeline import read

    return read(
        raw,
        filename=filename if filename.lower().endswith((".txt", ".text")) else "source.txt",
        max_bytes=options.max_bytes,
    )
