"""`qcoder undo` / `qcoder redo`: the same per-coder history as the workbench, from a script."""

from __future__ import annotations

from pathlib import Path

from factories import add_document, qc
from sqlalchemy import select

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Coding


def codings(db: str) -> set[tuple[int, int]]:
    with open_project(db) as project, project.session() as s:
        return {tuple(row) for row in s.execute(select(Coding.sentence_id, Coding.coder_id))}  # type: ignore[misc]


def test_an_autocode_by_mistake_is_undone_and_redone(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    with open_project(db) as project:
        add_document(project, ["揭榜挂帅机制。", "企业主体。", "揭榜挂帅让团队承担项目。"])
    code, out, err = qc("search", "揭榜挂帅", "--code", "揭榜挂帅", "--coder", "王", "--db", db)
    assert code == 0, err
    assert len(codings(db)) == 2
    code, out, err = qc("review", "D01", "--coder", "王", "--db", db)
    assert code == 0, err
    code, out, _ = qc("undo", "--coder", "王", "--db", db)
    assert (code, out.strip()) == (0, "undo: review")
    code, out, _ = qc("undo", "--coder", "王", "--db", db)
    assert out.strip() == "undo: autocode the hits of 揭榜挂帅 with 揭榜挂帅"
    assert codings(db) == set()
    code, out, _ = qc("undo", "--coder", "王", "--db", db)
    assert out.strip() == "nothing to undo for 王"
    code, out, _ = qc("redo", "--coder", "王", "--db", db)
    assert code == 0 and len(codings(db)) == 2


def test_undo_that_would_remove_a_colleagues_codings_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    with open_project(db) as project:
        add_document(project, ["一。", "二。", "三。"])
    assert qc("code", "D01-S001", "--code", "新码", "--coder", "王", "--db", db)[0] == 0
    with open_project(db) as project:
        bench = Workbench(project, "李")
        bench.code_statements([2, 3], next(c.id for c in bench.codes() if c.name == "新码"))
    before = codings(db)
    code, _out, err = qc("undo", "--coder", "王", "--db", db)
    assert code != 0
    assert err.count("\n") == 1 and "李 has 2 codings with it" in err and "Traceback" not in err
    assert codings(db) == before
