"""Importing files into a project in two steps: ``prepare`` outside any transaction, ``store_prepared`` inside one.

``prepare`` reads, decodes, cleans, splits and tokenizes a file (the slow part: jieba)
and writes nothing, so ``qcoder import --dry-run`` is ``prepare`` alone. ``store_prepared``
writes the document and its statements in the caller's transaction; on SQLite the write
lock is then held only for the inserts, and a bad file leaves the project exactly as it was.
Re-importing the same bytes is a no-op that says so (documents are keyed by SHA-256).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session
from wcwidth import wcswidth

from qcoder.corpus.pipeline import bulk, describe, process_all, removed_lines
from qcoder.corpus.tokenize import segmenter_of
from qcoder.corpus.types import ImportRefused, PipelineOptions, ProcessedDocument
from qcoder.errors import file_bytes, file_size
from qcoder.store.database import Project
from qcoder.store.events import log_event
from qcoder.store.labels import document_label, lock_document_labels, statement_label
from qcoder.store.models import DOCUMENT_ROLES, Document, Event, Sentence

MAX_FILE_BYTES = 50 * 1024 * 1024
# The tables behind the models, for SQLAlchemy Core inserts (no ORM bookkeeping per row).
DOCUMENTS = cast(Table, Document.__table__)
SENTENCES = cast(Table, Sentence.__table__)
EVENTS = cast(Table, Event.__table__)


@dataclass
class ImportResult:
    path: str
    status: str  # "imported" | "duplicate" | "dry-run"
    label: str = ""
    name: str = ""
    statements: int = 0
    headings: int = 0
    encoding: str = ""
    documents: int = 1  # how many documents the file gave (a spreadsheet: one per row)
    labels: list[str] = field(default_factory=list)  # every document's label, when several
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
    lock_document_labels(session)  # another import's next label waits until this transaction ends
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
        attributes={**processed.document_attributes, **dict(attributes or {})},
        role=check_role(role),
        import_report=[*describe(processed), f"tokens: {segmenter_of(processed.tokens)}"],
    )
    session.add(document)
    session.flush()
    rows = _statement_rows(document.id, label, processed)
    for chunk in _chunks(rows):  # Core: the ORM's bulk bookkeeping costs more than the writes
        session.execute(insert(SENTENCES), chunk)
    log_event(session, coder_id, "document.import", document_id=document.id, name=name, statements=len(rows))
    return document


def _statement_rows(document_id: int, label: str, processed: ProcessedDocument) -> list[dict[str, object]]:
    text = processed.text
    rows: list[dict[str, object]] = []
    for ordinal, (span, tokens) in enumerate(zip(processed.spans, processed.tokens, strict=True), start=1):
        piece = text[span.start : span.end]
        rows.append(
            {
                "document_id": document_id,
                "ordinal": ordinal,
                "label": statement_label(label, ordinal),
                "start": span.start,
                "end": span.end,
                "kind": span.kind,
                "text": piece,
                "tokens": " ".join(tokens),
                "attributes": dict(span.attributes),
                "cell_width": max(wcswidth(piece), len(piece)),
            }
        )
    return rows


_CHUNK = 1000  # rows per executemany: bounded memory and statement size on SQLite and PostgreSQL
_LOOKUP = 500  # labels per IN (...): under the 999 parameters of SQLite builds older than 3.32


def _chunks(rows: Sequence[Mapping[str, object]]) -> Iterator[Sequence[Mapping[str, object]]]:
    for start in range(0, len(rows), _CHUNK):
        yield rows[start : start + _CHUNK]


def store_documents(
    session: Session,
    documents: list[ProcessedDocument],
    *,
    names: list[str],
    source_path: str | None,
    attributes: Mapping[str, str] | None = None,
    role: str = "coding",
    coder_id: int | None = None,
) -> list[str]:
    """Write the several documents of one file (spreadsheet rows) in bulk; returns their labels.

    The file's bytes and key go with the first document; each further one keeps its own text's
    bytes and a key of its own (the file's key and its number), so re-importing the file is
    recognised by the first and no document repeats the whole file.

    Rows go through SQLAlchemy Core (``insert(table)`` executemany, in chunks): the ORM's bulk
    path spends more on bookkeeping than the database on writing, and asking for each new id
    back (RETURNING in parameter order) makes SQLite insert one row at a time. The ids are
    read back by label afterwards, in the same transaction."""
    with bulk():
        return _store_documents(
            session,
            documents,
            names=names,
            source_path=source_path,
            attributes=attributes,
            role=role,
            coder_id=coder_id,
        )


def _store_documents(
    session: Session,
    documents: list[ProcessedDocument],
    *,
    names: list[str],
    source_path: str | None,
    attributes: Mapping[str, str] | None,
    role: str,
    coder_id: int | None,
) -> list[str]:
    check_role(role)
    number = next_document_number(session)
    whole = sha256(documents[0].raw)
    labels = [document_label(number + i) for i in range(len(documents))]
    extra = dict(attributes or {})
    rows = [
        {
            "label": label,
            "name": name,
            "source_path": source_path,
            "sha256": sha256(f"{whole}#{i}".encode()) if i else whole,
            "raw_bytes": processed.text.encode("utf-8") if i else processed.raw,
            "encoding": processed.decoded.encoding,
            "original_text": processed.decoded.text,
            "text": processed.text,
            "attributes": {**processed.document_attributes, **extra},
            "role": role,
            "import_report": [*describe(processed), f"tokens: {segmenter_of(processed.tokens)}"],
        }
        for i, (label, name, processed) in enumerate(zip(labels, names, documents, strict=True))
    ]
    for chunk in _chunks(rows):
        session.execute(insert(DOCUMENTS), chunk)
    del rows
    by_label: dict[str, int] = {}
    for start in range(0, len(labels), _LOOKUP):
        wanted = labels[start : start + _LOOKUP]
        found = session.execute(select(Document.label, Document.id).where(Document.label.in_(wanted)))
        by_label.update((label, document_id) for label, document_id in found)
    ids = [by_label[label] for label in labels]
    statements: list[dict[str, object]] = []
    for document_id, label, processed in zip(ids, labels, documents, strict=True):
        statements.extend(_statement_rows(document_id, label, processed))
        if len(statements) >= _CHUNK:
            session.execute(insert(SENTENCES), statements)
            statements = []
    if statements:
        session.execute(insert(SENTENCES), statements)
    events = [
        {
            "coder_id": coder_id,
            "action": "document.import",
            "payload": {"document_id": document_id, "name": name, "statements": len(processed.spans)},
        }
        for document_id, name, processed in zip(ids, names, documents, strict=True)
    ]
    for chunk in _chunks(events):
        session.execute(insert(EVENTS), chunk)
    return labels


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
    more: tuple[ProcessedDocument, ...] = ()  # the file's further documents (spreadsheet rows)

    def documents(self) -> list[ProcessedDocument]:
        return [] if self.processed is None else [self.processed, *self.more]

    def preview(self) -> ImportResult:
        """What storing would do, as ``--dry-run`` reports it (nothing is written)."""
        if self.duplicate is not None:
            return self.duplicate
        assert self.processed is not None
        return _processed_result(self, self.documents(), "dry-run")


_REPORTED = 5  # documents of one file described in full in the import result (every one keeps its report)


def _processed_result(prepared: PreparedFile, documents: list[ProcessedDocument], status: str) -> ImportResult:
    first = documents[0]
    report = describe(first)
    for more in documents[1:_REPORTED]:
        report.append(f"document {more.name!r}:")
        report.extend(f"  {line}" for line in describe(more))
    if len(documents) > _REPORTED:
        report.append(f"... and {len(documents) - _REPORTED:,} more documents (each keeps its own import report)")
    return ImportResult(
        path=str(prepared.path),
        status=status,
        name=_name(prepared, first),
        statements=sum(len(d.spans) for d in documents),
        headings=sum(1 for d in documents for span in d.spans if span.kind == "heading"),
        encoding=first.decoded.encoding,
        report=report,
        removed_lines=[line for d in documents for line in removed_lines(d)],
        documents=len(documents),
    )


def _name(prepared: PreparedFile, processed: ProcessedDocument) -> str:
    """A document's name: the reader's (a spreadsheet row's case), else the file's."""
    return processed.name or prepared.name


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
    documents = [] if duplicate is not None else process_all(raw, options, filename=path.name)
    return PreparedFile(
        path=path,
        raw=raw,
        name=name or path.stem,
        role=role,
        attributes=dict(attributes or {}),
        options=options,
        processed=documents[0] if documents else None,
        duplicate=duplicate,
        more=tuple(documents[1:]),
    )


def store_prepared(session: Session, prepared: PreparedFile, *, coder_id: int | None = None) -> ImportResult:
    """Store a prepared file in the caller's (write) transaction, unless the project already holds its bytes."""
    lock_document_labels(session)  # the duplicate check and the labels hold until commit (two imports at once)
    duplicate = find_duplicate(session, prepared.raw)
    if duplicate is not None:
        return _duplicate_result(session, prepared.path, duplicate)
    documents = prepared.documents()
    if not documents:  # the document it duplicated was deleted after ``prepare``
        documents = process_all(prepared.raw, prepared.options, filename=prepared.path.name)
    result = _processed_result(prepared, documents, "imported")
    if len(documents) > 1:
        result.labels = store_documents(
            session,
            documents,
            names=[_name(prepared, processed) for processed in documents],
            source_path=str(prepared.path.resolve()),
            attributes=prepared.attributes,
            role=prepared.role,
            coder_id=coder_id,
        )
    else:
        document = store_document(
            session,
            documents[0],
            name=_name(prepared, documents[0]),
            source_path=str(prepared.path.resolve()),
            attributes=prepared.attributes,
            role=prepared.role,
            coder_id=coder_id,
        )
        result.labels = [document.label]
    result.label = result.labels[0]
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
