"""Codings: a statement tagged with a code by a coder (unique together).

Adding is idempotent — an existing coding is left as it is — so retries after a lost
connection, double key presses and merges never create duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from qcoder.coding.scales import check_one_value
from qcoder.errors import NotFound
from qcoder.store.events import log_event
from qcoder.store.models import Code, Coding, DocumentReview, Sentence, utcnow

_CHUNK = 500


def _chunks(values: Sequence[int]) -> list[list[int]]:
    return [list(values[i : i + _CHUNK]) for i in range(0, len(values), _CHUNK)]


def existing_codings(session: Session, sentence_ids: Sequence[int], code_id: int, coder_id: int) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sentence_ids):
        found.update(
            session.scalars(
                select(Coding.sentence_id).where(
                    Coding.code_id == code_id, Coding.coder_id == coder_id, Coding.sentence_id.in_(chunk)
                )
            )
        )
    return found


def add_codings(
    session: Session, sentence_ids: Sequence[int], code_id: int, coder_id: int, *, present: set[int] | None = None
) -> list[int]:
    """Code the statements; returns the sentence IDs that were not coded before.

    ``present`` is what ``existing_codings`` said earlier in the same transaction (saves a query).
    """
    wanted = list(dict.fromkeys(sentence_ids))
    already = existing_codings(session, wanted, code_id, coder_id) if present is None else present
    new = [sid for sid in wanted if sid not in already]
    if not new:
        return []
    _hold_code(session, code_id)
    check_one_value(session, new, code_id, coder_id)
    now = utcnow()
    rows = [{"sentence_id": sid, "code_id": code_id, "coder_id": coder_id, "created_at": now} for sid in new]
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    inserted: set[int] = set()
    for start in range(0, len(rows), _CHUNK):
        statement = (
            insert(Coding)
            .values(rows[start : start + _CHUNK])
            .on_conflict_do_nothing(index_elements=["sentence_id", "code_id", "coder_id"])
            .returning(Coding.sentence_id)
        )
        inserted.update(session.scalars(statement))
    added = [sid for sid in new if sid in inserted]  # what this transaction really stored, in order
    if added:
        log_event(session, coder_id, "coding.add", code_id=code_id, sentence_ids=added)
    return added


def _hold_code(session: Session, code_id: int) -> None:
    """Check the code still exists and, on PostgreSQL, keep it until this transaction ends.

    ``FOR KEY SHARE`` is the lock a foreign-key check takes anyway; taking it first means
    a colleague's merge or delete of this code that holds the row makes this coding wait
    and then fail with a clear message, instead of being acknowledged and then removed.
    """
    query = select(Code.id).where(Code.id == code_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    if session.scalar(query) is None:
        raise NotFound(
            f"code #{code_id} no longer exists (merged or deleted by another coder); nothing was coded; refresh"
        )


def remove_codings(
    session: Session, sentence_ids: Sequence[int], code_id: int, coder_id: int, *, present: set[int] | None = None
) -> list[int]:
    """Uncode the statements; returns the sentence IDs that were coded before (``present``: as in add_codings)."""
    wanted = list(dict.fromkeys(sentence_ids))
    if present is None:
        present = existing_codings(session, wanted, code_id, coder_id)
    gone = [sid for sid in wanted if sid in present]
    deleted: set[int] = set()
    for chunk in _chunks(gone):
        deleted.update(
            session.scalars(
                delete(Coding)
                .where(Coding.code_id == code_id, Coding.coder_id == coder_id, Coding.sentence_id.in_(chunk))
                .returning(Coding.sentence_id)
            )
        )
    removed = [sid for sid in gone if sid in deleted]  # what this transaction really removed
    if removed:
        log_event(session, coder_id, "coding.remove", code_id=code_id, sentence_ids=removed)
    return removed


def codes_on_sentences(
    session: Session, sentence_ids: Sequence[int], coder_id: int | None = None
) -> dict[int, list[tuple[int, int]]]:
    """sentence id → [(code id, coder id)] for the given statements."""
    result: dict[int, list[tuple[int, int]]] = {}
    for chunk in _chunks(sentence_ids):
        query = select(Coding.sentence_id, Coding.code_id, Coding.coder_id).where(Coding.sentence_id.in_(chunk))
        if coder_id is not None:
            query = query.where(Coding.coder_id == coder_id)
        for sid, cid, coder in session.execute(query.order_by(Coding.id)):
            result.setdefault(sid, []).append((cid, coder))
    return result


def codings_of_document(session: Session, document_id: int, coder_id: int | None = None) -> list[tuple[int, int, int]]:
    """(sentence id, code id, coder id) for every coding in one document."""
    query = (
        select(Coding.sentence_id, Coding.code_id, Coding.coder_id)
        .join(Sentence, Sentence.id == Coding.sentence_id)
        .where(Sentence.document_id == document_id)
    )
    if coder_id is not None:
        query = query.where(Coding.coder_id == coder_id)
    return [tuple(row) for row in session.execute(query.order_by(Coding.id))]  # type: ignore[misc]


def mark_reviewed(session: Session, document_id: int, coder_id: int, reviewed: bool = True) -> bool:
    """Mark (or unmark) a document as completely coded by the coder; True if it changed."""
    existing = session.scalar(
        select(DocumentReview).where(
            and_(DocumentReview.document_id == document_id, DocumentReview.coder_id == coder_id)
        )
    )
    if reviewed and existing is None:
        session.add(DocumentReview(document_id=document_id, coder_id=coder_id))
        log_event(session, coder_id, "review.add", document_id=document_id)
        return True
    if not reviewed and existing is not None:
        session.delete(existing)
        log_event(session, coder_id, "review.remove", document_id=document_id)
        return True
    return False
