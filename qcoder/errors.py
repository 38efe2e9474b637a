"""User-facing failures: each carries one line that says what went wrong and what to do."""


class QcoderError(Exception):
    """An expected failure the faces (CLI, TUI) show as one line, never as a traceback."""


class NotFound(QcoderError):
    """A named document, statement, code or coder does not exist."""


class Conflict(QcoderError):
    """The change is based on stale data or breaks a rule of the project (e.g. level order)."""


class SchemaMismatch(QcoderError):
    """The database was written by another qcoder version and cannot be used as is."""
