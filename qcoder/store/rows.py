"""Whole rows as JSON-safe dicts and back: what a delete logs so that undo can restore it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, inspect
from sqlalchemy.orm import Session

from qcoder.store.models import Base, Code, Memo, Relation

M = TypeVar("M", bound=Base)
Exchanged = TypeVar("Exchanged", Code, Memo, Relation)  # the rows that carry a GUID other tools know


def row_of(obj: Base) -> dict[str, Any]:
    """Every column of an ORM object, datetimes as ISO text (the event payload is JSON)."""
    mapper = inspect(type(obj))
    data: dict[str, Any] = {}
    for column in mapper.columns:
        value = getattr(obj, column.key)
        data[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return data


def add_new(session: Session, obj: Exchanged, *, guid: str | None = None, row_id: int | None = None) -> Exchanged:
    """Add and flush a new row (a code, memo or relation), keeping where it came from.

    ``guid``: the GUID another tool gave it (stored lower case, without braces);
    ``row_id``: the id it had before it was undone (redo gives it back, ids are never reused).
    """
    if guid:
        obj.guid = guid.lower().strip("{}")
    if row_id is not None:
        obj.id = row_id
    session.add(obj)
    session.flush()
    return obj


def restore_row(session: Session, model: type[M], data: dict[str, Any]) -> M:
    """Insert a row again exactly as ``row_of`` saw it (same id, same GUID)."""
    mapper = inspect(model)
    values: dict[str, Any] = {}
    for column in mapper.columns:
        if column.key not in data:
            continue
        value = data[column.key]
        if isinstance(value, str) and _is_datetime(column.type):
            value = datetime.fromisoformat(value)
        values[column.key] = value
    obj = model(**values)
    session.add(obj)
    session.flush()
    return obj


def _is_datetime(column_type: Any) -> bool:
    return isinstance(column_type, DateTime) or isinstance(getattr(column_type, "impl", None), DateTime)


def changed_fields(obj: object, wanted: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(old values, new values) of the fields ``wanted`` would change: what an edit's event keeps to be undone."""
    before = {key: getattr(obj, key) for key, value in wanted.items() if getattr(obj, key) != value}
    return before, {key: wanted[key] for key in before}
