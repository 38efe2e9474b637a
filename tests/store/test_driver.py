"""Statements on the driver's own cursor (the toggle's path) fail the way SQLAlchemy's would.

``driver_sql`` skips SQLAlchemy's per-statement machinery for speed; what a researcher
notices must not change: a refusal by the database is the same one-line message and leaves
nothing of the transaction behind, and a lost server connection is dropped from the pool
(not handed to the next change), on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any, cast

import pytest
from factories import add_document
from sqlalchemy import Column, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from qcoder.coding.codings import bound
from qcoder.coding.workbench import Workbench
from qcoder.errors import Conflict
from qcoder.store.database import Project
from qcoder.store.driver import driver_sql
from qcoder.store.models import Coding, Sentence, utcnow

INSERT = "INSERT INTO codings (sentence_id, code_id, coder_id, created_at) VALUES (:s, :code, :coder, :at)"


def _first_statement(project: Project) -> int:
    with project.session() as s:
        return int(s.scalars(select(Sentence.id).order_by(Sentence.id)).first() or 0)


def _codings(project: Project) -> int:
    with project.session() as s:
        return len(s.scalars(select(Coding.id)).all())


def test_a_refusal_on_the_driver_path_is_the_usual_message_and_keeps_nothing(project: Project) -> None:
    add_document(project, ["第一条语句。", "第二条语句。"])
    sentence = _first_statement(project)
    wb = Workbench(project, "研究者A")
    code = wb.create_code("数字政府")
    with project.session() as s:
        created = bound(s, cast(Column[Any], Coding.__table__.c.created_at), utcnow())

    def coding_then_a_code_that_is_gone(session: Any) -> None:
        row = {"s": sentence, "coder": wb.coder_id, "at": created}
        driver_sql(session, INSERT, {**row, "code": code.id})  # stored in this transaction…
        driver_sql(session, INSERT, {**row, "s": sentence + 1, "code": code.id + 999})  # …then refused

    with pytest.raises(Conflict, match="merged or deleted"):
        project.run(coding_then_a_code_that_is_gone)
    assert _codings(project) == 0  # the first insert went with the refused one

    with pytest.raises(IntegrityError), project.transaction() as session:  # SQLAlchemy's own wrapping
        coding_then_a_code_that_is_gone(session)
    assert _codings(project) == 0
    assert wb.toggle_and_read([sentence], code.id)[0]  # the project goes on as before
    assert _codings(project) == 1


@pytest.mark.postgres
def test_a_lost_server_connection_is_dropped_not_reused(pg_url: str) -> None:
    from qcoder.store.database import open_project

    project = open_project(pg_url)
    try:
        add_document(project, ["第一条语句。"])
        sentence = _first_statement(project)
        wb = Workbench(project, "研究者A")
        code = wb.create_code("数字政府")
        with pytest.raises(OperationalError) as lost, project.transaction() as session:
            pid = driver_sql(session, "SELECT pg_backend_pid()", {}).scalar_one()
            with project.engine.connect() as other:  # the server ends this session's connection
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            driver_sql(session, "SELECT 1", {})
        assert lost.value.connection_invalidated  # SQLAlchemy knows the line is gone: not back in the pool
        assert wb.toggle_and_read([sentence], code.id)[0]  # the next change gets a working connection
        assert _codings(project) == 1
    finally:
        project.close()
