"""Importing files into a project: the pipeline's result stored as a document and statements.

Re-importing the same bytes is a no-op that says so (documents are keyed by SHA-256).
A file is processed completely before anything is written, and written in one
transaction, so a bad file leaves the project exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from wcwidth import wcswidth

from qcoder.coding.events import log_event
from qcoder.coding.statements import document_label, statement_label
from qcoder.corpus.pipeline import describe, process, removed_lines
from qcoder.corpus.types import ImportRefused, PipelineOptions, ProcessedDocument
from qcoder.errors import file_bytes, file_size
from qcoder.store.database import Project
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
        import_report=describe(processed),
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


def import_file(
    session: Session,
    path: Path,
    *,
    options: PipelineOptions = PipelineOptions(),
    attributes: Mapping[str, str] | None = None,
    role: str = "coding",
    dry_run: bool = False,
    coder_id: int | None = None,
    name: str | None = None,
    raw: bytes | None = None,
    processed: ProcessedDocument | None = None,
) -> ImportResult:
    """Import one file within the caller's transaction (``raw``/``processed`` if already done)."""
    check_role(role)
    if raw is None:
        raw = read_source(path, options.max_bytes)
    duplicate = find_duplicate(session, raw)
    if duplicate is not None:
        return ImportResult(
            path=str(path), status="duplicate", label=duplicate.label, name=duplicate.name,
            statements=session.scalar(
                select(func.count()).select_from(Sentence).where(Sentence.document_id == duplicate.id)
            ) or 0,
            encoding=duplicate.encoding,
        )
    if processed is None:
        processed = process(raw, options, filename=path.name)
    headings = sum(1 for span in processed.spans if span.kind == "heading")
    result = ImportResult(
        path=str(path), status="dry-run" if dry_run else "imported", name=name or path.stem,
        statements=len(processed.spans), headings=headings, encoding=processed.decoded.encoding,
        report=describe(processed), removed_lines=removed_lines(processed),
    )
    if dry_run:
        return result
    document = store_document(
        session, processed, name=result.name, source_path=str(path.resolve()), attributes=attributes,
        role=role, coder_id=coder_id,
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
    dry_run: bool = False,
    coder_id: int | None = None,
    name: str | None = None,
) -> ImportResult:
    """Import one file, running the slow pipeline (jieba) outside the write transaction.

    On SQLite the write lock is then held only for the inserts, so coders working in
    the same project are not blocked for the length of an import.
    """
    check_role(role)
    raw = read_source(path, options.max_bytes)
    with project.session() as session:
        duplicate = find_duplicate(session, raw)
    processed = None if duplicate is not None else process(raw, options, filename=path.name)
    return project.run(
        lambda s: import_file(
            s, path, options=options, attributes=attributes, role=role, dry_run=dry_run, coder_id=coder_id,
            name=name, raw=raw, processed=processed,
        )
    )
