"""``qcoder agree`` and ``qcoder reconcile`` as a researcher scripts them: every format opens and says what it should.

Project: D01 (4 statements) and D02 (2) reviewed by 小王 and 小李; codes y, z (level 0).
小王 codes y on S1, S2 and D02-S1; 小李 codes y on S1 and D02-S1, z on S3.
For y: 6 statements, p_o = 5/6, Cohen's kappa = 2/3, Holsti = 2*2/(3+2) = 0.8.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from factories import add_document, qc
from sqlalchemy import select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.store.database import open_project
from qcoder.store.models import Sentence
from qcoder.store.settings import set_setting


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "agree.qcoder")
    with open_project(path) as project:
        docs = [add_document(project, ["一", "二", "三", "四"]), add_document(project, ["五", "六"])]

        def work(session) -> None:  # type: ignore[no-untyped-def]
            wang, li = get_or_create_coder(session, "小王").id, get_or_create_coder(session, "小李").id
            y, z = create_code(session, "y").id, create_code(session, "z").id
            ids = {s.label: s.id for s in session.scalars(select(Sentence))}
            for doc in docs:
                mark_reviewed(session, doc, wang)
                mark_reviewed(session, doc, li)
            add_codings(session, [ids["D01-S001"], ids["D01-S002"], ids["D02-S001"]], y, wang)
            add_codings(session, [ids["D01-S001"], ids["D02-S001"]], y, li)
            add_codings(session, [ids["D01-S003"]], z, li)

        project.run(work)
    return path


def english(db: str) -> None:
    with open_project(db) as project:
        project.run(lambda s: set_setting(s, "language", "en"))


def test_text_report_has_figures_and_method(db: str) -> None:
    code, out, err = qc("agree", "--db", db, "--coders", "小王,小李")
    assert code == 0, err
    y_line = next(line for line in out.splitlines() if line.startswith("y "))
    assert "0.833" in y_line and "0.667" in y_line and "0.800" in y_line.split()  # fixed decimals
    assert "信度检验方法：以原始语句为分析单位" in out
    assert "缺失值不按0处理" in out


def test_json_has_every_figure_with_reasons(db: str) -> None:
    code, out, _ = qc("agree", "--db", db, "--coders", "小王,小李", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["coders"] == ["小王", "小李"] and payload["documents"] == ["D01", "D02"]
    assert payload["statements"] == 6
    y = next(c for c in payload["codes"] if c["code"] == "y")
    assert y["cohen_kappa"]["小王–小李"]["value"] == pytest.approx(2 / 3)
    assert y["holsti"]["小王–小李"]["parts"] == {"M": 2.0, "N1": 3.0, "N2": 2.0}
    # complete data: P_bar = 5/6, P_e = (5/12)^2 + (7/12)^2 = 74/144, kappa = 46/70
    assert y["fleiss_kappa"]["value"] == pytest.approx(46 / 70)
    z = next(c for c in payload["codes"] if c["code"] == "z")
    assert z["krippendorff_alpha"]["value"] is not None  # used once by 小李: defined (and low)
    assert payload["overall"]["pooled_alpha"]["value"] is not None
    assert "MASI" in payload["method"] and payload["tables"][0]["name"] == "agreement_codes"


def test_undefined_figure_is_a_reason_in_json(db: str) -> None:
    code, out, _ = qc(
        "agree", "--db", db, "--coders", "小王,小李", "--codes", "z", "--documents", "D02", "--format", "json"
    )
    assert code == 0
    z = json.loads(out)["codes"][0]
    assert z["krippendorff_alpha"]["value"] is None
    assert z["krippendorff_alpha"]["reason"].startswith("no variation")


def test_markdown_opens_with_the_method_paragraph(db: str, tmp_path: Path) -> None:
    english(db)
    target = tmp_path / "agreement.md"
    code, out, _ = qc("agree", "--db", db, "--coders", "小王,小李", "-o", str(target), "--bootstrap", "100")
    assert code == 0 and "wrote" in out
    text = target.read_text(encoding="utf-8")
    assert text.startswith("## Method\n\nThe unit of analysis was the statement")
    assert "percentile bootstrap" in text and "### Inter-coder agreement per code" in text
    assert "| y |" in text


def test_docx_has_method_paragraph_and_tables(db: str, tmp_path: Path) -> None:
    from docx import Document

    english(db)
    target = tmp_path / "agreement.docx"
    code, _, err = qc("agree", "--db", db, "--coders", "小王,小李", "--confusion", "-o", str(target))
    assert code == 0, err
    document = Document(io.BytesIO(target.read_bytes()))
    paragraphs = [p.text for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0] == "Method"
    assert paragraphs[1].startswith("The unit of analysis was the statement") and "MASI" in paragraphs[1]
    assert "Holsti" in paragraphs[1] and "D01, D02" in paragraphs[1]
    cells = [[c.text for c in row.cells] for row in document.tables[0].rows]
    y_row = next(row for row in cells if row[0] == "y")
    assert "0.667" in y_row and "0.800" in y_row
    assert len(document.tables) == 4  # per code, chance-corrected, overall, confusion (one pair: no pairwise table)


def test_xlsx_sheets_hold_numbers_and_the_method(db: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    target = tmp_path / "agreement.xlsx"
    code, _, _ = qc("agree", "--db", db, "--coders", "小王,小李", "-o", str(target))
    assert code == 0
    book = load_workbook(target)
    codes = book.worksheets[0]
    header = [c.value for c in codes[1]]
    y_row = next(row for row in codes.iter_rows(min_row=2, values_only=True) if row[0] == "y")
    assert y_row[header.index("Cohen κ 小王–小李")] == pytest.approx(2 / 3)
    assert y_row[header.index("Holsti CR 小王–小李")] == pytest.approx(0.8)
    overall = [c for row in book.worksheets[-1].iter_rows(values_only=True) for c in row if c]
    assert any(isinstance(c, str) and c.startswith("信度检验方法") for c in overall)


def test_csv_is_tables_only(db: str) -> None:
    code, out, _ = qc("agree", "--db", db, "--coders", "小王,小李", "--format", "csv")
    assert code == 0
    assert out.splitlines()[0] == "编码者间一致性（逐编码）" and "y,概念,3,2" in out


def test_agree_errors_are_one_line(db: str) -> None:
    for args, message in [
        (("--coders", "小王"), "two or more"),
        (("--coders", "小王,老赵"), "no coder named '老赵'"),
        (("--coders", "小王,小李", "--format", "docx"), "-o FILE.docx"),
        (("--coders", "小王,小李", "--format", "pdf"), "unknown format"),
        (("--coders", "小王,小李", "--level", "9"), "unknown level"),
    ]:
        code, _, err = qc("agree", "--db", db, *args)
        assert code == 1 and err.startswith("error: ") and message in err and len(err.strip().splitlines()) == 1


def test_reconcile_list_accept_and_progress(db: str) -> None:
    code, out, _ = qc("reconcile", "--db", db, "--coders", "小王,小李", "--list")
    assert code == 0
    assert "D01-S002 [ ] 二" in out and "D01-S003 [ ] 三" in out
    assert out.strip().endswith("decided 0 of 2 disagreements between 小王 and 小李 (consensus coder: consensus)")
    code, out, _ = qc("reconcile", "D01-S002", "--accept", "a", "--db", db, "--coders", "小王,小李", "--memo", "同意")
    assert code == 0 and "consensus now has y there" in out and "decided 1/2" in out
    code, out, _ = qc(
        "reconcile", "D01-S003", "--accept", "neither", "--db", db, "--coders", "小王,小李", "--format", "json"
    )
    assert code == 0 and json.loads(out)["progress"] == "2/2"
    code, out, _ = qc("reconcile", "--db", db, "--coders", "小王,小李", "--format", "json")
    listed = json.loads(out)
    assert (listed["decided"], listed["total"]) == (2, 2)
    assert [item["decision"] for item in listed["items"]] == ["a", "neither"]
    code, _, err = qc("reconcile", "D01-S002", "--db", db, "--coders", "小王,小李")
    assert code == 1 and "--accept" in err
