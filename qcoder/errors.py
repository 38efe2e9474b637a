"""User-facing failures: each carries one line that says what went wrong and what to do."""

import sys


class QcoderError(Exception):
    """An expected failure the faces (CLI, TUI) show as one line, never as a traceback."""


class NotFound(QcoderError):
    """A named document, statement, code or coder does not exist."""


class Conflict(QcoderError):
    """The change is based on stale data or breaks a rule of the project (e.g. level order)."""


class SchemaMismatch(QcoderError):
    """The database was written by another qcoder version and cannot be used as is."""


def is_database_error(error: BaseException) -> bool:
    """Whether ``error`` is SQLAlchemy's, without importing SQLAlchemy to ask.

    The faces catch database errors at their top level; until the engine has loaded
    SQLAlchemy, no error can be one of its own.
    """
    exc = sys.modules.get("sqlalchemy.exc")
    return exc is not None and isinstance(error, exc.SQLAlchemyError)
