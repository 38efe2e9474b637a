"""The coding screen's opening state, read with sqlite3 alone before the engine loads.

Importing SQLAlchemy and the models costs about as much as everything else the
workbench does before its first frame, and reading all 50,000 statements of a long
document costs as much again. Neither is needed to *show* the opening screen:

* A SQLite project already at this qcoder's schema, opened by a coder it knows, is read
  here with the same plain-SQL functions the Workbench uses (``reads``), so the two can
  never disagree; the engine loads behind the first frame.
* Of the first document only the first ``FIRST_STATEMENTS`` are read before the first
  frame (many screens' worth); ``RestOfDocument`` reads the others afterwards from the
  same read transaction, so both parts come from one snapshot of the project.

A PostgreSQL project is read the same way with psycopg alone, in one read-only
REPEATABLE READ transaction (the same snapshot for the rest of the document).

Whenever the shortcut is not exactly right — a missing file, an older or newer schema (upgrades need a backup first), a coder the project does not know yet
(creating one is a write), any database error — ``first_look`` answers None and the
caller opens the project the ordinary way, which handles each case.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

from qcoder.coding import reads
from qcoder.coding.coder_name import clean_coder_name
from qcoder.coding.records import CodeInfo, DocumentSummary, StatementRow
from qcoder.errors import QcoderError
from qcoder.store.ladder import Level
from qcoder.store.location import project_value, sqlite_file, sqlite_url
from qcoder.store.revisions import head_revision

FIRST_STATEMENTS = 2000  # read before the first frame: far more than a screen, or a minute of paging


class RestOfDocument:
    """The opened document's statements after the first batch, read later in the same snapshot.

    Holds the first look's connection (and its read transaction) until ``read``; on
    SQLite in WAL mode an open reader never blocks a writer. ``read`` may
    run in another thread than the one that opened the connection, never in two at once.
    """

    def __init__(self, connection: Any, document_id: int, coder_id: int, after: int) -> None:
        self.document_id = document_id
        self.after = after  # the last ordinal already read
        self._connection: Any = connection  # sqlite3 or psycopg
        self._coder_id = coder_id
        self._lock = threading.Lock()

    def read(self) -> tuple[list[StatementRow], reads.Codings]:
        """The remaining statements and this coder's codings on them; closes the connection."""
        with self._lock:
            connection = self._connection
            if connection is None:
                raise QcoderError("the rest of the document was already read; press r to re-read the project")
            try:
                reader = reads.Reader(connection)
                rows = reads.statements(reader, self.document_id, after=self.after)
                codings = reads.document_codings(reader, self.document_id, self._coder_id, after=self.after)
                return rows, codings
            except _db_errors() as error:
                raise QcoderError(f"could not read the rest of the document: {error}; press r to re-read") from error
            finally:
                self._connection = None
                connection.close()


@dataclass(frozen=True)
class FirstLook:
    """Everything the coding screen shows when it opens, read in one transaction."""

    url: str
    coder_id: int
    coder_name: str
    levels: list[Level]
    codes: list[CodeInfo]
    coders: list[tuple[int, str]]
    documents: list[DocumentSummary]
    document_id: int | None  # the document opened first: the first one
    statements: list[StatementRow]  # its first FIRST_STATEMENTS statements
    codings: reads.Codings  # this coder's codings on those statements
    latest_event: reads.EventMark  # live refresh shows others' changes made after this
    rest: RestOfDocument | None  # the statements after those, when there are more


def first_look(
    db: str | os.PathLike[str] | None,
    coder_name: str,
    *,
    first_statements: int | None = None,
    document_id: int | None = None,
) -> FirstLook | None:
    """The opening state of ``db`` for ``coder_name``, or None when the project must be opened in full.

    ``first_statements``: how many of the first document's statements to read now
    (default ``FIRST_STATEMENTS``); the others are left to ``FirstLook.rest``.
    ``document_id``: open on this document (where the coder left off) when it still exists.
    """
    path = sqlite_file(db)
    batch = FIRST_STATEMENTS if first_statements is None else max(1, first_statements)
    if path is None:
        return _first_look_postgres(db, coder_name, batch, document_id)
    if not path.is_file():
        return None
    try:
        name = clean_coder_name(coder_name)
        head = head_revision()
        connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    except (QcoderError, sqlite3.Error):
        return None
    look = None
    try:
        connection.execute("PRAGMA query_only = ON")  # this path never writes
        connection.execute("BEGIN")  # one snapshot for every read, the rest of the document included
        look = _read(connection, sqlite_url(path), name, head, batch, document_id)
        return look
    except sqlite3.Error:
        return None  # e.g. not a database, or a table missing: the full open says what is wrong
    finally:
        if look is None or look.rest is None:
            connection.close()


def postgres_conninfo(db: str | os.PathLike[str] | None) -> str | None:
    """A libpq URI for a project named by a PostgreSQL URL (as SQLAlchemy spells it or libpq does); else None."""
    value = project_value(db)
    for scheme in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if value.startswith(scheme):
            return "postgresql://" + value[len(scheme) :]
    return None


def _first_look_postgres(
    db: str | os.PathLike[str] | None, coder_name: str, batch: int, document_id: int | None = None
) -> FirstLook | None:
    conninfo = postgres_conninfo(db)
    if conninfo is None:
        return None
    try:
        import psycopg

        name = clean_coder_name(coder_name)
        head = head_revision()
        connection = psycopg.connect(conninfo, connect_timeout=10)
    except Exception:  # no server, refused, bad URL: the full open says what is wrong, in one line
        return None
    look = None
    try:
        # the transaction psycopg begins here gives every read one snapshot, the rest of the document included
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        look = _read(
            connection, "postgresql+psycopg://" + conninfo[len("postgresql://") :], name, head, batch, document_id
        )
        return look
    except psycopg.Error:
        return None
    finally:
        if look is None or look.rest is None:
            connection.close()


def _db_errors() -> tuple[type[BaseException], ...]:
    """What a failed read raises: sqlite3's errors, and psycopg's when it is loaded."""
    import sys

    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error, psycopg.Error) if psycopg is not None else (sqlite3.Error,)


def _read(
    connection: Any, url: str, name: str, head: str, first_statements: int, wanted: int | None = None
) -> FirstLook | None:
    reader = reads.Reader(connection)
    # no alembic_version table (not a qcoder project) raises, which the callers answer with None
    if reader.value("SELECT version_num FROM alembic_version") != head:
        return None
    coders = reads.coders(reader)  # the coder's id comes from the list the screen needs anyway
    coder = next((coder_id for coder_id, known in coders if known == name), None)
    if coder is None:
        return None
    documents = reads.documents(reader, coder, name)
    document = next((doc for doc in documents if doc.id == wanted), documents[0] if documents else None)

    statements: list[StatementRow] = []
    codings: reads.Codings = {}
    rest = None
    if document is not None:
        statements = reads.statements(reader, document.id, limit=first_statements)
        last = statements[-1].ordinal if statements else 0
        codings = reads.document_codings(reader, document.id, coder, through=last)
        if len(statements) < document.statements:
            rest = RestOfDocument(connection, document.id, coder, last)
    return FirstLook(
        url=url,
        coder_id=coder,
        coder_name=name,
        levels=reads.levels(reader),
        codes=reads.codes(reader, coder),
        coders=coders,
        documents=documents,
        document_id=document.id if document else None,
        statements=statements,
        codings=codings,
        latest_event=reads.latest_event(reader),
        rest=rest,
    )
