"""Importing files into a project in two steps: ``prepare`` outside any transaction, ``store_prepared`` inside one.

``prepare`` reads, decodes, cleans, splits and tokenizes a file (the slow part: jieba)
and writes nothing, so ``qcoder import --dry-run`` is ``prepare`` alone. ``store_prepared``
writes the document and its statements in the caller's transaction; on SQLite the write
lock is then held only for the inserts, and a bad file leaves the project exactly as it was.
Re-importing the same bytes is a no-op that says so (documents are keyed by SHA-256).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from wcwidth import wcswidth

from qcoder.corpus.pipeline import describe, process, removed_lines
from qcoder.corpus.tokenize import segmenter_of
from qcoder.corpus.types import ImportRefused, PipelineOptions, ProcessedDocument
from qcoder.errors import file_bytes, file_size
from qcoder.store.database import Project
from qcoder.store.events import log_event
from qcoder.store.labels import document_label, statement_label
from qcoder.store.models import DOCUMENT_ROLES, Document, Sentence

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class ImportResult:
    path: str
    status: str  # "imported" | "duplicate" | "dry-run"
    label: str = ""
    name: str = ""
    statements: int = 0
    headings: int = 0
    encoding: str = ""
    report: list[str] = field(default_factory=list)
    removed_lines: list[tuple[str, int]] = field(default_factory=list)  # (line, times) the cleaning deleted


def read_source(path: Path, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The raw bytes, with size refused before reading a huge file into memory."""
    size = file_size(path, ImportRefused)
    if size > max_bytes:
        raise ImportRefused(
            f"{path.name} is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit; split it into smaller files"
        )
    return file_bytes(path, ImportRefused)


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def next_document_number(session: Session) -> int:
    labels = session.scalars(select(Document.label))
    numbers = [int(label[1:]) for label in labels if label[1:].isdigit()]
    return max(numbers, default=0) + 1


def check_role(role: str) -> str:
    if role not in DOCUMENT_ROLES:
        raise ImportRefused(f"role {role!r} unknown; use one of: {', '.join(DOCUMENT_ROLES)}")
    return role


def store_document(
    session: Session,
    processed: ProcessedDocument,
    *,
    name: str,
    source_path: str | None,
    attributes: Mapping[str, str] | None = None,
    role: str = "coding",
    coder_id: int | None = None,
) -> Document:
    """Write one processed document and its statements (bulk insert: fast on 50k statements)."""
    label = document_label(next_document_number(session))
    document = Document(
        label=label,
        name=name,
        source_path=source_path,
        sha256=sha256(processed.raw),
        raw_bytes=processed.raw,
        encoding=processed.decoded.encoding,
        original_text=processed.decoded.text,
        text=processed.text,
        attributes=dict(attributes or {}),
        role=check_role(role),
        import_report=[*describe(processed), f"tokens: {segmenter_of(processed.tokens)}"],
    )
    session.add(document)
    session.flush()
    text = processed.text
    rows = []
    for ordinal, (span, tokens) in enumerate(zip(processed.spans, processed.tokens, strict=True), start=1):
        piece = text[span.start : span.end]
        rows.append(
            {
                "document_id": document.id,
                "ordinal": ordinal,
                "label": statement_label(label, ordinal),
                "start": span.start,
                "end": span.end,
                "kind": span.kind,
                "text": piece,
                "tokens": " ".join(tokens),
                "cell_width": max(wcswidth(piece), len(piece)),
            }
        )
    for start in range(0, len(rows), 2000):
        session.execute(insert(Sentence), rows[start : start + 2000])
    log_event(session, coder_id, "document.import", document_id=document.id, name=name, statements=len(rows))
    return document


def find_duplicate(session: Session, raw: bytes) -> Document | None:
    return session.scalar(select(Document).where(Document.sha256 == sha256(raw)))


def _duplicate_result(session: Session, path: Path, duplicate: Document) -> ImportResult:
    statements = session.scalar(select(func.count()).select_from(Sentence).where(Sentence.document_id == duplicate.id))
    return ImportResult(
        path=str(path),
        status="duplicate",
        label=duplicate.label,
        name=duplicate.name,
        statements=statements or 0,
        encoding=duplicate.encoding,
    )


@dataclass(frozen=True)
class PreparedFile:
    """A file read and processed, ready to store: everything ``store_prepared`` needs but the transaction."""

    path: Path
    raw: bytes
    name: str
    role: str
    attributes: Mapping[str, str]
    options: PipelineOptions
    processed: ProcessedDocument | None  # None: the project already held these bytes when prepared
    duplicate: ImportResult | None = None  # what the project held (``prepare`` with a project)

    def preview(self) -> ImportResult:
        """What storing would do, as ``--dry-run`` reports it (nothing is written)."""
        if self.duplicate is not None:
            return self.duplicate
        assert self.processed is not None
        return _processed_result(self, self.processed, "dry-run")


def _processed_result(prepared: PreparedFile, processed: ProcessedDocument, status: str) -> ImportResult:
    return ImportResult(
        path=str(prepared.path),
        status=status,
        name=prepared.name,
        statements=len(processed.spans),
        headings=sum(1 for span in processed.spans if span.kind == "heading"),
        encoding=processed.decoded.encoding,
        report=describe(processed),
        removed_lines=removed_lines(processed),
    )


def prepare(
    path: Path,
    options: PipelineOptions = PipelineOptions(),
    *,
    project: Project | None = None,
    name: str | None = None,
    role: str = "coding",
    attributes: Mapping[str, str] | None = None,
) -> PreparedFile:
    """Read and process one file, outside any write transaction; nothing is written.

    Given the ``project``, a file it already holds (same bytes) is only read and looked up
    (one short read), not run through the pipeline again.
    """
    check_role(role)
    raw = read_source(path, options.max_bytes)
    duplicate = None
    if project is not None:
        with project.session() as session:
            found = find_duplicate(session, raw)
            duplicate = None if found is None else _duplicate_result(session, path, found)
    processed = None if duplicate is not None else process(raw, options, filename=path.name)
    return PreparedFile(
        path=path,
        raw=raw,
        name=name or path.stem,
        role=role,
        attributes=dict(attributes or {}),
        options=options,
        processed=processed,
        duplicate=duplicate,
    )


def store_prepared(session: Session, prepared: PreparedFile, *, coder_id: int | None = None) -> ImportResult:
    """Store a prepared file in the caller's (write) transaction, unless the project already holds its bytes."""
    duplicate = find_duplicate(session, prepared.raw)
    if duplicate is not None:
        return _duplicate_result(session, prepared.path, duplicate)
    processed = prepared.processed
    if processed is None:  # the document it duplicated was deleted after ``prepare``
        processed = process(prepared.raw, prepared.options, filename=prepared.path.name)
    result = _processed_result(prepared, processed, "imported")
    document = store_document(
        session,
        processed,
        name=prepared.name,
        source_path=str(prepared.path.resolve()),
        attributes=prepared.attributes,
        role=prepared.role,
        coder_id=coder_id,
    )
    result.label = document.label
    return result


def import_path(
    project: Project,
    path: Path,
    *,
    options: PipelineOptions = PipelineOptions(),
    attributes: Mapping[str, str] | None = None,
    role: str = "coding",
    coder_id: int | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import one file: ``prepare`` outside the transaction, then ``store_prepared`` in one write transaction."""
    prepared = prepare(path, options, project=project, name=name, role=role, attributes=attributes)
    if prepared.duplicate is not None:
        return prepared.duplicate
    return project.run(lambda session: store_prepared(session, prepared, coder_id=coder_id))
