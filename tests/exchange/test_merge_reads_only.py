"""Merging reads the colleague's copy and never writes to it, from the CLI and the TUI alike.

The colleague's file must stay byte for byte what their own qcoder wrote — not upgraded to
this qcoder's schema (their qcoder would refuse it as "written by a newer qcoder"), not
switched to WAL, no backup, ``-wal`` or ``-shm`` file left next to it — after a plan and
after ``--apply``. An older file is read through an upgraded copy in a temporary place.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from exchange_helpers import build_rich_project, row_counts, snapshot
from factories import qc
from sqlalchemy import text

from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError, SchemaMismatch
from qcoder.exchange import tasks as exchange_tasks
from qcoder.exchange.merge import apply_merge, plan_merge
from qcoder.store import revisions, schema
from qcoder.store.database import Project, open_other_project, open_project

DATA = Path(__file__).resolve().parent.parent / "reliability" / "data"
V0001 = DATA / "v0001_project.qcoder"
V0001_COUNTS = json.loads((DATA / "v0001_project.json").read_text(encoding="utf-8"))["counts"]
LATER_REVISION = "0099_test_later"


def fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's digest and everything in its folder: what the colleague would find."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(p.name for p in path.parent.iterdir())


def file_revision(path: Path) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    finally:
        connection.close()


@pytest.fixture
def later_qcoder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Pretend this qcoder ships one more schema revision than the colleague's files have."""
    directory = tmp_path / "migrations"
    shutil.copytree(schema.migrations_dir(), directory, ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "versions" / f"{LATER_REVISION}.py").write_text(
        f'''"""test only: a later schema (a new table)"""
import sqlalchemy as sa
from alembic import op

revision = "{LATER_REVISION}"
down_revision = "{schema.head_revision()}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("later_probe", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("later_probe")
'''
    )
    monkeypatch.setattr(revisions, "migrations_dir", lambda: directory)
    assert schema.head_revision() == LATER_REVISION
    return LATER_REVISION


