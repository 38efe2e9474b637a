"""Fetching one row by id where its absence is the user's news, not a bug.

A row the screen showed may have been deleted or merged by a colleague since; the
lookup then fails with ``NotFound`` and the one line the caller chose (say what to do).
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from qcoder.errors import NotFound
from qcoder.store.models import Base

M = TypeVar("M", bound=Base)


def get_or_not_found(session: Session, model: type[M], row_id: int, message: str, **options: Any) -> M:
    """The row of ``model`` with this id, else ``NotFound(message)``; ``options`` go to ``Session.get``."""
    row = session.get(model, row_id, **options)
    if row is None:
        raise NotFound(message)
    return row
