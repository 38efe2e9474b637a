"""Memos: the researcher's running analysis, on the project or on any object."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding.events import log_event
from qcoder.errors import NotFound, QcoderError
from qcoder.store.models import MEMO_TYPES, Coder, Memo

TARGETS = ("project", "document", "sentence", "code", "relation")


def _target_column(target: str) -> str | None:
    if target not in TARGETS:
        raise QcoderError(f"a memo attaches to one of: {', '.join(TARGETS)}")
    return None if target == "project" else f"{target}_id"


def _check_type(type_: str) -> str:
    if type_ not in MEMO_TYPES:
        raise QcoderError(f"memo type {type_!r} unknown; use one of: {', '.join(MEMO_TYPES)}")
    return type_


def add_memo(
    session: Session, text: str, *, type_: str = "theoretical", target: str = "project",
    target_id: int | None = None, title: str = "", coder: Coder | None = None, guid: str | None = None,
) -> Memo:
    _check_type(type_)
    column = _target_column(target)
    if column is not None and target_id is None:
        raise QcoderError(f"a {target} memo needs the {target} it belongs to")
    memo = Memo(type=type_, title=title, text=text, coder_id=coder.id if coder else None)
    if column is not None:
        setattr(memo, column, target_id)
    if guid:
        memo.guid = guid.lower().strip("{}")
    session.add(memo)
    session.flush()
    log_event(session, memo.coder_id, "memo.add", memo_id=memo.id, target=target, target_id=target_id)
    return memo


def get_memo(session: Session, memo_id: int) -> Memo:
    memo = session.get(Memo, memo_id)
    if memo is None:
        raise NotFound(f"memo #{memo_id} no longer exists; refresh")
    return memo


def update_memo(
    session: Session, memo: Memo, *, text: str | None = None, title: str | None = None,
    type_: str | None = None, coder: Coder | None = None,
) -> Memo:
    before = {"text": memo.text, "title": memo.title, "type": memo.type}
    if text is not None:
        memo.text = text
    if title is not None:
        memo.title = title
    if type_ is not None:
        memo.type = _check_type(type_)
    session.flush()
    log_event(session, coder.id if coder else None, "memo.update", memo_id=memo.id, before=before)
    return memo


def delete_memo(session: Session, memo: Memo, *, coder: Coder | None = None) -> None:
    log_event(session, coder.id if coder else None, "memo.delete", memo_id=memo.id, text=memo.text)
    session.delete(memo)
    session.flush()


def memos_for(session: Session, target: str, target_id: int | None = None) -> list[Memo]:
    column = _target_column(target)
    query = select(Memo).order_by(Memo.created_at, Memo.id)
    if column is None:
        query = query.where(
            Memo.document_id.is_(None), Memo.sentence_id.is_(None), Memo.code_id.is_(None),
            Memo.relation_id.is_(None),
        )
    else:
        query = query.where(getattr(Memo, column) == target_id)
    return list(session.scalars(query))


def storyline(session: Session) -> Memo | None:
    """The project's storyline memo (selective coding), if written."""
    return session.scalar(select(Memo).where(Memo.type == "storyline").order_by(Memo.updated_at.desc()))
