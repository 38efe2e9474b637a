"""The IDs researchers see (``D03``, ``D03-S017``): the store writes them, so their format lives here."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session


def document_label(number: int) -> str:
    return f"D{number:02d}"


def statement_label(doc_label: str, ordinal: int) -> str:
    return f"{doc_label}-S{ordinal:03d}"


def lock_document_labels(session: Session) -> None:
    """Hold the project's document numbering until the transaction ends (PostgreSQL).

    Storing a document reads the highest label (and whether its bytes are already here), then
    inserts the next: two imports at the same moment would both write D08, and the second would
    fail on the unique label, or store the same file twice. A transaction-scoped advisory lock
    makes the second import wait for the first to commit. SQLite's single writer (BEGIN
    IMMEDIATE) already serializes imports. Taking it twice in one transaction is harmless.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('qcoder.documents'))"))
