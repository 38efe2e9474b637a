"""The command line as a researcher scripts it: real seed files, one-line errors, JSON listings."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from factories import qc
from sqlalchemy import func, select

from qcoder.store.database import open_project
from qcoder.store.models import Coding, Document, Sentence

SEEDS = sorted((Path(__file__).resolve().parents[2] / "sample_corpus").glob("0*.txt"))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> str:
    db = str(tmp_path_factory.mktemp("cli") / "seeds.qcoder")
    code, _out, err = qc("import", "--db", db, *map(str, SEEDS))
    assert code == 0, err
    return db


def counts(db: str) -> tuple[int, int, int]:
    with open_project(db) as project, project.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Document)) or 0,
            s.scalar(select(func.count()).select_from(Sentence)) or 0,
            s.scalar(select(func.count()).select_from(Coding)) or 0,
        )


def test_import_seeds_then_reimport_is_a_noop(seeded: str) -> None:
    docs, statements, _ = counts(seeded)
    assert docs == 5 and statements > 500
    code, out, _ = qc("import", "--db", seeded, str(SEEDS[0]))
    assert code == 0
    assert "already imported as D01" in out
    assert counts(seeded)[:2] == (docs, statements)


def test_dry_run_reports_steps_and_stores_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "dry.qcoder")
    code, out, _ = qc("import", "--db", db, "--dry-run", str(SEEDS[0]))
    assert code == 0
    assert "would import" in out and "statements" in out
    assert len(out.splitlines()) > 3  # one line per pipeline step at least
    assert counts(db) == (0, 0, 0)


def test_bad_file_is_refused_in_one_line_and_changes_nothing(seeded: str, tmp_path: Path) -> None:
    before = counts(seeded)
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 64)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    code, _out, err = qc("import", "--db", seeded, str(binary), str(empty), str(tmp_path / "missing.txt"))
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines)
    assert "Traceback" not in err
    assert counts(seeded) == before


def test_show_lists_statement_ids_and_text_matches_offsets(seeded: str) -> None:
    code, out, _ = qc("show", "D04", "--db", seeded, "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert rows[0]["id"] == "D04-S001"
    with open_project(seeded) as project, project.session() as s:
        text = s.scalar(select(Document.text).where(Document.label == "D04"))
    assert all(text[r["start"] : r["end"]] == r["text"] for r in rows)


def test_code_uncode_review_and_codes_listing(seeded: str) -> None:
    code, out, err = qc("code", "D01-S002..D01-S004", "--code", "新基建", "--coder", "王", "--db", seeded)
    assert code == 0, err
    assert "coded 3 of 3" in out and "new code" in out
    code, out, _ = qc("code", "D01-S002", "--code", "新基建", "--coder", "王", "--db", seeded)
    assert "coded 0 of 1" in out
    code, out, _ = qc("uncode", "D01-S003", "--code", "新基建", "--coder", "王", "--db", seeded)
    assert "removed '新基建' from 1 of 1" in out
    code, out, _ = qc("code", "D01-S002", "--code", "基础设施", "--level", "初始范畴", "--coder", "李", "--db", seeded)
    assert code == 0
    code, out, _ = qc("codes", "--db", seeded, "--format", "json")
    listed = {row["name"]: row for row in json.loads(out)}
    assert listed["新基建"]["codings"] == 2 and listed["新基建"]["level"] == "concept"
    assert listed["基础设施"]["level"] == "initial_category"
    code, out, _ = qc("review", "D01", "--coder", "王", "--db", seeded)
    assert out.strip() == "D01 reviewed by 王"
    code, out, _ = qc("docs", "--db", seeded, "--format", "json")
    assert json.loads(out)[0]["reviewed_by"] == ["王"]


def test_search_autocodes_every_hit(seeded: str) -> None:
    code, out, _ = qc("search", "新基建", "--db", seeded, "--format", "json")
    hits = json.loads(out)
    assert hits and all("新基建" in h["text"] for h in hits)
    code, out, err = qc("search", "新基建", "--code", "新基建提及", "--coder", "赵", "--db", seeded)
    assert code == 0, err
    assert f"{len(hits)} statements match" in out and f"coded {len(hits)} new" in out


def test_errors_name_the_problem(seeded: str) -> None:
    code, _, err = qc("code", "D01-S9999", "--code", "x", "--coder", "王", "--db", seeded)
    assert code == 1 and err.startswith("error: no statement D01-S9999")
    code, _, err = qc("code", "D01-S001", "--code", "x", "--level", "banana", "--coder", "王", "--db", seeded)
    assert code == 1 and "unknown level" in err
    code, _, err = qc("show", "D77", "--db", seeded)
    assert code == 1 and "no document" in err


def test_console_script_prints_one_line_not_a_traceback(tmp_path: Path) -> None:
    db = tmp_path / "p.qcoder"
    result = subprocess.run(
        [sys.executable, "-m", "qcoder.cli", "show", "D01", "--db", str(db)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: no document 'D01'; `qcoder docs` lists them"
    bare = subprocess.run(
        [sys.executable, "-m", "qcoder.cli", "--db", str(db)], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert bare.returncode == 1
    assert "needs an interactive terminal" in bare.stderr and "Traceback" not in bare.stderr


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("just some notes, not a database\n" * 100)
    result = subprocess.run(
        [sys.executable, "-m", "qcoder.cli", "docs", "--db", str(bogus)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert bogus.read_text().startswith("just some notes")


def test_demo_without_terminal_sets_up_and_summarizes(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.qcoder")
    code, out, err = qc("demo", "--db", db, "--no-tui")
    assert code == 0, err
    assert "5 documents" in out and "59 codes" in out and "2 coders" in out
    code, out, _ = qc("report", "hierarchy", "--db", db)
    assert "33" in out and "19" in out and "核心范畴" in out
    code, out, _ = qc("demo", "--db", db, "--no-tui")
    assert "imported" not in out  # reused, not imported twice


def test_freeze_records_the_time_and_can_be_cleared(tmp_path: Path) -> None:
    db = str(tmp_path / "f.qcoder")
    code, out, _ = qc("freeze", "--db", db, "--at", "2026-03-01T12:00:00+08:00")
    assert code == 0 and "2026-03-01T04:00:00+00:00" in out
    code, out, _ = qc("settings", "codebook_frozen_at", "--db", db)
    assert json.loads(out) == "2026-03-01T04:00:00+00:00"
    code, _, err = qc("freeze", "--db", db, "--at", "yesterday")
    assert code == 1 and "not an ISO time" in err
    qc("freeze", "--db", db, "--clear")
    code, out, _ = qc("settings", "codebook_frozen_at", "--db", db)
    assert json.loads(out) is None


def test_dry_run_lists_every_removed_line_and_keep_repeated_keeps_them(tmp_path: Path) -> None:
    db = str(tmp_path / "heads.qcoder")
    code, out, _ = qc("import", "--db", db, "--dry-run", str(SEEDS[0]))
    assert code == 0
    assert "      2× '探索与创新'" in out.splitlines()
    assert "      1× '250 Vol. 3 No. 08 2020Frontier of higher education'" in out.splitlines()
    assert "--keep-repeated" in out
    code, out, err = qc("import", "--db", db, "--keep-repeated", str(SEEDS[0]))
    assert code == 0, err
    with open_project(db) as project, project.session() as s:
        text = s.scalar(select(Document.text).where(Document.label == "D01"))
    assert text is not None and text.count("探索与创新") == 2 and "Vol. 3" not in text


def test_repeated_answers_and_replies_import_with_every_line(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "repeated_lines"
    db = str(tmp_path / "repeated.qcoder")
    files = [data / "forum_replies.txt", data / "interview_answers.txt"]
    code, out, err = qc("import", "--db", db, "--dry-run", *map(str, files))
    assert code == 0, err
    assert "running heads" not in out and out.count("+ 0 removed") == 1
    # the transcript's speaker labels are not statement text: each is listed as removed and kept as the speaker
    assert "      2× '受访者：'" in out.splitlines() and "      2× '访谈者：'" in out.splitlines()
    code, _, err = qc("import", "--db", db, *map(str, files))
    assert code == 0, err
    with open_project(db) as project, project.session() as s:
        texts = dict(s.execute(select(Document.name, Document.text)).all())
        said = s.execute(
            select(Sentence.text, Sentence.attributes)
            .join(Document)
            .where(Document.name == "interview_answers")
            .order_by(Sentence.ordinal)
        ).all()
    for path in files:
        expected = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        if path.stem == "interview_answers":
            turns = [line.split("：", 1) for line in expected]
            assert [(text, attributes["speaker"]) for text, attributes in said] == [(t, who) for who, t in turns]
            continue
        assert [line for line in texts[path.stem].split("\n") if line] == expected


def test_word_table_imports_every_cell(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=4, cols=3)
    for r in range(4):
        for c in range(3):
            table.cell(r, c).text = f"格{r}{c}"
    path = tmp_path / "grid.docx"
    document.save(str(path))
    db = str(tmp_path / "word.qcoder")
    code, out, err = qc("import", "--db", db, "--dry-run", str(path))
    assert code == 0, err
    assert "all 36 characters of its text runs read" in out
    code, out, err = qc("import", "--db", db, str(path))
    assert code == 0 and "12 statements" in out, err
    code, out, _ = qc("show", "D01", "--db", db, "--format", "json")
    assert [row["text"] for row in json.loads(out)] == [f"格{r}{c}" for r in range(4) for c in range(3)]
