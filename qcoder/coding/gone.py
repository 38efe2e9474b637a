"""Why a code a change names is no longer there: who merged or deleted it, read from the event log.

A colleague's merge or delete between a screen's last read and a key press is the common
way a change meets a vanished code on a shared project; "code #4 no longer exists" names an
internal id, while the log knows the code's name, what became of it and who did it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.store.models import Code, Coder, Event


def _last_change(session: Session, action: str, key: str, value: int) -> Event | None:
    """The newest ``action`` event whose payload names ``key == value`` (merges and deletes are few)."""
    for event in session.scalars(select(Event).where(Event.action == action).order_by(Event.id.desc())):
        if event.payload.get(key) == value:
            return event
    return None


def _who(session: Session, coder_id: int | None) -> str:
    coder = session.get(Coder, coder_id) if coder_id is not None else None
    return coder.name if coder is not None else "someone"


def gone_code(session: Session, code_id: int, name: str = "") -> str:
    """What became of the code (``name`` if the caller knows it): "code '压力' was merged into '负担' by 研究者B at …"."""
    event = _last_change(session, "code.delete", "code_id", code_id)
    if event is not None:
        called = name or str(event.payload.get("name") or f"#{code_id}")
        return f"code {called!r} was deleted by {_who(session, event.coder_id)} at {event.at:%Y-%m-%d %H:%M}"
    event = _last_change(session, "code.merge", "source_id", code_id)
    if event is not None:
        called = name or str(event.payload.get("source_name") or f"#{code_id}")
        target = session.get(Code, event.payload.get("target_id"))
        into = f" into {target.name!r}" if target is not None else ""
        return f"code {called!r} was merged{into} by {_who(session, event.coder_id)} at {event.at:%Y-%m-%d %H:%M}"
    return f"code {name or f'#{code_id}'!r} no longer exists (merged or deleted by another coder)"
