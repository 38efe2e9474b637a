"""Opening a project: URL resolution, engine set-up, and schema version checks.

A bare path means SQLite; ``postgresql://`` URLs go through psycopg 3. SQLite gets WAL,
foreign keys and a busy timeout so two qcoder processes can share one file. Another
coder's project that is only read from (a merge) is opened by ``open_other_project``,
which never writes to it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import QueuePool

from qcoder.errors import Conflict, QcoderError, SchemaMismatch
from qcoder.store.file_care import remove_stale_parts, reusable_backup, sync_folder_warning
from qcoder.store.location import project_value, sqlite_url
from qcoder.store.sqlite_files import SQLITE_BUSY_TIMEOUT_MS, sqlite_path  # also imported from here

T = TypeVar("T")

# Each attempt already waits up to the busy/lock timeout; past this many seconds in total
# a command gives up with "busy, try again" instead of retrying for 8 × 10 s.
RETRY_BUDGET_S = 25.0

# A PostgreSQL server may hang (a dead VPN, a half-open firewall, a server that accepts and
# never answers). Every connection therefore gives up connecting after CONNECT_TIMEOUT_S
# per address (a name with an IPv4 and an IPv6 address stays under 10 s in all), probes an idle
# line with TCP keepalives, drops a line whose sent data stays unacknowledged, and lets the
# server end any statement after STATEMENT_TIMEOUT_S (migrations lift it for themselves).
CONNECT_TIMEOUT_S = 3
STATEMENT_TIMEOUT_S = 60
LOCK_TIMEOUT_S = 10
PG_CONNECT_ARGS: dict[str, object] = {
    "connect_timeout": CONNECT_TIMEOUT_S,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 3,
    "keepalives_count": 3,
    "tcp_user_timeout": 10_000,  # ms
}

# What libpq and psycopg say when the line to the server is gone or never came up.
_UNREACHABLE_WORDS = (
    "connection timeout",
    "timeout expired",
    "could not connect",
    "connection refused",
    "connection timed out",
    "server closed the connection",
    "connection is lost",
    "the connection is closed",
    "consuming input failed",
    "sending query failed",
    "could not receive data",
    "could not send data",
    "no route to host",
    "network is unreachable",
    "could not translate host name",
    "name or service not known",
    "terminating connection",
    "ssl syscall",
    "server unreachable",
)


def pg_options(*extra: str) -> str:
    """The ``-c`` settings every qcoder connection to PostgreSQL starts with."""
    settings = [f"lock_timeout={LOCK_TIMEOUT_S}s", f"statement_timeout={STATEMENT_TIMEOUT_S}s", *extra]
    return " ".join(f"-c {setting}" for setting in settings)


def resolve_url(db: str | os.PathLike[str] | None = None) -> str:
    """``--db`` beats ``QCODER_DB`` beats the default project under the user data dir."""
    value = project_value(db)
    if "://" not in value:
        return sqlite_url(Path(value).expanduser().resolve())
    url = make_url(value)
    if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("qcoder_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        # Take over BEGIN from pysqlite: write transactions take the write lock up front
        # (BEGIN IMMEDIATE) so concurrent writers queue on busy_timeout instead of failing
        # when a deferred read lock cannot be upgraded; readers stay deferred and never block.
        event.listen(engine, "connect", lambda conn, _rec: setattr(conn, "isolation_level", None))
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # A colleague's open transaction must not hang the UI: lock waits end after 10 s
    # with an error that ``Project.run`` retries; a server that stops answering is given up.
    return create_engine(url, pool_pre_ping=True, connect_args={**PG_CONNECT_ARGS, "options": pg_options()})


def server_address(url: str) -> str:
    """``host:port`` of a PostgreSQL URL (the socket folder for a unix socket), for messages."""
    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host") or "localhost"
    if isinstance(host, tuple):
        host = host[0]
    if host.startswith("/"):
        return host
    return f"{host}:{parsed.port or 5432}"


def is_unreachable(error: BaseException) -> bool:
    """Whether the server could not be reached or stopped answering (not: refused us, or our SQL)."""
    orig = getattr(error, "orig", None) or error
    code = getattr(orig, "sqlstate", None)
    if code is not None:
        return code.startswith("08") or code in ("57P01", "57P02", "57P03")
    if not isinstance(error, OperationalError) and type(orig).__module__.split(".")[0] != "psycopg":
        return False
    text = str(orig).lower()
    return any(word in text for word in _UNREACHABLE_WORDS)


def unreachable_message(url: str) -> str:
    return f"cannot reach the server at {server_address(url)}; check the network"


def is_foreign_key_refusal(error: BaseException) -> bool:
    """A change that refers to a row another coder removed meanwhile (SQLite's words or PostgreSQL's 23503)."""
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) == "23503" or "foreign key constraint failed" in str(orig).lower()


def is_retryable(error: BaseException) -> bool:
    """Lock contention and serialization failures are worth retrying; other errors are not."""
    if isinstance(error, OperationalError):
        text = str(error.orig).lower()
        if "locked" in text or "busy" in text:
            return True
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlstate", None)
        if code in ("40001", "40P01", "55P03"):
            return True
    return False


def describe_db_error(error: BaseException, url: str = "") -> str:
    """One line for a database failure the user can act on (the faces reach it through
    ``qcoder.store.errors.user_message``; ``url`` "" when the project is not known)."""
    text = _first_line(error)
    if url and not is_sqlite(url) and is_unreachable(error):
        return unreachable_message(url)
    if getattr(getattr(error, "orig", None), "sqlstate", None) == "42501":  # grants or row-level security
        return (
            f"your role on this project does not allow that ({text}); "
            "`qcoder team list` shows the roles — ask an owner if you need another"
        )
    if getattr(getattr(error, "orig", None), "sqlstate", None) == "57014":
        return f"the server did not finish in time ({STATEMENT_TIMEOUT_S} s); try again, or ask for a smaller piece"
    if is_retryable(error):
        return f"the project database is busy (locked by another process): {text}; try again"
    return f"database error on {_where(url)}: {text}" if url else f"database error: {text}"


@dataclass
class Project:
    """An open project database: engine plus session factory."""

    url: str
    engine: Engine
    session_factory: sessionmaker[Session] = field(init=False)
    write_session_factory: sessionmaker[Session] = field(init=False)
    write_engine: Engine = field(init=False)
    notices: list[str] = field(default_factory=list)  # e.g. "backed up to …, upgraded"
    _wal_seen: bool = False  # a SQLite project's -wal file was there once it was opened
    schema_found: str = "current"  # what ``open_project`` found: current, empty (created) or older (upgraded)
    on_close: list[Callable[[], None]] = field(default_factory=list)  # e.g. remove a temporary copy

    def __post_init__(self) -> None:
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        self.write_engine = self.engine.execution_options(qcoder_write=True)  # SQLite: BEGIN IMMEDIATE
        self.write_session_factory = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return is_sqlite(self.url)

    def session(self) -> Session:
        """A session for reading (on SQLite its transactions never block writers)."""
        return self.session_factory()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed on success and rolled back on any error."""
        with self.write_session_factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def run(self, work: Callable[[Session], T], *, attempts: int = 8) -> T:
        """Run ``work`` in its own transaction, retrying lock/serialization errors with backoff."""

        def attempt() -> T:
            with self.transaction() as session:
                return work(session)

        return self._retrying(attempt, attempts)

    def run_on_connection(self, work: Callable[[Connection], T], *, attempts: int = 8) -> T:
        """``run`` for work written in SQL on a connection, without a session: the same transaction, retries
        and messages. Why: the workbench's toggle is the change a researcher makes most and waits for, and
        the session's bookkeeping was a quarter of its time on the database lane."""

        def attempt() -> T:
            with self.write_engine.begin() as connection:
                return work(connection)

        return self._retrying(attempt, attempts)

    def _retrying(self, attempt: Callable[[], T], attempts: int) -> T:
        delay = 0.02
        deadline = time.monotonic() + RETRY_BUDGET_S
        for number in range(attempts):
            try:
                return attempt()
            except StaleDataError as error:
                raise Conflict(
                    "someone else changed this item while you were editing it; refresh and try again"
                ) from error
            except DBAPIError as error:
                if is_foreign_key_refusal(error):
                    raise Conflict(self.gone_message()) from error
                out_of_time = time.monotonic() + delay > deadline
                if number + 1 >= attempts or out_of_time or not is_retryable(error):
                    raise QcoderError(describe_db_error(error, self.url)) from error
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError("unreachable")

    def gone_message(self) -> str:
        """Why a change pointed at a row that is no longer there: who merged or deleted what, if the log knows."""
        who = "someone else"
        try:
            with self.session() as session:
                row = session.execute(
                    text(
                        "SELECT coders.name, events.action FROM events LEFT JOIN coders ON coders.id = events.coder_id "
                        "WHERE events.action IN ('code.merge', 'code.delete', 'code.split', 'memo.delete', "
                        "'coding.remove', 'review.remove') ORDER BY events.id DESC LIMIT 1"
                    )
                ).first()
        except DBAPIError:
            row = None
        if row is None:
            return f"what this change refers to was merged or deleted by {who} a moment ago; refreshed — nothing was changed"
        who = row[0] or who
        done = {
            "code.merge": "this code was merged",
            "code.delete": "this code was deleted",
            "code.split": "this code was split",
            "memo.delete": "this memo was deleted",
        }.get(row[1], "what this change refers to was removed")
        return f"{done} by {who} a moment ago; refreshed — nothing was changed"

    def vanished_files(self) -> str | None:
        """A warning when a SQLite project's -wal/-shm files went while it is open (a sync client, a cleaner)."""
        path = sqlite_path(self.url)
        if path is None or not self._wal_seen:
            return None
        gone = [suffix for suffix in ("-wal", "-shm") if not Path(f"{path}{suffix}").exists()]
        if not gone:
            return None
        return (
            f"warning: {path.name}{' and '.join(gone)} vanished while the project was open (a sync or cleaning "
            "program?); recent changes may be lost — keep projects out of synced folders and run `qcoder db check`"
        )

    def close(self) -> None:
        self.engine.dispose()
        while self.on_close:
            self.on_close.pop()()

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def open_project(
    db: str | os.PathLike[str] | None = None, *, create: bool = True, upgrade_server: bool = False
) -> Project:
    """Open (and if needed create or upgrade) a project, refusing schemas it cannot use.

    The one schema ladder every way in shares (``qcoder db upgrade`` too): current opens;
    empty is created (unless ``create`` is off); an older SQLite project is copied to a
    backup file and then upgraded, the notice in ``Project.notices`` says where the backup
    is; a newer or foreign one is refused. PostgreSQL is upgraded only when asked
    (``upgrade_server``, i.e. ``qcoder db upgrade``), never as a side effect of opening.
    ``Project.schema_found`` tells which of these happened.
    """
    from qcoder.store import schema

    url = resolve_url(db)
    path = sqlite_path(url)
    if path is not None and not path.exists() and not create:
        raise QcoderError(f"no project at {path}; create it with `qcoder init --db {path}`")
    engine = make_engine(url)
    project = Project(url=url, engine=engine)
    if path is not None:
        _care_for_files(project, path)
    try:
        status = schema.state(engine)
    except DBAPIError as error:
        engine.dispose()
        if not is_sqlite(url) and is_unreachable(error):
            raise QcoderError(unreachable_message(url)) from error
        raise QcoderError(f"cannot open {_where(url)}: {_first_line(error)}") from error
    except sqlite3.DatabaseError as error:  # pragma: no cover - raised raw by some drivers
        engine.dispose()
        raise QcoderError(f"cannot open {_where(url)}: {error}") from error
    project.schema_found = status
    if path is not None:
        project._wal_seen = Path(f"{path}-wal").exists()
    if status == "current":
        return project
    refusal = _refusal(status, engine, url)
    if refusal is not None:
        engine.dispose()
        raise refusal
    if status == "empty":
        if not create:
            engine.dispose()
            raise QcoderError(f"{_where(url)} is empty; create a project with `qcoder init`")
        schema.upgrade(engine)
        return project
    # older
    if path is None:
        if not upgrade_server:
            engine.dispose()
            raise SchemaMismatch(f"{_where(url)} uses an older qcoder schema; run `qcoder db upgrade --db URL` first")
        revision = schema.current_revision(engine)
        schema.upgrade(engine)
        project.notices.append(f"upgraded the project schema from {revision}")
        return project
    engine.dispose()
    tag = f"pre-{schema.head_revision()[:8]}"
    backup = reusable_backup(path, tag)  # an upgrade tried again: its backup still holds the file as it is
    if backup is None:
        backup = schema.backup_sqlite(path, tag)
    schema.upgrade(engine)
    project.notices.append(f"upgraded the project schema; the old file was backed up to {backup}")
    return project


