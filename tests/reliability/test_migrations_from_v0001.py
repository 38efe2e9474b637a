"""A project written by the first released schema opens in this qcoder with nothing lost.

``data/v0001_project.qcoder`` was written by ``make_v0001_fixture.py`` at schema
``0001_baseline`` and is never regenerated; ``data/v0001_project.json`` is what the
generator wrote. Opening a copy upgrades it (after a backup) whenever later revisions
exist; today 0001 is still the head, so it must open as current. A test-only later
revision that rebuilds the central tables, as Alembic's batch mode does on SQLite for
almost any column change, shows what the first real migration will do to this project.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from make_v0001_fixture import BASELINE, EXPECTED, FIXTURE, describe
from sqlalchemy import func, select

from qcoder.coding.workbench import Workbench
from qcoder.store import revisions, schema
from qcoder.store.check import check_project
from qcoder.store.database import open_project
from qcoder.store.models import Coding

REBUILD_REVISION = "9999_test_rebuild"
SHIPPED_HEAD = schema.head_revision()  # the newest revision this qcoder ships
REBUILD_SOURCE = f'''
"""test-only revision: a column on each central table, forcing SQLite to rebuild it"""
import sqlalchemy as sa
from alembic import op

revision = "{REBUILD_REVISION}"
down_revision = "{SHIPPED_HEAD}"
branch_labels = None
depends_on = None

TABLES = ("coders", "documents", "sentences", "codes", "relations")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.add_column(sa.Column("migration_probe", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_column("migration_probe")
'''


@pytest.fixture
def old_project(tmp_path: Path) -> Path:
    """A private copy: the committed file must never be upgraded in place."""
    copy = tmp_path / "fieldwork-2024.qcoder"
    shutil.copyfile(FIXTURE, copy)
    return copy


def expected() -> dict[str, Any]:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


def test_the_committed_fixture_is_a_small_self_contained_v0001_file() -> None:
    assert FIXTURE.stat().st_size < 300 * 1024
    assert not FIXTURE.with_name(FIXTURE.name + "-wal").exists()
    connection = sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True)
    try:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(BASELINE,)]
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    finally:
        connection.close()
    assert expected()["revision"] == BASELINE


def test_a_v0001_project_opens_upgraded_with_every_row_intact(old_project: Path) -> None:
    fixture_digest = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    with open_project(old_project, create=False) as project:
        assert schema.current_revision(project.engine) == schema.head_revision()
        if schema.head_revision() == BASELINE:
            assert project.notices == []
        else:  # a later revision exists: the old file was backed up first
            assert len(project.notices) == 1 and "backed up" in project.notices[0]
            backups = list(old_project.parent.glob("fieldwork-2024.pre-*"))
            assert len(backups) == 1
        found = describe(project)
        problems = check_project(project)
    want = expected()
    found.pop("revision"), want.pop("revision")
    _without_new_empty_tables(found, want)
    assert found["counts"] == want["counts"]
    for key in want:  # one key at a time, so a failure names what changed
        assert found[key] == want[key], f"{key} differ after opening the v0001 project"
    assert problems == []
    assert hashlib.sha256(FIXTURE.read_bytes()).hexdigest() == fixture_digest


def test_work_continues_in_the_upgraded_project(old_project: Path) -> None:
    with open_project(old_project, create=False) as project:
        ana = Workbench(project, "ana")
        codes = {code.name: code for code in ana.codes()}
        assert codes["政策支持"].codings == 2 and codes["人才引进"].codings == 7  # ana 4 + bo 3
        document = next(doc for doc in ana.documents() if doc.label == "D01")
        assert document.reviewed_by_me and set(document.reviewers) == {"ana", "bo 王"}
        statement = ana.statements(document.id)[-1]
        assert ana.code_statements([statement.id], codes["开放合作"].id) == [statement.id]
        ana.add_memo("升级后继续写备忘。")
        with project.session() as session:
            assert session.scalar(select(func.count()).select_from(Coding)) == expected()["counts"]["codings"] + 1
        assert check_project(project) == []


@pytest.fixture
def rebuilding_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pretend this qcoder ships a second revision that rebuilds the central tables."""
    directory = tmp_path / "migrations"
    shutil.copytree(schema.migrations_dir(), directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / f"{REBUILD_REVISION}.py").write_text(REBUILD_SOURCE)
    monkeypatch.setattr(revisions, "migrations_dir", lambda: directory)  # what schema reads too
    assert schema.head_revision() == REBUILD_REVISION
    return REBUILD_REVISION


def test_a_later_migration_that_rebuilds_tables_keeps_every_row(old_project: Path, rebuilding_migration: str) -> None:
    with open_project(old_project, create=False) as project:
        assert schema.current_revision(project.engine) == rebuilding_migration
        assert len(project.notices) == 1 and "backed up" in project.notices[0]
        found = describe(project)
        problems = check_project(project)
        with project.engine.connect() as connection:  # the project's own connections enforce keys again
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    want = expected()
    _without_new_empty_tables(found, want)
    assert found["counts"] == want["counts"]
    found.pop("revision"), want.pop("revision")
    assert found == want
    assert problems == []


def _without_new_empty_tables(found: dict[str, Any], want: dict[str, Any]) -> None:
    """Tables added by later revisions (e.g. the undo history) start empty; the rest must match."""
    for table in set(found["counts"]) - set(want["counts"]):
        assert found["counts"].pop(table) == 0, f"the new table {table} is not empty after the upgrade"
