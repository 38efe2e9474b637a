"""Import in two steps: ``prepare`` reads and processes a file and writes nothing; ``store_prepared`` writes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from factories import qc
from sqlalchemy import func, select

from qcoder.corpus.importer import prepare, store_prepared
from qcoder.store.database import Project, open_project
from qcoder.store.models import Document, Event, Sentence

SEED = sorted((Path(__file__).resolve().parents[2] / "sample_corpus").glob("0*.txt"))[0]


def rows(project: Project) -> tuple[int, int, int]:
    with project.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Document)) or 0,
            s.scalar(select(func.count()).select_from(Sentence)) or 0,
            s.scalar(select(func.count()).select_from(Event)) or 0,
        )


def test_prepare_writes_nothing_and_store_prepared_stores_what_it_previewed(project: Project) -> None:
    prepared = prepare(SEED, project=project, attributes={"year": "2020"})
    assert rows(project) == (0, 0, 0)
    preview = prepared.preview()
    assert preview.status == "dry-run" and preview.statements > 50

    stored = project.run(lambda s: store_prepared(s, prepared))
    assert (stored.status, stored.label, stored.statements) == ("imported", "D01", preview.statements)
    assert rows(project) == (1, preview.statements, 1)  # the statements and one import event
    with project.session() as s:
        document = s.scalar(select(Document))
        assert document is not None and document.attributes == {"year": "2020"}
        for sentence in s.scalars(select(Sentence)):
            assert document.text[sentence.start : sentence.end] == sentence.text

    again = prepare(SEED, project=project)
    assert again.preview().status == "duplicate" and again.preview().label == "D01"
    assert project.run(lambda s: store_prepared(s, again)).status == "duplicate"
    assert rows(project) == (1, preview.statements, 1)


def test_dry_run_needs_no_write_lock(tmp_path: Path) -> None:
    """A colleague holding the SQLite write lock (a long import) does not stop a dry run."""
    db = tmp_path / "busy.qcoder"
    open_project(str(db)).close()
    colleague = sqlite3.connect(db, timeout=0)
    try:
        colleague.execute("BEGIN IMMEDIATE")
        code, out, err = qc("import", "--db", str(db), "--dry-run", str(SEED))
    finally:
        colleague.rollback()
        colleague.close()
    assert code == 0, err
    assert "would import" in out
    with open_project(str(db)) as project:
        assert rows(project) == (0, 0, 0)
