"""Schema migrations: what happens when a researcher opens a project of another version."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError, SchemaMismatch
from qcoder.store import revisions, schema
from qcoder.store.database import make_engine, open_project, sqlite_path
from qcoder.store.models import Base

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_TABLES = set(Base.metadata.tables)
BASELINE = "0001_baseline"
SHIPPED_HEAD = schema.head_revision()  # the newest revision this qcoder ships
TEST_REVISION = "9999_test_code_note"

TEST_REVISION_SOURCE = f'''
"""test-only revision: codes get a note column"""
import sqlalchemy as sa
from alembic import op

revision = "{TEST_REVISION}"
down_revision = "{SHIPPED_HEAD}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("codes") as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("codes") as batch_op:
        batch_op.drop_column("note")
'''


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


@contextmanager
def plain_engine(url: str) -> Iterator[Engine]:
    """An engine without qcoder's set-up: what another tool touching the database sees."""
    made = create_engine(url)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A qcoder engine (pragmas and all) on an empty database, without opening a project."""
    made = make_engine(db_url)
    try:
        yield made
    finally:
        made.dispose()


@pytest.fixture
def newer_qcoder_migrations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pretend this qcoder ships a second revision, so a baseline database is 'older'."""
    directory = tmp_path / "migrations"
    shutil.copytree(schema.migrations_dir(), directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / f"{TEST_REVISION}.py").write_text(TEST_REVISION_SOURCE)
    monkeypatch.setattr(revisions, "migrations_dir", lambda: directory)  # what schema reads too
    assert schema.head_revision() == TEST_REVISION
    return directory


def test_upgrade_downgrade_and_upgrade_again(engine: Engine) -> None:
    schema.upgrade(engine)
    assert tables(engine) == MODEL_TABLES | {"alembic_version"}
    assert schema.current_revision(engine) == schema.head_revision()

    schema.downgrade(engine, "base")
    assert tables(engine) - {"alembic_version"} == set()
    assert schema.current_revision(engine) is None

    schema.upgrade(engine)
    assert tables(engine) == MODEL_TABLES | {"alembic_version"}
    with engine.begin() as connection:  # the re-created schema is usable, not just present
        connection.execute(text("INSERT INTO coders (name, created_at) VALUES ('李四', CURRENT_TIMESTAMP)"))
        assert connection.execute(text("SELECT name FROM coders")).scalar_one() == "李四"


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    """A model change without a migration would leave existing projects behind."""
    schema.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], "migrations and models disagree; generate a revision:\n" + "\n".join(map(str, diff))


def test_opening_an_empty_database_creates_the_schema(db_url: str) -> None:
    with open_project(db_url) as project:
        assert tables(project.engine) == MODEL_TABLES | {"alembic_version"}
        assert schema.state(project.engine) == "current"
        assert project.notices == []
    with open_project(db_url) as again:  # reopening a current project changes nothing
        assert schema.current_revision(again.engine) == schema.head_revision()
        assert again.notices == []


def test_a_mistyped_path_is_not_created_when_create_is_false(tmp_path: Path) -> None:
    missing = tmp_path / "typo.qcoder.db"
    with pytest.raises(QcoderError, match="no project at"):
        open_project(missing, create=False)
    assert not missing.exists()


def test_a_project_from_a_newer_qcoder_is_refused(db_url: str) -> None:
    open_project(db_url).close()
    with plain_engine(db_url) as plain, plain.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    with pytest.raises(SchemaMismatch) as refused:
        open_project(db_url)

    message = str(refused.value)
    assert "newer qcoder" in message and "upgrade qcoder" in message
    assert "9999_from_the_future" in message
    assert "\n" not in message
    with plain_engine(db_url) as plain, plain.connect() as connection:  # left untouched
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert revision == "9999_from_the_future"


def test_an_older_sqlite_project_is_backed_up_then_upgraded(sqlite_url: str, newer_qcoder_migrations: Path) -> None:
    path = sqlite_path(sqlite_url)
    assert path is not None
    old = make_engine(sqlite_url)
    schema.upgrade(old, BASELINE)
    with old.begin() as connection:
        connection.execute(text("INSERT INTO coders (name, created_at) VALUES ('张三', CURRENT_TIMESTAMP)"))
    old.dispose()

    with open_project(sqlite_url) as project:
        assert schema.current_revision(project.engine) == TEST_REVISION
        assert "note" in {c["name"] for c in inspect(project.engine).get_columns("codes")}
        with project.engine.connect() as connection:
            assert connection.execute(text("SELECT name FROM coders")).scalar_one() == "张三"
        notices = list(project.notices)

    backups = [p for p in path.parent.iterdir() if p != path and p.suffix == path.suffix]
    assert len(backups) == 1, backups
    backup = backups[0]
    assert len(notices) == 1 and str(backup) in notices[0]
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchall() == [(BASELINE,)]
        assert copy.execute("SELECT name FROM coders").fetchall() == [("张三",)]
        assert "note" not in {row[1] for row in copy.execute("PRAGMA table_info(codes)")}
    finally:
        copy.close()


