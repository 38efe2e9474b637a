"""`qcoder db backup`: a consistent copy of a project while others may be coding in it.

SQLite uses the online backup API, so the copy is consistent even while another qcoder
writes (a plain file copy of a WAL database can miss committed work). PostgreSQL is
backed up with ``pg_dump``, which qcoder does not run itself: the exact command is
returned for the researcher (or their IT) to run with their own credentials.
"""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.sqlite_files import copy_sqlite, default_sqlite_target, sqlite_path, stamp


def backup(project: Project, target: Path | None = None) -> str:
    """Back up the project to ``target`` (a file or a directory); return what was done.

    For PostgreSQL nothing is written: the returned message holds the ``pg_dump``
    command line to run (the password is never included).
    """
    if not project.is_sqlite:
        return pg_dump_message(project.url, target)
    source_path = sqlite_path(project.url)
    if source_path is None:
        raise QcoderError("an in-memory project cannot be backed up")
    if target is None:
        target = default_sqlite_target(source_path)
    elif target.is_dir():
        target = default_sqlite_target(target / source_path.name)
    target = target.expanduser().resolve()
    if target == source_path.resolve():
        raise QcoderError(f"the backup target {target} is the project itself; choose another file")
    if target.exists():
        raise QcoderError(f"{target} already exists; choose another file or remove it first")
    if not target.parent.is_dir():
        raise QcoderError(f"cannot back up to {target}: folder {target.parent} does not exist")
    try:
        copy_sqlite(source_path, target)
    except (sqlite3.Error, OSError) as error:
        raise QcoderError(f"backup of {source_path} to {target} failed: {error}") from error
    return f"backed up {source_path} to {target}"


def pg_dump_command(url: str, target: Path | None = None) -> list[str]:
    """The ``pg_dump`` argv for the database in ``url`` (custom format, restorable per table)."""
    parsed = make_url(url)
    if not parsed.database:
        raise QcoderError("the PostgreSQL URL names no database")
    if target is None:
        target = Path(f"{parsed.database}-{stamp()}.dump")
    elif target.is_dir():
        target = target / f"{parsed.database}-{stamp()}.dump"
    argv = ["pg_dump", "--format=custom", f"--file={target}"]
    host = parsed.host or parsed.query.get("host")
    if isinstance(host, tuple):  # ?host=a&host=b
        host = host[0]
    if host:
        argv.append(f"--host={host}")
    if parsed.port:
        argv.append(f"--port={parsed.port}")
    if parsed.username:
        argv.append(f"--username={parsed.username}")
    argv.append(parsed.database)
    return argv


def pg_dump_message(url: str, target: Path | None = None) -> str:
    command = shlex.join(pg_dump_command(url, target))
    return (
        "qcoder does not dump PostgreSQL databases itself; run this "
        "(pg_dump asks for the password, or reads PGPASSWORD / ~/.pgpass):\n"
        f"  {command}"
    )
