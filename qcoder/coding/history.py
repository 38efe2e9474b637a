"""Each coder's undo and redo, kept in the database and built on the event log.

A step (one action of the workbench: code, rename, merge, write a memo…) is a row in
``history``; the events it wrote carry its id and say exactly what changed. Undo inverts
those events newest first; redo does the action again, and the events of the redo
become the step's events. A step whose inversion would touch a colleague's work since
refuses with a message naming who and what, and nothing changes (one transaction).

The order is strict: undo takes the coder's newest done step, redo the oldest undone
one; a new step clears the redo stack. The stack survives restarts and is bounded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import Connection, Select, Table, delete, select, update
from sqlalchemy.orm import Session

from qcoder.coding import inverses
from qcoder.coding.codings import bound, write_event
from qcoder.store.driver import connection_of, dialect_name, driver_sql
from qcoder.store.events import HISTORY_EVENTS_KEY, HISTORY_KEY
from qcoder.store.models import Coder, Event, HistoryEntry, utcnow

UNDO_LIMIT = 1000
TRIM_EVERY = 100  # steps between trims: the stack holds at most UNDO_LIMIT + TRIM_EVERY steps


@contextmanager
def step(session: Session, coder_id: int, description: str) -> Iterator[HistoryEntry]:
    """Open an undoable step: events written inside it belong to it.

    A step that wrote no event changed nothing and leaves no entry behind.
    """
    hold_coder(session, coder_id)
    _forget(session, select(HistoryEntry.id).where(HistoryEntry.coder_id == coder_id, HistoryEntry.state == "undone"))
    entry = HistoryEntry(coder_id=coder_id, description=description[:300], state="done")
    session.add(entry)
    session.flush()
    session.info[HISTORY_KEY] = entry.id
    session.info[HISTORY_EVENTS_KEY] = 0
    try:
        yield entry
        session.flush()
    finally:
        session.info.pop(HISTORY_KEY, None)
        written = session.info.pop(HISTORY_EVENTS_KEY, 0)
    if not written:
        session.delete(entry)
        session.flush()
        return
    if entry.id % TRIM_EVERY == 0:
        _trim(session, coder_id)


def begin_step(db: Session | Connection, coder_id: int) -> None:
    """What ``step`` does before the work, for a step written through the driver (the toggle):
    the coder held (PostgreSQL) and the redo stack cleared — a new step ends what redo could do.
    (A session or, for ``Project.run_on_connection``, a connection.)"""
    hold_coder(db, coder_id)
    undone = [
        row[0]
        for row in driver_sql(
            db,
            "SELECT id FROM history WHERE coder_id = :coder AND state = 'undone'",
            {"coder": coder_id},
        )
    ]
    if undone:
        _forget(db, select(HistoryEntry.id).where(HistoryEntry.id.in_(undone)))


def record_step(db: Session | Connection, coder_id: int, description: str, action: str, payload: dict[str, Any]) -> int:
    """The rest of ``step`` for a step of one event written through the driver: its entry on the undo
    stack and its event, tied to it (after ``begin_step`` and the change itself). The entry's id."""
    table = cast(Table, HistoryEntry.__table__)
    db = connection_of(db)
    entry_id = int(
        driver_sql(
            db,
            "INSERT INTO history (coder_id, description, state, created_at) "
            "VALUES (:coder, :description, 'done', :at) RETURNING id",
            {
                "coder": coder_id,
                "description": description[:300],
                "at": bound(db, table.c.created_at, utcnow()),
            },
        ).scalar_one()
    )
    write_event(db, coder_id, action, payload, entry_id)
    if entry_id % TRIM_EVERY == 0:
        _trim(db, coder_id)
    return entry_id