@pytest.mark.postgres
def test_an_older_postgres_project_is_refused_until_upgraded_explicitly(
    pg_url: str, newer_qcoder_migrations: Path
) -> None:
    """A shared server database is upgraded by whoever administers it, never as a side effect."""
    old = make_engine(pg_url)
    try:
        schema.upgrade(old, BASELINE)
        with pytest.raises(SchemaMismatch, match=r"run `qcoder db upgrade") as refused:
            open_project(pg_url)
        assert "older" in str(refused.value)
        assert schema.current_revision(old) == BASELINE

        schema.upgrade(old)  # what `qcoder db upgrade` does
    finally:
        old.dispose()
    with open_project(pg_url) as project:
        assert schema.current_revision(project.engine) == TEST_REVISION


def test_a_foreign_database_is_refused_and_left_alone(db_url: str) -> None:
    with plain_engine(db_url) as plain, plain.begin() as connection:
        connection.execute(text("CREATE TABLE patients (id INTEGER PRIMARY KEY, name TEXT)"))
        connection.execute(text("INSERT INTO patients VALUES (1, '王五')"))

    with pytest.raises(SchemaMismatch, match="not a qcoder project"):
        open_project(db_url)

    with plain_engine(db_url) as plain:
        assert tables(plain) == {"patients"}
        with plain.connect() as connection:
            assert connection.execute(text("SELECT name FROM patients")).scalar_one() == "王五"


def _build_wheel(destination: Path) -> Path:
    """Build qcoder's wheel; without network fall back to the hatchling already installed."""
    base = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(destination)]
    attempts = [[*base, str(REPO_ROOT)]]
    if importlib.util.find_spec("hatchling") is not None:
        attempts.append([*base, "--no-build-isolation", str(REPO_ROOT)])
    errors = []
    for argv in attempts:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=300)
        wheels = sorted(destination.glob("qcoder-*.whl"))
        if result.returncode == 0 and len(wheels) == 1:
            return wheels[0]
        errors.append(f"{' '.join(argv)}:\n{result.stderr[-2000:]}")
    message = "cannot build the qcoder wheel (offline and no hatchling?):\n" + "\n".join(errors)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


WHEEL_PROBE = textwrap.dedent(
    """
    import json, sys
    import qcoder
    from sqlalchemy import inspect
    from qcoder.store import schema
    from qcoder.store.database import open_project

    with open_project(sys.argv[1]) as project:
        print(json.dumps({
            "qcoder": qcoder.__file__,
            "migrations": str(schema.migrations_dir()),
            "revision": schema.current_revision(project.engine),
            "tables": sorted(inspect(project.engine).get_table_names()),
        }))
    """
)


@pytest.mark.slow
def test_an_installed_wheel_carries_and_uses_its_own_migrations(tmp_path: Path) -> None:
    """Installed from a wheel there is no checkout: migrations must travel inside the package."""
    wheel = _build_wheel(tmp_path / "dist")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    packaged = {p.name for p in (site / "qcoder" / "_migrations" / "versions").glob("*.py")}
    in_checkout = {p.name for p in (REPO_ROOT / "migrations" / "versions").glob("*.py")}
    assert packaged == in_checkout
    assert (site / "qcoder" / "py.typed").is_file()  # PEP 561: type checkers use the installed package's hints

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("QCODER_DB", "PYTHONPATH")}
    env["PYTHONPATH"] = str(site)  # ahead of the editable checkout on sys.path
    db = elsewhere / "from-wheel.qcoder.db"
    result = subprocess.run(
        [sys.executable, "-c", WHEEL_PROBE, str(db)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert Path(probe["qcoder"]).is_relative_to(site)
    assert Path(probe["migrations"]) == site / "qcoder" / "_migrations"
    assert probe["revision"] == schema.head_revision()
    assert set(probe["tables"]) == MODEL_TABLES | {"alembic_version"}


def test_revision_graph_read_from_the_scripts_matches_alembic() -> None:
    """Opening a project reads the head from the scripts' text; alembic must agree."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(schema._config())
    assert schema.head_revision() == scripts.get_current_head()
    assert schema.known_revisions() == {rev.revision for rev in scripts.walk_revisions()}


def test_after_the_upgrade_a_deleted_codes_id_is_never_given_again(tmp_path: Path) -> None:
    """Issue 12: SQLite handed a deleted code's id to the next new code, and history then hit it.

    A v0001 project where the highest code (id 3) was deleted, leaving only the event log
    to remember it: after the upgrade a new code gets id 4, and after deleting that, id 5.
    """
    path = tmp_path / "old.qcoder"
    old = make_engine(f"sqlite:///{path}")
    schema.upgrade(old, BASELINE)
    with old.begin() as connection:
        connection.exec_driver_sql("INSERT INTO coders (id, name, created_at) VALUES (1, '王', CURRENT_TIMESTAMP)")
        for code_id in (1, 2, 3):
            connection.exec_driver_sql(
                "INSERT INTO codes (id, guid, name, level, definition, created_at, updated_at, version) "
                f"VALUES ({code_id}, 'g{code_id}', '码{code_id}', 0, '', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1)"
            )
        connection.exec_driver_sql("DELETE FROM codes WHERE id = 3")
        connection.exec_driver_sql(
            "INSERT INTO events (at, coder_id, action, payload) VALUES "
            '(CURRENT_TIMESTAMP, 1, \'code.delete\', \'{"code_id": 3, "name": "码3"}\')'
        )
    old.dispose()
    with open_project(str(path)) as project:
        bench = Workbench(project, "王")
        fourth = bench.create_code("新码")
        assert fourth.id == 4
        bench.delete_code(fourth.id)
        assert bench.create_code("又一新码").id == 5
