"""Small projects built directly in the database, for tests that need no import pipeline."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from qcoder.coding.statements import document_label, statement_label
from qcoder.store.database import Project
from qcoder.store.models import Document, Sentence


def add_document(project: Project, statements: Sequence[str], *, name: str = "doc", role: str = "coding") -> int:
    """A document whose text is the statements joined by newlines; returns its id."""
    text = "\n".join(statements)

    def work(session) -> int:  # type: ignore[no-untyped-def]
        number = (session.query(Document).count() or 0) + 1
        label = document_label(number)
        doc = Document(
            label=label,
            name=name,
            sha256=hashlib.sha256(text.encode() + label.encode()).hexdigest(),
            raw_bytes=text.encode(),
            encoding="utf-8",
            original_text=text,
            text=text,
            role=role,
        )
        session.add(doc)
        session.flush()
        start = 0
        for ordinal, piece in enumerate(statements, start=1):
            session.add(
                Sentence(
                    document_id=doc.id,
                    ordinal=ordinal,
                    label=statement_label(label, ordinal),
                    start=start,
                    end=start + len(piece),
                    text=piece,
                    tokens=" ".join(piece),
                    cell_width=2 * len(piece),
                )
            )
            start += len(piece) + 1
        return doc.id

    return project.run(work)


def invoke_cli(*args: str) -> Result:
    """Run ``qcoder ARGS`` in-process; an unexpected exception (a traceback a user would see) fails the test."""
    from qcoder.cli import app

    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def qc(*args: str) -> tuple[int, str, str]:
    """``qcoder ARGS`` as (exit code, stdout, stderr)."""
    result = invoke_cli(*args)
    return result.exit_code, result.stdout, result.stderr


def wait_until_blocked_on_a_lock(project: Project, timeout: float = 30) -> None:
    """PostgreSQL: until some backend of this database waits on a lock (SQLite: nothing to wait for).

    Race tests use it to be sure the second writer really met the first one's lock.
    """
    if project.is_sqlite:
        time.sleep(0.2)  # the second writer queues on BEGIN IMMEDIATE whenever it gets there
        return
    deadline = time.monotonic() + timeout
    with project.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
            connection.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second writer never waited for the first one's lock")


def waits_or_finishes(project: Project, thread: threading.Thread, timeout: float = 60) -> bool | None:
    """PostgreSQL: True as soon as a backend of this database waits on a lock, False if ``thread``
    finished without that. SQLite (one writer; the second queues on BEGIN IMMEDIATE): None."""
    if project.is_sqlite:
        wait_until_blocked_on_a_lock(project)
        return None
    deadline = time.monotonic() + timeout
    with project.engine.connect() as connection:
        while time.monotonic() < deadline:
            waiting = connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'"
                )
            ).scalar()
            connection.rollback()
            if waiting:
                return True
            if not thread.is_alive():
                return False
            time.sleep(0.01)
    raise AssertionError("the second writer neither finished nor waited on a lock")


def second_while_first_open(
    project: Project, first: Callable[[Session], Any], second: Callable[[], Any]
) -> tuple[Any, dict[str, Any], bool | None]:
    """Run ``first`` in a transaction kept open while ``second`` starts in another thread; commit
    ``first`` once ``second`` waits on a lock or finished. Returns (first's result, second's
    outcome: ``{"value": …}`` or ``{"error": …}``, whether second waited — None on SQLite)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = second()
        except Exception as error:
            outcome["error"] = error

    thread = threading.Thread(target=run)
    with project.transaction() as session:
        held = first(session)
        session.flush()
        thread.start()
        waited = waits_or_finishes(project, thread)
    thread.join(timeout=60)
    assert not thread.is_alive(), "the second writer never finished"
    return held, outcome, waited
