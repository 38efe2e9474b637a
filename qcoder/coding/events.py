"""The append-only event log: who did what when, enough to audit and to undo."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qcoder.store.models import Event


def log_event(session: Session, coder_id: int | None, action: str, **payload: Any) -> Event:
    event = Event(coder_id=coder_id, action=action, payload=payload)
    session.add(event)
    return event
