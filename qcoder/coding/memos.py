"""Memos: the researcher's running analysis, on the project or on any object.

A memo carries a version like a code does: a save from an editor opened before a
colleague's save is refused, naming who saved and when, instead of overwriting it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.errors import Conflict, NotFound, QcoderError
from qcoder.store.events import log_event
from qcoder.store.lookup import get_or_not_found
from qcoder.store.models import MEMO_TYPES, Code, Coder, Document, Memo, Relation, Sentence, utcnow
from qcoder.store.rows import add_new, changed_fields, row_of
from qcoder.store.safe_text import visible

TARGETS = ("project", "document", "sentence", "code", "relation")
MEMO_FIELDS = ("text", "title", "type", "code_id")


def _target_column(target: str) -> str | None:
    if target not in TARGETS:
        raise QcoderError(f"a memo attaches to one of: {', '.join(TARGETS)}")
    return None if target == "project" else f"{target}_id"


def _check_type(type_: str) -> str:
    if type_ not in MEMO_TYPES:
        raise QcoderError(f"memo type {type_!r} unknown; use one of: {', '.join(MEMO_TYPES)}")
    return type_


def memo_text(text: str) -> str:
    """A memo as stored: line breaks as newlines, other control characters visible (never sent to a terminal)."""
    return visible(text.replace("\r\n", "\n").replace("\r", "\n"))


def add_memo(
    session: Session,
    text: str,
    *,
    type_: str = "theoretical",
    target: str = "project",
    target_id: int | None = None,
    title: str = "",
    coder: Coder | None = None,
    guid: str | None = None,
    memo_id: int | None = None,
) -> Memo:
    """``memo_id``: write the memo again under the id it had (redo)."""
    _check_type(type_)
    column = _target_column(target)
    if column is not None and target_id is None:
        raise QcoderError(f"a {target} memo needs the {target} it belongs to")
    if column is not None and target_id is not None:
        _hold_target(session, target, target_id)
    coder_id = coder.id if coder else None
    text = memo_text(text)
    memo = Memo(type=type_, title=title, text=text, coder_id=coder_id, updated_by_id=coder_id)
    if column is not None:
        setattr(memo, column, target_id)
    add_new(session, memo, guid=guid, row_id=memo_id)
    log_event(session, memo.coder_id, "memo.add", memo_id=memo.id, target=target, target_id=target_id, row=row_of(memo))
    return memo


_TARGET_MODELS: dict[str, type[Document | Sentence | Code | Relation]] = {
    "document": Document,
    "sentence": Sentence,
    "code": Code,
    "relation": Relation,
}


def _hold_target(session: Session, target: str, target_id: int) -> None:
    """Check the memo's target still exists and, on PostgreSQL, keep it until this transaction ends.

    ``FOR KEY SHARE`` (the lock the memo's foreign-key check takes anyway, taken first): memos
    by several coders on one target do not wait for each other; a colleague's removal of the
    target, which locks it ``FOR UPDATE`` before reading its memos, waits for this memo and keeps
    it in its event, or this memo waits for the removal and is refused in one line.
    """
    model = _TARGET_MODELS[target]
    query = select(model.id).where(model.id == target_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True, key_share=True)
    if session.scalar(query) is None:
        raise NotFound(
            f"the {target} #{target_id} no longer exists (removed by another coder?); nothing was saved; refresh"
        )


def get_memo(session: Session, memo_id: int) -> Memo:
    return get_or_not_found(
        session, Memo, memo_id, f"memo #{memo_id} no longer exists (deleted by another coder?); refresh"
    )


def check_memo_version(session: Session, memo: Memo, expected_version: int | None) -> None:
    """Refuse a save based on an older text than the one stored, naming who saved it."""
    if expected_version is None or memo.version == expected_version:
        return
    coder = session.get(Coder, memo.updated_by_id) if memo.updated_by_id else None
    who = coder.name if coder is not None else "someone"
    raise Conflict(
        f"this memo was changed by {who} at {memo.updated_at:%Y-%m-%d %H:%M} after you opened it; "
        "your text is still in the editor: copy it, reopen the memo and merge the two"
    )


def update_memo(
    session: Session,
    memo: Memo,
    *,
    text: str | None = None,
    title: str | None = None,
    type_: str | None = None,
    coder: Coder | None = None,
    expected_version: int | None = None,
    code_id: int | None = None,
) -> Memo:
    check_memo_version(session, memo, expected_version)
    wanted: dict[str, object] = {}
    if text is not None:
        wanted["text"] = memo_text(text)
    if title is not None:
        wanted["title"] = title
    if type_ is not None:
        wanted["type"] = _check_type(type_)
    if code_id is not None:
        wanted["code_id"] = code_id
    return set_memo_fields(session, memo, wanted, coder=coder)


def set_memo_fields(session: Session, memo: Memo, wanted: dict[str, object], *, coder: Coder | None = None) -> Memo:
    """Change some of ``MEMO_FIELDS``; the event keeps old and new values and the editor."""
    before, after = changed_fields(memo, wanted)
    if not before:
        return memo
    if "code_id" in after and after["code_id"] is not None:
        memo.document_id = memo.sentence_id = memo.relation_id = None
    for key, value in after.items():
        setattr(memo, key, value)
    memo.updated_by_id = coder.id if coder else None
    memo.updated_at = utcnow()
    session.flush()
    log_event(
        session,
        coder.id if coder else None,
        "memo.update",
        memo_id=memo.id,
        before=before,
        after=after,
        version=memo.version,
    )
    return memo


def delete_memo(
    session: Session, memo: Memo, *, coder: Coder | None = None, expected_version: int | None = None
) -> None:
    check_memo_version(session, memo, expected_version)
    log_event(session, coder.id if coder else None, "memo.delete", memo_id=memo.id, text=memo.text, row=row_of(memo))
    session.delete(memo)
    session.flush()


def memos_for(session: Session, target: str, target_id: int | None = None) -> list[Memo]:
    column = _target_column(target)
    query = select(Memo).order_by(Memo.created_at, Memo.id)
    if column is None:
        query = query.where(
            Memo.document_id.is_(None),
            Memo.sentence_id.is_(None),
            Memo.code_id.is_(None),
            Memo.relation_id.is_(None),
        )
    else:
        query = query.where(getattr(Memo, column) == target_id)
    return list(session.scalars(query))


def storyline(session: Session) -> Memo | None:
    """The project's storyline memo (selective coding), if written."""
    return session.scalar(select(Memo).where(Memo.type == "storyline").order_by(Memo.updated_at.desc()))
