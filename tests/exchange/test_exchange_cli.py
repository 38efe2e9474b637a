"""The exchange commands as a researcher types them: plans by default, changes with --apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from exchange_helpers import EXAMPLES, build_rich_project, foreign_qdpx, row_counts, snapshot
from factories import qc

from qcoder.store.database import open_project


@pytest.fixture
def rich_db(tmp_path: Path) -> str:
    db = str(tmp_path / "rich.qcoder.db")
    with open_project(db) as project:
        build_rich_project(project)
    return db


@pytest.mark.parametrize("suffix", [".qdc", ".csv", ".md", ".json", ".xlsx"])
def test_export_codebook_writes_the_format_of_the_suffix(rich_db: str, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"book{suffix}"
    code, out, err = qc("export", "codebook", "--db", rich_db, "-o", str(target))
    assert code == 0, err
    assert out.strip() == f"wrote 6 codes to {target}" and target.stat().st_size > 0


def test_export_codebook_refuses_an_unknown_suffix_in_one_line(rich_db: str, tmp_path: Path) -> None:
    code, _, err = qc("export", "codebook", "--db", rich_db, "-o", str(tmp_path / "book.pdf"))
    assert code == 1 and err.startswith("error: cannot write a codebook as '.pdf'") and err.count("\n") == 1


def test_import_codebook_plans_then_applies(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder.db")
    example = str(EXAMPLES / "atlasti8_spec-example2_project.qde")
    code, out, _ = qc("import-codebook", "--db", db, example)
    assert code == 0 and "plan: 14 new, 0 same, 0 renamed, 0 updated, 0 conflicting; nothing changed" in out
    with open_project(db) as project:
        assert row_counts(project)["codes"] == 0
    code, out, _ = qc("import-codebook", "--db", db, example, "--apply", "--coder", "ana")
    assert code == 0 and "applied: 14 new" in out
    code, out, _ = qc("import-codebook", "--db", db, example, "--format", "json")
    plan = json.loads(out)
    assert plan["applied"] is False and {c["kind"] for c in plan["codes"]} == {"same"}


def test_export_import_project_and_merge(rich_db: str, tmp_path: Path) -> None:
    package = tmp_path / "rich.qdpx"
    code, out, err = qc("export", "project", "--db", rich_db, "-o", str(package))
    assert code == 0, err
    assert (
        "2 documents, 6 codes, 5 codings on 4 statements by 2 coders (4 selections, positions in code points), "
        "5 memos, 2 relations"
    ) in out
    copy = str(tmp_path / "copy.qcoder.db")
    code, out, _ = qc("import-project", "--db", copy, str(package), "--dry-run")
    assert code == 0 and "dry run: nothing was stored" in out
    with open_project(copy) as project:
        assert row_counts(project)["documents"] == 0
    code, out, _ = qc("import-project", "--db", copy, str(package))
    assert code == 0 and "2 new documents" in out
    code, out, _ = qc("merge", "--db", copy, rich_db)
    assert code == 0 and "0 new documents (2 shared)" in out and "nothing changed" in out
    with open_project(copy) as mine, open_project(rich_db) as theirs:
        assert snapshot(mine) == snapshot(theirs)


def test_merge_needs_a_choice_for_conflicts(rich_db: str, tmp_path: Path) -> None:
    copy = str(tmp_path / "copy.qcoder.db")
    assert qc("merge", "--db", copy, rich_db, "--apply")[0] == 0
    assert (
        qc("code", "--db", copy, "D01-S001", "--code", "主体地位", "--coder", "carol")[0] == 0
    )  # new work in the copy
    with open_project(copy) as project:
        from qcoder.coding.codes import find_code, rename_code

        project.run(lambda s: rename_code(s, find_code(s, "成果转化", 0), "转化"))
    code, out, err = qc("merge", "--db", rich_db, copy, "--apply")
    assert code == 1 and "1 conflict(s) need a choice" in err
    code, out, _ = qc("merge", "--db", rich_db, copy, "--apply", "--prefer", "theirs")
    assert code == 0 and "1 new codings" in out and out.strip().endswith("merged")
    code, _, err = qc("merge", "--db", rich_db, copy, "--choose", "oops")
    assert code == 1 and "--choose takes GUID=ours|theirs" in err


def test_import_project_refusal_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder.db")
    evil = tmp_path / "evil.qdpx"
    evil.write_bytes(foreign_qdpx(extra={"../../evil": b"x"}))
    code, _, err = qc("import-project", "--db", db, str(evil))
    assert code == 1 and "zip slip" in err and err.count("\n") == 1
    with open_project(db) as project:
        assert sum(row_counts(project).values()) == 0
