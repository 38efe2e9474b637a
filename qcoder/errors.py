"""User-facing failures: each carries one line that says what went wrong and what to do."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


class QcoderError(Exception):
    """An expected failure the faces (CLI, TUI) show as one line, never as a traceback."""


class NotFound(QcoderError):
    """A named document, statement, code or coder does not exist."""


class Conflict(QcoderError):
    """The change is based on stale data or breaks a rule of the project (e.g. level order)."""


class SchemaMismatch(QcoderError):
    """The database was written by another qcoder version and cannot be used as is."""


def file_size(path: Path, refusal: type[QcoderError] = QcoderError) -> int:
    """The size of a file the user named, asked before reading it so that limits come first.

    Import, project packages and codebooks refuse a missing, unreadable or folder path
    with the same one line (as ``refusal``, e.g. ``ImportRefused``).
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise refusal(f"{path}: no such file") from None
    except OSError as error:
        raise refusal(f"{path}: cannot read it ({error.strerror})") from None
    if path.is_dir():
        raise refusal(f"{path} is a folder; pass the files inside it")
    return size


def file_bytes(path: Path, refusal: type[QcoderError] = QcoderError) -> bytes:
    """A file's bytes; a read the system refuses (permissions, a vanished file) is one line."""
    try:
        return path.read_bytes()
    except OSError as error:
        raise refusal(f"{path}: cannot read it ({error.strerror})") from None


def is_database_error(error: BaseException) -> bool:
    """Whether ``error`` is SQLAlchemy's, without importing SQLAlchemy to ask.

    The faces catch database errors at their top level; until the engine has loaded
    SQLAlchemy, no error can be one of its own.
    """
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.SQLAlchemyError)
