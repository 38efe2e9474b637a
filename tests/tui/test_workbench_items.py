"""Workbench items of issue 16: document titles, the exemplar statement, memos, where you were, dialogs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tui_factory import add_document, build_project, run_async, screen_text

from qcoder.analysis.tables import category_table
from qcoder.coding.workbench import Workbench
from qcoder.store import preferences
from qcoder.store.database import open_project
from qcoder.store.models import Code, Document
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.comparison import ComparisonScreen

SIZE = (100, 30)


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(preferences, "preferences_path", lambda: tmp_path / "prefs.json")
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    bench = Workbench(project, "小王")
    codes = {code.name: code.id for code in bench.codes()}
    rows = bench.statements(1)
    bench.code_statements([rows[1].id, rows[4].id], codes["人才"])
    project.close()
    return path


@run_async
async def test_documents_show_their_title_not_the_file_stem(db_path: Path) -> None:
    with open_project(str(db_path)) as project:
        add_document(project, ["没有标题的访谈", "第二句。"], "interview_07_final")

        def titled(session) -> None:  # type: ignore[no-untyped-def]
            session.scalars(select(Document).where(Document.label == "D02")).one().attributes = {
                "title": "访谈A：企业家"
            }

        project.run(titled)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen_text(app)
        assert "D01 一、研究意义" in text  # the first heading
        assert "D02 访谈A：企业家" in text  # a title attribute
        assert "D03 interview_07_final" in text  # neither: the file name
        assert "黑龙江新基建" not in text
    app.close_project()


@run_async
async def test_exemplar_key_in_the_comparison_sets_the_table_example(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False, language="zh")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        talent = next(c for c in app.catalog.codes.values() if c.name == "人才")
        app.coding.compare(talent.id)
        await pilot.pause()
        assert isinstance(app.screen, ComparisonScreen)
        assert "★ 典型语句" not in screen_text(app)
        await pilot.press("down", "e")
        await pilot.pause()
        text = screen_text(app)
        assert "★ 典型语句" in text and "e：设为表格的典型语句" in text
        assert "D01-S005 已设为 人才 的典型原始语句" in " ".join(str(n.message) for n in app._notifications)
    with open_project(str(db_path)) as project:
        bench = Workbench(project, "小王")
        s005 = bench.statements(1)[4]
        with project.session() as session:
            assert session.scalars(select(Code.exemplar_sentence_id).where(Code.name == "人才")).one() == s005.id
            table = category_table(session, level=1)
        row = next(r for r in table.rows if r[0] == "人才")
        assert "D01-S005" in str(row[2]) and "系统研究传统产业" in str(row[2])  # not the first coded S002
        assert bench.undo() is not None  # one undoable step
        with project.session() as session:
            assert session.scalars(select(Code.exemplar_sentence_id).where(Code.name == "人才")).one() is None
    app.close_project()
