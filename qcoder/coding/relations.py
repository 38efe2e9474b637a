"""Typed axial-coding relations between codes (causal, similarity, sequence, paradigm roles…)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qcoder.errors import Conflict, NotFound, QcoderError
from qcoder.store.events import log_event
from qcoder.store.lookup import get_or_not_found
from qcoder.store.models import Code, Coder, Memo, Relation
from qcoder.store.rows import add_new, changed_fields, row_of
from qcoder.store.settings import relation_types


def check_relation_type(session: Session, type_: str) -> str:
    cleaned = type_.strip().lower()
    allowed = relation_types(session)
    if cleaned not in allowed:
        raise QcoderError(
            f"unknown relation type {type_!r}; use one of: {', '.join(allowed)} "
            "(or add a project type with `qcoder settings relation_types`)"
        )
    return cleaned


def find_relation(session: Session, source_id: int, target_id: int, type_: str) -> Relation | None:
    """The relation of this type from one code to another, if there is one."""
    return session.scalar(
        select(Relation).where(Relation.source_id == source_id, Relation.target_id == target_id, Relation.type == type_)
    )


def add_relation(
    session: Session,
    source: Code,
    target: Code,
    type_: str,
    note: str = "",
    *,
    coder: Coder | None = None,
    guid: str | None = None,
    relation_id: int | None = None,
) -> Relation:
    """``relation_id``: add the relation again under the id it had (redo)."""
    if source.id == target.id:
        raise QcoderError("a relation needs two different codes")
    type_ = check_relation_type(session, type_)
    if find_relation(session, source.id, target.id, type_) is not None:
        raise Conflict(f"{source.name} → {target.name} ({type_}) already exists; edit its note instead")
    relation = Relation(
        source_id=source.id, target_id=target.id, type=type_, note=note, coder_id=coder.id if coder else None
    )
    try:
        with session.begin_nested():
            add_new(session, relation, guid=guid, row_id=relation_id)
    except IntegrityError:  # a colleague's transaction added it after our check (PostgreSQL)
        if find_relation(session, source.id, target.id, type_) is None:
            raise
        raise Conflict(
            f"{source.name} → {target.name} ({type_}) already exists: someone else added it a moment ago; edit its note instead"
        ) from None
    log_event(
        session,
        coder.id if coder else None,
        "relation.add",
        relation_id=relation.id,
        source_id=source.id,
        target_id=target.id,
        type=type_,
        row=row_of(relation),
    )
    return relation


def get_relation(session: Session, relation_id: int) -> Relation:
    return get_or_not_found(session, Relation, relation_id, f"relation #{relation_id} no longer exists; refresh")


def hold_relation(session: Session, relation_id: int) -> Relation:
    """The relation read fresh; on PostgreSQL locked ``FOR UPDATE`` until the transaction ends."""
    query = select(Relation).where(Relation.id == relation_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    relation = session.scalar(query)
    if relation is None:
        raise NotFound(f"relation #{relation_id} no longer exists (removed by another coder?); refresh")
    return relation


def update_relation(
    session: Session,
    relation: Relation,
    *,
    type_: str | None = None,
    note: str | None = None,
    coder: Coder | None = None,
) -> Relation:
    wanted: dict[str, str] = {}
    if type_ is not None:
        wanted["type"] = check_relation_type(session, type_)
    if note is not None:
        wanted["note"] = note
    return set_relation_fields(session, relation, wanted, coder=coder)


def set_relation_fields(
    session: Session, relation: Relation, wanted: dict[str, str], *, coder: Coder | None = None
) -> Relation:
    """Change type and/or note; the event keeps old and new values."""
    before, after = changed_fields(relation, wanted)
    if not before:
        return relation
    if "type" in after:
        clash = find_relation(session, relation.source_id, relation.target_id, after["type"])
        if clash is not None and clash.id != relation.id:
            raise Conflict(f"that relation already exists as {after['type']}")
    try:
        with session.begin_nested():
            for key, value in after.items():
                setattr(relation, key, value)
            session.flush()
    except IntegrityError:  # a colleague added that relation after our check (PostgreSQL)
        raise Conflict(f"that relation was just added as {after['type']} by someone else; refresh") from None
    log_event(
        session, coder.id if coder else None, "relation.update", relation_id=relation.id, before=before, after=after
    )
    return relation


def remove_relation(session: Session, relation: Relation, *, coder: Coder | None = None) -> None:
    """Remove a relation; its memos go with it (kept whole in the event, for undo).

    On PostgreSQL the relation's row is locked before its memos are read: a memo a colleague is
    writing on it (its foreign-key check holds the row ``FOR KEY SHARE``) is then either in the
    event or refused, never removed by the cascade without a trace.
    """
    relation = hold_relation(session, relation.id)
    memos = list(session.scalars(select(Memo).where(Memo.relation_id == relation.id)))
    log_event(
        session,
        coder.id if coder else None,
        "relation.remove",
        relation_id=relation.id,
        source_id=relation.source_id,
        target_id=relation.target_id,
        type=relation.type,
        note=relation.note,
        row=row_of(relation),
        memo_rows=[row_of(m) for m in memos],
    )
    session.delete(relation)
    session.flush()


def relations_of(session: Session, code_id: int | None = None) -> list[Relation]:
    query = select(Relation).order_by(Relation.id)
    if code_id is not None:
        query = query.where(or_(Relation.source_id == code_id, Relation.target_id == code_id))
    return list(session.scalars(query))
