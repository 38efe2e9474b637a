"""The codebook from the command line: rename, move, merge, define, exemplar, relate, memos — with the
workbench's optimistic locking and undo, on both backends; and where the project is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import qc
from sqlalchemy import select

from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Memo, Relation, Sentence

SEED = Path(__file__).resolve().parents[2] / "sample_corpus" / "000_f894072df23efdee.txt"


@pytest.fixture
def coded(db_url: str) -> str:
    """One document, three concepts (two coded) under one category."""
    assert qc("import", "--db", db_url, str(SEED))[0] == 0
    assert qc("code", "D01-S002", "D01-S003", "--code", "需求", "--coder", "甲", "--db", db_url)[0] == 0
    assert qc("code", "D01-S004", "--code", "市场", "--coder", "甲", "--db", db_url)[0] == 0
    assert qc("code", "D01-S005", "--code", "环境", "--coder", "乙", "--db", db_url)[0] == 0
    code, _, err = qc("code", "D01-S006", "--code", "动因", "--level", "1", "--coder", "甲", "--db", db_url)
    assert code == 0, err
    return db_url


def _code(db: str, name: str) -> Code | None:
    with open_project(db) as project, project.session() as session:
        return session.scalar(select(Code).where(Code.name == name))


def test_rename_move_define_and_exemplar_change_the_codebook(coded: str) -> None:
    code, out, err = qc("codebook", "rename", "需求", "需求牵引", "--coder", "甲", "--db", coded)
    assert code == 0, err
    assert "需求牵引" in out and _code(coded, "需求") is None
    code, _, err = qc("codebook", "move", "需求牵引", "--parent", "动因", "--coder", "甲", "--db", coded)
    assert code == 0, err
    code, out, err = qc(
        "codebook", "define", "需求牵引", "国家与市场的需求", "--coder", "甲", "--db", coded, "--format", "json"
    )
    assert code == 0, err
    assert json.loads(out)["definition"] == "国家与市场的需求"
    assert qc("codebook", "exemplar", "需求牵引", "D01-S003", "--coder", "甲", "--db", coded)[0] == 0
    with open_project(coded) as project, project.session() as session:
        moved = session.scalar(select(Code).where(Code.name == "需求牵引"))
        assert moved is not None and moved.parent is not None and moved.parent.name == "动因"
        exemplar = session.get(Sentence, moved.exemplar_sentence_id)
        assert exemplar is not None and exemplar.label == "D01-S003"
    # every step is the coder's undoable step: undo the exemplar, then the definition
    assert qc("undo", "--coder", "甲", "--db", coded)[0] == 0
    assert qc("undo", "--coder", "甲", "--db", coded)[0] == 0
    code_now = _code(coded, "需求牵引")
    assert code_now is not None and code_now.exemplar_sentence_id is None and code_now.definition == ""


def test_a_change_on_top_of_a_colleagues_newer_one_is_refused(coded: str) -> None:
    listing = json.loads(qc("codes", "--db", coded, "--format", "json")[1])
    seen = next(row["version"] for row in listing if row["name"] == "市场")
    assert qc("codebook", "define", "市场", "乙的定义", "--coder", "乙", "--db", coded)[0] == 0  # the colleague
    code, out, err = qc(
        "codebook", "rename", "市场", "市场导向", "--coder", "甲", "--expect-version", str(seen), "--db", coded
    )
    assert code == 1 and out == ""
    assert "乙" in err and "refresh" in err and err.count("\n") == 1
    assert _code(coded, "市场") is not None and _code(coded, "市场导向") is None  # nothing changed


def test_merge_moves_codings_and_undo_brings_the_code_back(coded: str) -> None:
    code, out, err = qc("codebook", "merge", "市场", "需求", "--coder", "甲", "--db", coded)
    assert code == 0, err
    assert "1 codings moved" in out
    with open_project(coded) as project, project.session() as session:
        target = session.scalar(select(Code).where(Code.name == "需求"))
        assert target is not None
        assert len(session.scalars(select(Coding).where(Coding.code_id == target.id)).all()) == 3
    assert _code(coded, "市场") is None
    assert qc("undo", "--coder", "甲", "--db", coded)[0] == 0
    assert _code(coded, "市场") is not None
    code, _, err = qc("codebook", "merge", "市场", "市场", "--coder", "甲", "--db", coded)
    assert code == 1 and "itself" in err


def test_relations_and_memos_are_written_and_listed_as_json(coded: str) -> None:
    code, _out, err = qc(
        "codebook", "relate", "需求", "动因", "--type", "causal", "--note", "需求驱动", "--coder", "甲", "--db", coded
    )
    assert code == 0, err
    rows = json.loads(qc("codebook", "relations", "--db", coded, "--format", "json")[1])
    assert [(r["source"], r["type"], r["target"], r["note"], r["coder"]) for r in rows] == [
        ("需求", "causal", "动因", "需求驱动", "甲")
    ]
    assert qc("codebook", "memo", "这句要再看", "--on", "statement:D01-S004", "--coder", "乙", "--db", coded)[0] == 0
    assert qc("codebook", "memo", "概念的想法", "--on", "code:需求", "--coder", "甲", "--db", coded)[0] == 0
    memos = json.loads(qc("codebook", "memos", "--db", coded, "--format", "json", "--coder", "乙")[1])
    assert [(m["target"], m["about"], m["text"]) for m in memos] == [("statement", "D01-S004", "这句要再看")]
    by_target = json.loads(qc("codebook", "memos", "--db", coded, "--format", "json", "--target", "需求")[1])
    assert [m["text"] for m in by_target] == ["概念的想法"]
    assert (
        json.loads(qc("codebook", "memos", "--db", coded, "--format", "json", "--text", "想法")[1])[0]["coder"] == "甲"
    )
    relation_id = rows[0]["id"]
    assert qc("codebook", "unrelate", str(relation_id), "--coder", "甲", "--db", coded)[0] == 0
    with open_project(coded) as project, project.session() as session:
        assert session.scalars(select(Relation)).all() == []
        assert len(session.scalars(select(Memo)).all()) == 2


def test_bad_input_is_one_line_and_changes_nothing(coded: str) -> None:
    for args in (
        ("codebook", "rename", "没有这个", "新", "--coder", "甲"),
        ("codebook", "move", "需求", "--coder", "甲"),
        ("codebook", "relate", "需求", "动因", "--type", "nonsense", "--coder", "甲"),
        ("codebook", "memo", "x", "--on", "page:3", "--coder", "甲"),
        ("codebook", "delete", "需求", "--coder", "甲"),  # has codings, no --yes
    ):
        code, _out, err = qc(*args, "--db", coded)
        assert code != 0, args
        assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, (args, err)
    assert _code(coded, "需求") is not None


def test_read_only_commands_do_not_create_a_project(tmp_path: Path) -> None:
    missing = tmp_path / "typo.qcoder"
    for command in (("docs",), ("codes",), ("coders",), ("agree", "--coders", "甲,乙"), ("search", "创新")):
        code, _, err = qc(*command, "--db", str(missing))
        assert code == 1 and "no project at" in err, (command, err)
    assert qc("show", "D01", "--db", str(missing))[0] == 1
    assert qc("codebook", "memos", "--db", str(missing))[0] == 1
    assert not missing.exists()


def test_where_names_the_project_and_its_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "mine.qcoder"
    code, out, _ = qc("where", "--db", str(target))
    assert code == 0 and str(target) in out and "from --db" in out and "does not exist yet" in out
    monkeypatch.setenv("QCODER_DB", str(target))
    row = json.loads(qc("where", "--format", "json")[1])
    assert row == {"project": str(target), "backend": "sqlite", "from": "QCODER_DB", "exists": False}
    masked = qc("where", "--db", "postgresql://ana:s3cret@db.example:5432/gt")[1]
    assert "s3cret" not in masked and "***" in masked


def test_demo_uses_qcoder_db_and_says_where(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "demo-here.qcoder"
    monkeypatch.setenv("QCODER_DB", str(target))
    code, out, err = qc("demo", "--no-tui")
    assert code == 0, err
    assert target.exists() and f"project: {target}" in out
