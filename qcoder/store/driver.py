"""Statements handed straight to the database driver, inside SQLAlchemy's transaction.

Why: a toggle is the workbench's most frequent change and the researcher waits for its
commit. Its nine small statements cost ~20 µs each through ``Connection.exec_driver_sql``
(result metadata, events, context objects) against ~3 µs on the driver's own cursor — about a
quarter of the toggle's time on the database lane. Here they run on the DBAPI cursor of the
same connection, so they are part of the same transaction as everything else the session did.

What stays as SQLAlchemy does it: a driver error goes through the connection's own handler,
so it arrives wrapped the same way (``OperationalError``, ``IntegrityError``, …), a line that
is gone invalidates the pooled connection, and the session's transaction is marked failed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.orm import Session


class DriverRows:
    """The rows a statement returned, read at once (the cursor is closed before they are used)."""

    __slots__ = ("rows",)

    def __init__(self, rows: Sequence[Any]) -> None:
        self.rows = rows

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def first(self) -> Any | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any | None:
        """The first column of the first row, or None when there is no row."""
        return self.rows[0][0] if self.rows else None

    def scalar_one(self) -> Any:
        """The first column of the only row (an error when there is none: a bug, not a user's mistake)."""
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0][0]


def connection_of(db: Session | Connection) -> Connection:
    """The connection a session's transaction runs on (a connection: itself)."""
    return db.connection() if isinstance(db, Session) else db


def dialect_name(db: Session | Connection) -> str:
    """``sqlite`` or ``postgresql``, for a session or a connection."""
    return db.get_bind().dialect.name if isinstance(db, Session) else db.dialect.name


def driver_sql(db: Session | Connection, sql: str, params: Mapping[str, Any]) -> DriverRows:
    """Run ``sql`` (``:name`` placeholders) on the driver's cursor, in the session's transaction
    (pass its ``session.connection()`` when running several: the lookup is not free)."""
    connection = connection_of(db)
    statement = in_paramstyle(sql, connection.dialect.paramstyle)
    values = dict(params)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]  # open: checked out
    try:
        cursor.execute(statement, values)
        return DriverRows(cursor.fetchall() if cursor.description is not None else ())
    except connection.dialect.loaded_dbapi.Error as error:
        # SQLAlchemy's own handler: wraps the error, invalidates a lost connection, and raises
        connection._handle_dbapi_exception(error, statement, values, cursor, None)
        raise  # not reached: the handler always raises
    finally:
        cursor.close()


@functools.lru_cache(maxsize=256)
def in_paramstyle(sql: str, paramstyle: str) -> str:
    """``:name`` placeholders as the driver wants them (sqlite3 takes them as they are; psycopg ``%(name)s``)."""
    if paramstyle in ("pyformat", "format"):
        return re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
    return sql
