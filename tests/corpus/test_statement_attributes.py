"""Statement attributes after import: stored, shown, searched; interviewer context is never coded."""

from __future__ import annotations

from pathlib import Path

import pytest
from factories import qc
from sqlalchemy import select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings
from qcoder.corpus.importer import import_path
from qcoder.corpus.search import search
from qcoder.corpus.types import PipelineOptions
from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.models import Coding, Sentence

TRANSCRIPT = "[00:00:05] 问：你为什么回来创业？\n[00:00:09] 答：我想创业。因为家里穷。\n问：创业难吗？\n答：创业很难\n"


def _import(project: Project, tmp_path: Path, **options: object) -> None:
    path = tmp_path / "interview.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    import_path(project, path, options=PipelineOptions(**options))  # type: ignore[arg-type]


def test_attributes_are_stored_and_searchable(project: Project, tmp_path: Path) -> None:
    _import(project, tmp_path)
    with project.session() as session:
        rows = session.execute(select(Sentence.text, Sentence.attributes).order_by(Sentence.ordinal)).all()
        assert [tuple(r) for r in rows] == [
            ("你为什么回来创业？", {"speaker": "问", "time": "00:00:05"}),
            ("我想创业。", {"speaker": "答", "time": "00:00:09"}),
            ("因为家里穷。", {"speaker": "答", "time": "00:00:09"}),
            ("创业难吗？", {"speaker": "问"}),
            ("创业很难", {"speaker": "答"}),
        ]
        assert [h.text for h in search(session, "创业", attributes={"speaker": "答"})] == ["我想创业。", "创业很难"]
        assert [h.text for h in search(session, "创业", attributes={"time": "00:00:05"})] == ["你为什么回来创业？"]
        assert len(search(session, "创业")) == 4


def test_interviewer_context_is_never_coded(project: Project, tmp_path: Path) -> None:
    _import(project, tmp_path, interviewer_context=True)

    def work(session):  # type: ignore[no-untyped-def]
        coder = get_or_create_coder(session, "wang")
        code = create_code(session, "动机")
        ids = list(session.scalars(select(Sentence.id).order_by(Sentence.ordinal)))
        with pytest.raises(QcoderError, match="interviewer turns kept as context"):
            add_codings(session, ids[:1], code.id, coder.id)
        return add_codings(session, ids, code.id, coder.id), ids

    added, ids = project.run(work)
    assert added == [ids[1], ids[2], ids[4]]
    with project.session() as session:
        assert sorted(session.scalars(select(Coding.sentence_id))) == sorted(added)


def test_cli_show_and_search_by_speaker(tmp_path: Path) -> None:
    db = str(tmp_path / "t.qcoder")
    path = tmp_path / "interview.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    code, out, err = qc("import", "--db", db, "--interviewer-context", str(path))
    assert code == 0, err
    code, out, _ = qc("show", "--db", db, "D01")
    assert out.splitlines()[1:4] == [
        "D01-S001  (context) [问 00:00:05] 你为什么回来创业？",
        "D01-S002  [答 00:00:09] 我想创业。",
        "D01-S003  [答 00:00:09] 因为家里穷。",
    ]
    code, out, _ = qc("search", "--db", db, "创业", "--speaker", "答")
    assert code == 0 and "2 statements match" in out and "D01-S001" not in out
    code, out, err = qc("code", "--db", db, "D01-S001", "--code", "动机", "--coder", "wang")
    assert code == 1 and "not for coding" in err and "\n" not in err.strip()
    code, out, _ = qc("code", "--db", db, "D01-S001..D01-S003", "--code", "动机", "--coder", "wang")
    assert code == 0 and "1 interviewer turns skipped" in out


def test_dry_run_report_is_kept_with_the_document(tmp_path: Path) -> None:
    db = str(tmp_path / "t.qcoder")
    path = tmp_path / "interview.txt"
    path.write_text(TRANSCRIPT, encoding="utf-8")
    code, dry, _ = qc("import", "--db", db, "--dry-run", str(path))
    assert code == 0
    for line in ("reader: text: transcript (speaker turns)", "speakers: 答 3 statements, 问 2 statements"):
        assert line in dry
    assert "1× '[00:00:05] 问：'" in dry and "1× '问：'" in dry
    code, _, _ = qc("import", "--db", db, str(path))
    from qcoder.store.database import open_project
    from qcoder.store.models import Document

    with open_project(db) as project, project.session() as session:
        report = session.scalar(select(Document.import_report))
    assert report is not None and "speakers: 答 3 statements, 问 2 statements" in report