@pytest.fixture
def colleague_folder() -> Iterator[Path]:
    """The colleague's own folder (a shared drive, a USB stick): nothing else lives there."""
    folder = Path(tempfile.mkdtemp(prefix="colleague-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def old_colleague(colleague_folder: Path) -> Path:
    """A copy of the first released schema's project (rollback journal, not WAL)."""
    copy = colleague_folder / "bo-fieldwork.qcoder"
    shutil.copyfile(V0001, copy)
    return copy


@pytest.fixture
def current_colleague(colleague_folder: Path) -> Path:
    """A project written and closed by this qcoder (WAL mode, like every project it writes)."""
    path = colleague_folder / "bo.qcoder"
    with open_project(path) as project:
        build_rich_project(project)
    return path


def merged_counts(target: str) -> dict[str, int]:
    with open_project(target) as project:
        counts = row_counts(project)
    counts.pop("events")
    return counts


def test_plan_and_apply_leave_an_older_colleague_file_untouched(
    later_qcoder: str, old_colleague: Path, tmp_path: Path
) -> None:
    before = fingerprint(old_colleague)
    target = str(tmp_path / "ana.qcoder")
    code, out, err = qc("merge", "--db", target, str(old_colleague))
    assert code == 0, err
    assert "nothing changed" in out and "2 new documents" in out
    assert "read through an upgraded temporary copy" in err and "not changed" in err
    assert fingerprint(old_colleague) == before
    code, out, err = qc("merge", "--db", target, str(old_colleague), "--apply")
    assert code == 0, err
    assert out.strip().endswith("merged")
    assert fingerprint(old_colleague) == before
    assert file_revision(old_colleague) == "0001_baseline"  # the colleague's qcoder still opens it
    counts = merged_counts(target)
    for table in ("documents", "sentences", "codes", "codings", "memos", "relations", "document_reviews"):
        assert counts[table] == V0001_COUNTS[table], table  # everything came over, from the copy


def test_the_temporary_copy_is_removed_when_the_other_project_closes(later_qcoder: str, old_colleague: Path) -> None:
    with open_other_project(old_colleague) as other:
        copy = Path(str(other.engine.url.database))
        assert copy.exists() and copy.parent != old_colleague.parent
        assert schema.current_revision(other.engine) == later_qcoder
    assert not copy.exists() and not copy.parent.exists()


def test_a_current_colleague_file_is_read_in_place_and_left_as_it_was(current_colleague: Path, tmp_path: Path) -> None:
    before = fingerprint(current_colleague)
    target = str(tmp_path / "ana.qcoder")
    code, out, err = qc("merge", "--db", target, str(current_colleague))
    assert code == 0 and err == "" and "nothing changed" in out
    assert fingerprint(current_colleague) == before
    code, _, err = qc("merge", "--db", target, str(current_colleague), "--apply")
    assert code == 0, err
    assert fingerprint(current_colleague) == before
    with open_project(target) as ours, open_project(current_colleague) as theirs:
        assert snapshot(ours) == snapshot(theirs)


def test_a_v0001_file_at_this_schema_keeps_its_rollback_journal(old_colleague: Path, tmp_path: Path) -> None:
    """Whatever the head is, reading never switches the colleague's file to WAL (that rewrites its header)."""
    before = fingerprint(old_colleague)
    target = str(tmp_path / "ana.qcoder")
    code, _, err = qc("merge", "--db", target, str(old_colleague), "--apply")
    assert code == 0, err
    assert fingerprint(old_colleague) == before


def test_the_tui_merge_dialog_leaves_the_colleague_file_untouched(
    later_qcoder: str, old_colleague: Path, tmp_path: Path
) -> None:
    before = fingerprint(old_colleague)
    with open_project(tmp_path / "ana.qcoder") as project:
        plan = exchange_tasks.preview_merge(project, exchange_tasks.project_ref(str(old_colleague)))
        assert len(plan.documents_new) == 2 and fingerprint(old_colleague) == before
        assert any("upgraded temporary copy" in note for note in plan.notes)  # the dialog says so
        done = exchange_tasks.run_merge(project, str(old_colleague), {})
        assert len(done.documents_new) == 2 and fingerprint(old_colleague) == before
        assert row_counts(project)["codings"] == V0001_COUNTS["codings"]


def test_a_colleague_still_working_in_the_file_is_read_with_their_latest_work(
    current_colleague: Path, tmp_path: Path
) -> None:
    """Their qcoder is open (its -wal holds work not yet in the main file): that work is merged too."""
    with open_project(current_colleague) as theirs:
        Workbench(theirs, "bob").create_code("还在写")
        wal = current_colleague.with_name(current_colleague.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0
        main_before = hashlib.sha256(current_colleague.read_bytes()).hexdigest()
        with open_project(tmp_path / "ana.qcoder") as ours, open_other_project(current_colleague) as other:
            assert "还在写 [level 0]" in plan_merge(ours, other).codes_new
        assert hashlib.sha256(current_colleague.read_bytes()).hexdigest() == main_before
        Workbench(theirs, "bob").create_code("写完了")  # their qcoder goes on working
    with open_project(current_colleague) as theirs:
        assert row_counts(theirs)["codes"] == 8


def test_a_colleague_file_from_a_newer_qcoder_is_refused_unchanged(
    later_qcoder: str, colleague_folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Written at a schema this qcoder does not know: one line, nothing written."""
    newer = colleague_folder / "bo.qcoder"
    with open_project(newer) as project:  # the colleague's qcoder is newer than ours …
        build_rich_project(project)
    monkeypatch.undo()  # … ours knows only the released revisions
    before = fingerprint(newer)
    code, _, err = qc("merge", "--db", str(tmp_path / "ana.qcoder"), str(newer))
    assert code == 1 and "written by a newer qcoder" in err and err.count("\n") == 1
    assert fingerprint(newer) == before
    with pytest.raises(SchemaMismatch):
        open_other_project(newer)
    assert fingerprint(newer) == before


def test_a_missing_colleague_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nobody.qcoder"
    with pytest.raises(QcoderError, match="no project at"):
        open_other_project(missing)
    assert not missing.exists()


def test_the_other_project_cannot_be_written_on_either_backend(project: Project, second_project: Project) -> None:
    """Also on PostgreSQL: OTHER's transactions are read-only, and merging from it changes nothing there."""
    build_rich_project(second_project)
    before = row_counts(second_project)
    with open_other_project(second_project.url) as other:
        apply_merge(project, other)
        with pytest.raises(QcoderError):
            other.run(lambda session: session.execute(text("DELETE FROM memos")))
    assert row_counts(second_project) == before  # not even an event
    assert snapshot(project) == snapshot(second_project)
