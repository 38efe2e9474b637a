"""What every command shares: the options, opening the project, printing rows, failing in one line.

Why a module of its own: the command modules and ``qcoder.cli`` (which assembles them into
the ``qcoder`` app) both need these, and neither may import the other's commands. Like
``qcoder.cli`` it imports no SQLAlchemy: ``qcoder`` opens the workbench before the engine
has loaded (see ``qcoder.coding.first_look``), so the engine is imported inside functions.
Annotations stay evaluated eagerly in the command modules: typer reads them.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from typing import Annotated, Any, TextIO

import typer

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="Project: a file path (SQLite) or a postgresql:// URL. Default: $QCODER_DB or the default project."
    ),
]
CoderOption = Annotated[
    str | None,
    typer.Option(
        "--coder",
        help="Your coder name (every coding belongs to a coder). On a PostgreSQL project: your login, the default.",
    ),
]
FormatOption = Annotated[str, typer.Option("--format", help="text or json")]


class State:
    """What the root ``qcoder --db`` said, and the project a command has opened (named in database errors)."""

    db: str | None = None
    url: str = ""


state = State()


class _VisibleText(io.TextIOBase):
    """A text stream that shows control characters (ESC, BEL, C1) as placeholders; see ``visible_output``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self._stream, "errors", None)

    @property
    def buffer(self) -> Any:
        """The bytes underneath, for binary output (a PNG, an XLSX) written to stdout on purpose."""
        return self._stream.buffer

    def isatty(self) -> bool:
        return self._stream.isatty()

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._stream.fileno()

    def write(self, text: str) -> int:
        from qcoder.store.safe_text import visible

        self._stream.write(visible(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


@contextmanager
def visible_output() -> Iterator[None]:
    """While a command runs, nothing it prints can drive the terminal (a document's or code's ESC …).

    Why here, once: names, statements and memos reach stdout through every command; what a
    project holds from before qcoder made them visible at import must not act either.
    """
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _VisibleText(sys.stdout), _VisibleText(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def fail(message: str, code: int = 1) -> None:
    """Stop the command with one line on stderr."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def project(db: str | None, *, create: bool = True, upgrade_server: bool = False) -> Iterator[Any]:
    """The project named by ``--db`` (the command's, else the root's), its notices on stderr; closed after."""
    from qcoder.store.database import open_project, resolve_url

    state.url = resolve_url(db or state.db)  # a failure while opening names this project, not the default
    opened = open_project(db or state.db, create=create, upgrade_server=upgrade_server)
    state.url = opened.url
    for notice in opened.notices:
        typer.echo(notice, err=True)
    try:
        yield opened
    finally:
        vanished = opened.vanished_files()
        if vanished is not None:
            typer.echo(vanished, err=True)
        opened.close()


def emit(rows: list[Any], fmt: str, text: Callable[[dict[str, Any]], str]) -> None:
    """Rows (dicts or records) as a JSON list, or one ``text(row)`` line each."""
    plain = [asdict(row) if is_dataclass(row) and not isinstance(row, type) else row for row in rows]
    if fmt == "json":
        typer.echo(json.dumps(plain, ensure_ascii=False, indent=2))
    elif fmt == "text":
        for row in plain:
            typer.echo(text(row))
    else:
        fail(f"unknown format {fmt!r}; use text or json")


def parse_attrs(values: list[str]) -> dict[str, str]:
    """``--attr key=value`` options as a dict."""
    attrs: dict[str, str] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            fail(f"--attr takes key=value, got {value!r}")
        attrs[key.strip()] = val.strip()
    return attrs


def workbench_for(opened: Any, coder: str | None) -> Any:
    """The coder's Workbench; on PostgreSQL the coder defaults to the login (a team member can be no one else)."""
    from qcoder.coding.workbench import Workbench

    if not coder:
        if opened.is_sqlite:
            fail("give --coder NAME (every coding belongs to a coder)")
        from sqlalchemy import text

        with opened.session() as session:
            coder = str(session.execute(text("SELECT current_user")).scalar())
    return Workbench(opened, coder, join_now=False)
