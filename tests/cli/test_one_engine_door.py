"""The command line goes through the same engine door as the workbench.

Its codings are the Workbench's undoable steps (a coding made by a script is undone in the
workbench with the same words), a command that fails leaves no trace (not even a new
coder), ``qcoder db upgrade`` climbs the same schema ladder as opening a project, with
the same refusals, and a failure reads the same on every face.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import add_document, qc
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store import schema
from qcoder.store.database import describe_db_error, make_engine, open_project, sqlite_path
from qcoder.store.errors import one_line, user_message
from qcoder.store.models import Code, Coder, Coding, HistoryEntry

BASELINE = "0001_baseline"


def coder_names(db: str) -> list[str]:
    with open_project(db) as project, project.session() as session:
        return list(session.scalars(select(Coder.name).order_by(Coder.id)))


def three_statements(db: str) -> None:
    with open_project(db) as project:
        add_document(project, ["一。", "二。", "三。"])


def test_a_command_line_coding_is_undone_in_the_workbench_in_the_same_words(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    three_statements(db)
    code, out, err = qc("code", "D01-S001..D01-S003", "--code", "新码", "--coder", "王", "--db", db)
    assert code == 0, err
    assert "coded 3 of 3 statements with '新码' (new code '新码')" in out
    code, out, err = qc("uncode", "D01-S002", "--code", "新码", "--coder", "王", "--db", db)
    assert (code, out.strip()) == (0, "removed '新码' from 1 of 1 statements"), err
    with open_project(db) as project:
        bench = Workbench(project, "王")
        assert bench.pending_history() == ("uncode 1 statement with 新码", None)
        assert bench.undo() == "uncode 1 statement with 新码"
        assert bench.undo() == "code 3 statements with 新码"
        with project.session() as session:
            assert session.scalar(select(Coding.id)) is None
            assert session.scalar(select(Code.id)) is None  # the step that made the code took it back
    code, out, _ = qc("redo", "--coder", "王", "--db", db)
    assert (code, out.strip()) == (0, "redo: code 3 statements with 新码")


def test_a_failed_command_by_a_new_coder_leaves_no_coder_behind(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    three_statements(db)
    assert qc("code", "D01-S001", "--code", "甲", "--coder", "王", "--db", db)[0] == 0
    before = coder_names(db)
    failures = [
        ("code", "D01-S001", "--code", "乙", "--level", "banana", "--coder", "新人", "--db", db),  # in the step
        ("code", "D01-S009", "--code", "乙", "--coder", "新人", "--db", db),  # before it
        ("uncode", "D01-S001", "--code", "没有", "--coder", "新人", "--db", db),
        ("review", "D07", "--coder", "新人", "--db", db),
        ("search", "一", "--code", "乙", "--level", "banana", "--coder", "新人", "--db", db),
    ]
    for args in failures:
        code, out, err = qc(*args)
        assert code == 1 and err.startswith("error: ") and err.count("\n") == 1, (args, out, err)
    code, out, _ = qc("undo", "--coder", "新人", "--db", db)
    assert (code, out.strip()) == (0, "nothing to undo for 新人")
    assert coder_names(db) == before == ["王"]
    code, out, err = qc("review", "D01", "--coder", "新人", "--db", db)  # a change: now the coder exists
    assert (code, out.strip()) == (0, "D01 reviewed by 新人"), err
    assert coder_names(db) == ["王", "新人"]
    with open_project(db) as project, project.session() as session:
        steps = [
            (name, entry)
            for name, entry in session.execute(
                select(Coder.name, HistoryEntry.description)
                .join(Coder, Coder.id == HistoryEntry.coder_id)
                .order_by(HistoryEntry.id)
            )
        ]
    assert steps == [("王", "code 1 statement with 甲"), ("新人", "review")]


def _older(db_url: str) -> None:
    """A project as the previous qcoder left it: the baseline schema and one coder."""
    engine = make_engine(db_url)
    try:
        schema.upgrade(engine, BASELINE)
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO coders (name, created_at) VALUES ('张三', CURRENT_TIMESTAMP)"))
    finally:
        engine.dispose()


def _revision(db_url: str) -> str | None:
    engine = make_engine(db_url)
    try:
        return schema.current_revision(engine)
    finally:
        engine.dispose()


def test_db_upgrade_climbs_the_ladder_of_opening(db_url: str) -> None:
    _older(db_url)
    path = sqlite_path(db_url)
    code, out, err = qc("db", "upgrade", "--db", db_url)
    assert code == 0, err
    assert out.strip() == f"schema upgraded to {schema.head_revision()}"
    assert _revision(db_url) == schema.head_revision()
    assert coder_names(db_url) == ["张三"]
    if path is not None:  # SQLite: backed up first, said as opening says it
        backups = [p for p in path.parent.iterdir() if p != path and p.name.endswith(".db") and "pre-" in p.name]
        assert (
            len(backups) == 1
            and err.strip() == f"upgraded the project schema; the old file was backed up to {backups[0]}"
        )
    else:
        assert err.strip() == f"upgraded the project schema from {BASELINE}"
    code, out, err = qc("db", "upgrade", "--db", db_url)
    assert (code, out.strip(), err) == (0, f"schema already current ({schema.head_revision()})", "")


def test_db_upgrade_refuses_in_the_words_of_opening(db_url: str) -> None:
    open_project(db_url).close()
    plain = create_engine(db_url)
    try:
        with plain.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    finally:
        plain.dispose()
    upgrade = qc("db", "upgrade", "--db", db_url)
    opening = qc("docs", "--db", db_url)
    assert upgrade[0] == opening[0] == 1
    assert upgrade[2] == opening[2] and "written by a newer qcoder" in upgrade[2] and upgrade[2].count("\n") == 1
    assert _revision(db_url) == "9999_from_the_future"


@pytest.mark.postgres
def test_opening_an_older_server_project_still_waits_for_db_upgrade(pg_url: str) -> None:
    _older(pg_url)
    code, _, err = qc("docs", "--db", pg_url)
    assert code == 1 and "run `qcoder db upgrade" in err
    assert _revision(pg_url) == BASELINE


def test_every_face_words_a_failure_the_same(tmp_path: Path) -> None:
    locked = OperationalError("UPDATE codes", {}, Exception("database is locked"))
    url = f"sqlite:///{tmp_path / 'p.qcoder'}"
    busy = "the project database is busy (locked by another process): database is locked; try again"
    assert user_message(locked, url) == one_line(locked, url) == describe_db_error(locked, url) == busy
    broken = OperationalError("SELECT", {}, Exception("disk I/O error"))
    assert user_message(broken, url) == f"database error on {tmp_path / 'p.qcoder'}: disk I/O error"
    assert user_message(broken) == "database error: disk I/O error"  # no project to name
    assert user_message(QcoderError("no code 'x'\nmore")) == "no code 'x'"
    assert user_message(ValueError("a bug")) is None  # not dressed up as a user's failure: it raises
    assert one_line(ValueError("a bug\nsecond line")) == "ValueError: a bug"
