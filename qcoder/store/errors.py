"""The one line a face shows for a failure: the same words in the CLI, the TUI and their workers.

Why one function: a failure the user can act on (a ``QcoderError``, a database that is
busy, locked or gone) must read the same wherever it surfaces, and a bug must not be
dressed up as one. This module imports no SQLAlchemy: the faces import it at start, and a
database error can only exist once the engine has loaded it.
"""

from __future__ import annotations

from qcoder.errors import QcoderError, is_database_error


def user_message(error: BaseException, url: str = "") -> str | None:
    """The line for a failure the user can act on; None for anything else (a bug: let it raise).

    ``url`` is the project the failure happened on (named in database errors; "" if unknown).
    """
    if isinstance(error, QcoderError):
        text = str(error).strip()
        return text.splitlines()[0] if text else type(error).__name__
    if is_database_error(error):
        from qcoder.store.database import describe_db_error

        return describe_db_error(error, url)
    return None


def one_line(error: BaseException, url: str = "") -> str:
    """Always a line: what ``user_message`` says, or an unexpected error's type and first line.

    For work run in a thread (an export, a live-refresh check), where a traceback would be lost.
    """
    message = user_message(error, url)
    if message is not None:
        return message
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__
