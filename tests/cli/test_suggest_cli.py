"""``qcoder similar`` and ``qcoder suggest`` as a researcher runs them on the sample project."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from factories import qc
from sqlalchemy import func, select

from qcoder.analysis.writers import parse_markdown
from qcoder.demo import load_demo
from qcoder.store.database import open_project
from qcoder.store.models import Coder, Coding, Memo

A = "研究者A"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.qcoder.db"
    with open_project(str(path)) as project:
        load_demo(project)
    return path


@pytest.fixture
def db(demo_file: Path, tmp_path: Path) -> str:
    copy = tmp_path / "demo.qcoder.db"
    shutil.copy(demo_file, copy)
    return str(copy)


def test_evaluate_prints_the_table_model_beside_baseline(db: str) -> None:
    code, out, err = qc("--db", db, "suggest", "evaluate", "--coder", A)
    assert code == 0, err
    assert "leave-one-document-out" in out and "baseline (most frequent codes)" in out
    for measure in ("precision@1", "precision@3", "recall@3", "Cohen's κ", "Krippendorff's α"):
        assert measure in out
    assert "5 documents held out in turn" in out
    assert "政府政策支持与引导" in out  # the per-code table
    again = qc("--db", db, "suggest", "evaluate", "--coder", A)[1]
    assert again == out  # same inputs, same figures
    with open_project(db) as project, project.session() as session:
        memos = list(session.scalars(select(Memo).where(Memo.type == "operational")))
        assert [m for m in memos if "replay evaluation" in m.title]


def test_evaluate_in_every_report_format(db: str, tmp_path: Path) -> None:
    code, out, _ = qc("--db", db, "suggest", "evaluate", "--coder", A, "--format", "json")
    assert code == 0
    tables = json.loads(out)["tables"]
    overall = {row[0]: row[1:] for row in tables[0]["rows"]}
    model_p1, base_p1 = overall["precision@1"]
    assert model_p1 > base_p1  # the model beats always suggesting the most frequent codes
    assert len(tables[1]["rows"]) == 33
    md = parse_markdown(qc("--db", db, "suggest", "evaluate", "--coder", A, "--format", "md")[1])
    assert [len(rows) for _title, _cols, rows in md] == [5, 33]
    rows = list(csv.reader(io.StringIO(qc("--db", db, "suggest", "evaluate", "--coder", A, "--format", "csv")[1])))
    assert ["measure", "model", "baseline (most frequent codes)"] in rows
    from docx import Document
    from openpyxl import load_workbook

    code, _out, err = qc("--db", db, "suggest", "evaluate", "--coder", A, "-o", str(tmp_path / "eval.xlsx"))
    assert code == 0, err
    book = load_workbook(tmp_path / "eval.xlsx")
    assert book.worksheets[0]["A2"].value == "precision@1"
    assert qc("--db", db, "suggest", "evaluate", "--coder", A, "-o", str(tmp_path / "eval.docx"))[0] == 0
    assert len(Document(str(tmp_path / "eval.docx")).tables) == 2


def test_model_as_coder_then_agree(db: str) -> None:
    code, out, err = qc("--db", db, "suggest", "run", "--coder", A, "--as", "qcoder-model")
    assert code == 0, err
    assert "qcoder agree --coders 研究者A,qcoder-model" in out
    code, out, err = qc("--db", db, "agree", "--coders", f"{A},qcoder-model", "--format", "json")
    assert code == 0, err
    assert "qcoder-model" in out
    with open_project(db) as project, project.session() as session:
        model = session.scalar(select(Coder.id).where(Coder.name == "qcoder-model"))
        assert session.scalar(select(func.count()).select_from(Coding).where(Coding.coder_id == model))


def test_similar_and_show(db: str) -> None:
    code, out, err = qc("--db", db, "similar", "D04-S017", "-n", "3", "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["statement"] == "D04-S017" and len(payload["similar"]) == 3
    assert all(item["codes"] for item in payload["similar"])
    code, out, err = qc("--db", db, "suggest", "show", "D04-S017", "--coder", A)
    assert code == 0, err
    assert "←" in out


def test_one_line_errors(db: str) -> None:
    code, _out, err = qc("--db", db, "similar", "D09-S001")
    assert code == 1 and err.count("\n") == 1 and "no statement D09-S001" in err
    code, _out, err = qc("--db", db, "suggest", "evaluate", "--coder", "nobody")
    assert code == 1 and "no coder named 'nobody'" in err
    code, _out, err = qc("--db", db, "suggest", "run", "--coder", A, "--as", A)
    assert code == 1 and "a coder name of its own" in err
    code, _out, err = qc("--db", db, "suggest", "evaluate", "--coder", A, "--threshold", "2")
    assert code == 1 and "--threshold" in err


def test_demo_then_evaluate_without_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From a fresh start: ``qcoder demo`` then ``qcoder suggest evaluate --coder 研究者A`` prints the table."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("QCODER_DB", raising=False)
    code, _out, err = qc("demo", "--no-tui")
    assert code == 0, err
    code, out, err = qc("suggest", "evaluate", "--coder", A)
    assert code == 0, err
    assert "using the demo project" in err and "precision@1" in out
