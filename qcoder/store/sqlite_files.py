"""SQLite files (busy timeout, path, consistent copy): below database, schema and backup, so no circle."""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 10_000


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def default_sqlite_target(path: Path, tag: str = "backup") -> Path:
    """``project.backup-20250101-120000.db`` next to the project, never an existing file."""
    suffix = path.suffix or ".db"
    target = path.with_name(f"{path.stem}.{tag}-{stamp()}{suffix}")
    counter = 1
    while target.exists():  # two backups within one second
        counter += 1
        target = path.with_name(f"{path.stem}.{tag}-{stamp()}-{counter}{suffix}")
    return target


def copy_sqlite(source_path: Path, target: Path) -> None:
    """A consistent one-file copy via the online backup API; never a half-written ``target``."""
    partial = target.with_name(target.name + ".part")
    try:
        _sqlite_online_backup(source_path, partial)
        os.replace(partial, target)  # a crash never leaves a half-written file under the name
    except (sqlite3.Error, OSError):
        partial.unlink(missing_ok=True)
        raise


def _sqlite_online_backup(source_path: Path, target: Path) -> None:
    timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
    source = sqlite3.connect(str(source_path), timeout=timeout)
    try:
        dest = sqlite3.connect(str(target), timeout=timeout)
        try:
            source.backup(dest)
            # A backup should be one self-contained file, not a file plus -wal/-shm.
            dest.execute("PRAGMA journal_mode = DELETE")
        finally:
            dest.close()
    finally:
        source.close()