def _care_for_files(project: Project, path: Path) -> None:
    """Warn about a synced folder; remove the ``.part`` files an interrupted copy left (``file_care``)."""
    warning = sync_folder_warning(path)
    if warning is not None:
        project.notices.append(warning)
    for part in remove_stale_parts(path):
        project.notices.append(f"removed {part.name}, left by an interrupted backup or upgrade")


def _refusal(status: str, engine: Engine, url: str) -> QcoderError | None:
    """The error for a schema no qcoder of this version may open, or None."""
    from qcoder.store import schema

    if status == "newer":
        return SchemaMismatch(
            f"{_where(url)} was written by a newer qcoder (schema {schema.current_revision(engine)}); "
            "upgrade qcoder to open it"
        )
    if status == "foreign":
        return SchemaMismatch(f"{_where(url)} is not a qcoder project (it has other tables)")
    return None


def open_other_project(db: str | os.PathLike[str]) -> Project:
    """Open another coder's project only to read from it (a merge's OTHER): it is never written.

    Why: the file is the colleague's. Upgrading it in place would make their own qcoder
    refuse it ("written by a newer qcoder"); even switching it to WAL rewrites its header.
    A SQLite file is opened read-only; one with an older schema is copied (SQLite's online
    backup) into a temporary folder and the copy is upgraded — the folder goes when the
    project is closed. A WAL-mode file that no process has open (no ``-wal`` beside it) is
    read as immutable, because a read-only reader would otherwise leave ``-wal``/``-shm``
    files next to it. On PostgreSQL every transaction is read-only; an older schema is
    upgraded by its owners (``qcoder db upgrade``), never by a reader.
    """
    from qcoder.store import schema

    url = resolve_url(db)
    path = sqlite_path(url)
    if path is None and is_sqlite(url):
        raise QcoderError("give the other project's file or URL, not an in-memory database")
    if path is not None and not path.is_file():
        raise QcoderError(f"no project at {path}; give the other coder's project file")
    engine = _read_only_engine(url, path)
    try:
        status = schema.state(engine)
    except (DBAPIError, sqlite3.DatabaseError) as error:
        engine.dispose()
        if path is None and is_unreachable(error):
            raise QcoderError(unreachable_message(url)) from error
        raise QcoderError(f"cannot open {_where(url)}: {_first_line(error)}") from error
    if status == "current":
        return Project(url=url, engine=engine)
    refusal = _refusal(status, engine, url)
    if status == "empty":
        refusal = QcoderError(f"{_where(url)} is empty: there is no project in it to read")
    elif status == "older" and path is None:
        refusal = SchemaMismatch(
            f"{_where(url)} uses an older qcoder schema; its owners must run `qcoder db upgrade --db URL` first"
        )
    if refusal is not None:
        engine.dispose()
        raise refusal
    assert path is not None  # an older SQLite file
    revision = schema.current_revision(engine)
    folder = Path(tempfile.mkdtemp(prefix="qcoder-other-"))
    try:
        copy = folder / path.name
        with engine.connect() as connection:
            target = sqlite3.connect(copy)
            try:
                raw = connection.connection.driver_connection
                assert raw is not None  # an open connection has its driver's
                raw.backup(target)
            finally:
                target.close()
        engine.dispose()
        engine = make_engine(sqlite_url(copy))
        schema.upgrade(engine)
    except BaseException as error:
        engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(error, (DBAPIError, sqlite3.Error)):
            raise QcoderError(f"cannot read {path}: {_first_line(error)}") from error
        raise
    project = Project(url=url, engine=engine)
    project.on_close.append(lambda: shutil.rmtree(folder, ignore_errors=True))
    project.notices.append(
        f"{path} has an older qcoder schema ({revision}); it was read through an upgraded temporary copy, "
        "the file itself is not changed"
    )
    return project


