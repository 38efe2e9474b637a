"""The append-only event log: who did what when, enough to audit, check and undo it.

An event written while an undoable step is open (``session.info[HISTORY_KEY]``) joins
that step; the undo history finds a step's changes by that id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qcoder.store.models import Event

HISTORY_KEY = "qcoder_history_id"
HISTORY_EVENTS_KEY = "qcoder_history_events"  # how many events the open step has written


def log_event(session: Session, coder_id: int | None, action: str, **payload: Any) -> Event:
    history_id = session.info.get(HISTORY_KEY)
    if history_id is not None:
        session.info[HISTORY_EVENTS_KEY] = session.info.get(HISTORY_EVENTS_KEY, 0) + 1
    event = Event(coder_id=coder_id, action=action, payload=payload, history_id=history_id)
    session.add(event)
    return event