def hold_coder(session: Session | Connection, coder_id: int) -> None:
    """On PostgreSQL, one coder's steps, undos and redos from several places (the workbench and a
    script) run one after another: the undo stack's order is then the order the changes were
    committed in. Without it a step could take its place on the stack before a colleague's and
    commit after it (it waited for a row the other held), and undoing newest first would refuse.
    ``FOR NO KEY UPDATE`` leaves other coders alone (their foreign-key checks take ``KEY SHARE``)."""
    if dialect_name(session) == "postgresql":
        # key_share without read is FOR NO KEY UPDATE in SQLAlchemy's PostgreSQL dialect
        session.execute(select(Coder.id).where(Coder.id == coder_id).with_for_update(key_share=True))


def undo(session: Session, coder_id: int) -> str | None:
    """Invert the coder's newest done step; its description, or None if there is none."""
    hold_coder(session, coder_id)
    entry = session.scalar(_next(coder_id, "done").with_for_update())
    if entry is None:
        return None
    coder = _coder(session, coder_id)
    events = _events(session, entry.id)
    for event in reversed(events):
        inverses.revert(session, event, coder, entry.description)
    entry.state = "undone"
    session.flush()
    return entry.description


def redo(session: Session, coder_id: int) -> str | None:
    """Do the coder's oldest undone step again; its description, or None if there is none."""
    hold_coder(session, coder_id)
    entry = session.scalar(_next(coder_id, "undone").with_for_update())
    if entry is None:
        return None
    coder = _coder(session, coder_id)
    events = _events(session, entry.id)
    session.execute(update(Event).where(Event.history_id == entry.id).values(history_id=None))
    session.info[HISTORY_KEY] = entry.id
    try:
        for event in events:
            inverses.reapply(session, event, coder, entry.description)
        session.flush()
    finally:
        session.info.pop(HISTORY_KEY, None)
        session.info.pop(HISTORY_EVENTS_KEY, None)
    entry.state = "done"
    session.flush()
    return entry.description


def pending(session: Session, coder_id: int) -> tuple[str | None, str | None]:
    """(what undo would undo, what redo would redo) for the coder: for menus and hints."""
    done = session.scalar(_next(coder_id, "done"))
    undone = session.scalar(_next(coder_id, "undone"))
    return (done.description if done else None), (undone.description if undone else None)


def _next(coder_id: int, state: str) -> Select[Any]:
    """The step undo takes (newest done) or redo takes (oldest undone): the stacks' tops."""
    newest_first = HistoryEntry.id.desc() if state == "done" else HistoryEntry.id
    return (
        select(HistoryEntry)
        .where(HistoryEntry.coder_id == coder_id, HistoryEntry.state == state)
        .order_by(newest_first)
        .limit(1)
    )


def _events(session: Session, entry_id: int) -> list[Event]:
    """The step's events, less those that are part of a larger change undone as a whole."""
    events = session.scalars(select(Event).where(Event.history_id == entry_id).order_by(Event.id))
    return [event for event in events if not event.payload.get("inner")]


def _coder(session: Session, coder_id: int) -> Coder:
    coder = session.get(Coder, coder_id)
    assert coder is not None
    return coder


def _trim(session: Session | Connection, coder_id: int) -> None:
    """Keep the newest ``UNDO_LIMIT`` done steps of the coder."""
    keep_from = session.scalar(
        select(HistoryEntry.id)
        .where(HistoryEntry.coder_id == coder_id, HistoryEntry.state == "done")
        .order_by(HistoryEntry.id.desc())
        .offset(UNDO_LIMIT - 1)
        .limit(1)
    )
    if keep_from is not None:
        _forget(session, select(HistoryEntry.id).where(HistoryEntry.coder_id == coder_id, HistoryEntry.id < keep_from))


def _forget(session: Session | Connection, entries: object) -> None:
    """Drop history entries; their events stay in the log, no longer tied to a step."""
    ids = list(session.scalars(entries))  # type: ignore[call-overload]
    if not ids:
        return
    session.execute(update(Event).where(Event.history_id.in_(ids)).values(history_id=None))
    session.execute(delete(HistoryEntry).where(HistoryEntry.id.in_(ids)))