def _read_only_engine(url: str, path: Path | None) -> Engine:
    """An engine that cannot write: SQLite opened with ``mode=ro`` (or immutable), PostgreSQL read-only."""
    if path is None:
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={**PG_CONNECT_ARGS, "options": pg_options("default_transaction_read_only=on")},
        )
    uri = path.resolve().as_uri() + "?mode=ro"
    if _wal_header(path) and not Path(f"{path}-wal").exists():
        uri += "&immutable=1"  # closed by its last writer: everything is in the file itself

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, check_same_thread=False)

    engine = create_engine("sqlite://", creator=connect, poolclass=QueuePool)
    event.listen(engine, "connect", _read_only_pragmas)
    event.listen(engine, "begin", _sqlite_begin)  # BEGIN (deferred): one snapshot per session
    return engine


def _read_only_pragmas(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    dbapi_connection.isolation_level = None  # the begin listener starts transactions
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _wal_header(path: Path) -> bool:
    """Whether the file's header says WAL mode (read and write versions 2)."""
    with path.open("rb") as handle:
        header = handle.read(20)
    return len(header) == 20 and header.startswith(b"SQLite format 3\0") and header[18:20] == b"\x02\x02"


def shown_url(url: str) -> str:
    """The project as printed: a SQLite file's path, a server URL with its password masked (***)."""
    return _where(url)


def _where(url: str) -> str:
    path = sqlite_path(url)
    return str(path) if path is not None else make_url(url).render_as_string(hide_password=True)


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None) or error
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__
