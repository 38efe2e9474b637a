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
from qcoder.tui.app import QcoderApp, open_app
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


@run_async
async def test_memo_marker_browser_and_jump(db_path: Path) -> None:
    with open_project(str(db_path)) as project:
        li = Workbench(project, "小李")
        rows = li.statements(1)
        li.add_memo("数据中心与新基建的关系需要再比较", type_="theoretical", target="sentence", target_id=rows[2].id)
        wang = Workbench(project, "小王")
        talent = next(c.id for c in wang.codes() if c.name == "人才")
        wang.add_memo("人才指科研团队与企业家", type_="code", target="code", target_id=talent)
        wang.add_memo("整体印象：政策驱动", type_="operational", target="project")
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        lines = screen_text(app).splitlines()
        assert any("D01-S003✎" in line for line in lines)  # the statement with a memo is marked
        assert not any("D01-S002✎" in line for line in lines)
        await pilot.press("w")
        await pilot.pause()
        text = screen_text(app)
        assert "Memos: 3 of 3" in text and "D01-S003" in text and "人才" in text
        await pilot.press("ctrl+o")  # coder: the first in order (小李)
        await pilot.pause()
        assert "Memos: 1 of 3" in screen_text(app) and "coder: 小李" in screen_text(app)
        await pilot.press("ctrl+o", "ctrl+o")  # back to all coders
        await pilot.press(*"数据中心")
        await pilot.pause()
        assert "Memos: 1 of 3" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is app.coding and app.coding.view.current.label == "D01-S003"
        await pilot.press("w", *"科研团队", "enter")  # a code's memo: the codebook on that code
        await pilot.pause()
        assert app.screen is app.codebook and app.catalog.name(app.codebook.code_tree.selected_code_id) == "人才"


@run_async
async def test_statement_memo_opens_below_the_statement_and_marks_it(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("G")  # the last statement, at the bottom of the view
        await pilot.pause()
        view = app.coding.view
        await pilot.press("m")
        await pilot.pause()
        layout = view.layout_
        top = view.region.y + layout.first_line(view.cursor) - int(view.scroll_offset.y)
        bottom = top + layout.line_count(view.cursor) - 1
        dialog = app.screen.query_one(".dialog").region
        assert top >= view.region.y and bottom < view.region.bottom
        assert bottom < dialog.y or top >= dialog.bottom  # the statement stays in sight, above or below the dialog
        await pilot.press("escape")
        await pilot.press("g")  # the first statement: scrolled to the top, the dialog below it
        await pilot.press("m")
        await pilot.pause()
        top = view.region.y + layout.first_line(view.cursor) - int(view.scroll_offset.y)
        assert top < app.screen.query_one(".dialog").region.y
        await pilot.press("escape", "G", "m")
        await pilot.pause()
        await pilot.press(*"融资")
        await pilot.press("ctrl+s", "escape")
        await pilot.pause()
        assert any("D01-S008✎" in line for line in screen_text(app).splitlines())
    with open_project(str(db_path)) as project:
        memos = Workbench(project, "小王").memos("sentence", Workbench(project, "小王").statements(1)[7].id)
        assert [m.text for m in memos] == ["融资"]


@run_async
async def test_reopening_returns_to_the_statement_and_the_same_number_keys(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(db_path.parent / "config"))
    app = open_app(db_path, "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for name in ("融资支持", "新基建", "创新联合体"):  # keys 1, 2, 3 in the order first used
            await pilot.press("enter", *name_keys(app, name))
            await pilot.pause()
        assert "1 融资支持" in screen_text(app) and "2 新基建" in screen_text(app)
        await pilot.press("2")  # using 新基建 again keeps it on 2: nothing reorders
        await pilot.pause()
        text = screen_text(app)
        assert "1 融资支持" in text and "2 新基建" in text and "3 创新联合体" in text
        await pilot.press("right_square_bracket", "down", "down")  # D02, its third statement
        await pilot.pause()
        assert app.coding.view.current.label == "D02-S003"
    app.close_project()
    app = open_app(db_path, "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.coding.document_id == 2 and app.coding.view.current.label == "D02-S003"
        text = screen_text(app)
        assert "1 融资支持" in text and "2 新基建" in text and "3 创新联合体" in text
        await pilot.press("1")  # the key still codes with the same code
        await pilot.pause()
    app.close_project()
    with open_project(str(db_path)) as project:
        bench = Workbench(project, "小王")
        row = bench.statements(2)[2]
        mine = bench.sentence_codes([row.id])[row.id]
        assert {app.catalog.name(code_id) for code_id, _ in mine} == {"融资支持"}


def name_keys(app: QcoderApp, name: str) -> list[str]:
    """Type a code's name into the picker and take it (the picker ranks the exact name first)."""
    return [*name, "enter"]


def test_a_new_code_takes_a_free_key_and_keys_never_reorder() -> None:
    from qcoder.coding.records import CodeInfo
    from qcoder.tui.catalog import CodeCatalog

    catalog = CodeCatalog(None)  # type: ignore[arg-type]
    codes = [CodeInfo(i, f"g{i}", f"c{i}", 0, None, "", None, 1, 0, 0) for i in range(1, 13)]
    catalog.assign([], codes, [])
    for code_id in (1, 2, 3):
        catalog.use(code_id)
    catalog.use(1)
    assert catalog.recent_slots() == [(1, 1), (2, 2), (3, 3)]
    catalog.assign([], [c for c in codes if c.id != 2], [])  # code 2 deleted: its key is free
    catalog.use(4)
    assert catalog.recent_slots() == [(1, 1), (2, 4), (3, 3)]
    for code_id in range(5, 11):
        catalog.use(code_id)
    assert [slot for slot, _ in catalog.recent_slots()] == list(range(1, 10))
    catalog.use(12)  # all nine keys taken: the least recently used (3) gives its key up
    assert catalog.recent_code(3).id == 12 and catalog.recent_code(1).id == 1


def test_names_follow_renames_and_stay_put_through_new_counts() -> None:
    from dataclasses import replace

    from qcoder.coding.records import CodeInfo
    from qcoder.tui.catalog import CodeCatalog

    catalog = CodeCatalog(None)  # type: ignore[arg-type]
    parent_a, parent_b = (
        CodeInfo(1, "g1", "制度", 1, None, "", None, 1, 0, 0),
        CodeInfo(2, "g2", "技术", 1, None, "", None, 1, 0, 0),
    )
    child_a, child_b = (
        CodeInfo(3, "g3", "压力", 0, 1, "", None, 1, 0, 0),
        CodeInfo(4, "g4", "资源", 0, 2, "", None, 1, 0, 0),
    )
    catalog.assign([], [parent_a, parent_b, child_a, child_b], [])
    assert catalog.name(3) == "压力"
    catalog.update(replace(child_a, codings=5, mine=5))  # a toggle's new count: the name is unchanged
    assert catalog.name(3) == "压力"
    catalog.update(replace(child_b, name="压力"))  # renamed to a name code 3 has: both shown with their path
    assert (catalog.name(3), catalog.name(4)) == ("制度/压力", "技术/压力")
    catalog.update(replace(catalog.codes[4], codings=2))  # a count again: still two of that name
    assert catalog.name(4) == "技术/压力"
    catalog.update(replace(catalog.codes[4], name="资源"))  # renamed back: one of each name
    assert (catalog.name(3), catalog.name(4)) == ("压力", "资源")


@run_async
async def test_dialogs_say_what_is_wrong_in_place(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        app.codebook.code_tree.select_code(next(c.id for c in app.catalog.codes.values() if c.name == "新基建"))
        await pilot.press("e", "end", *["backspace"] * 3)  # rename 新基建 to nothing
        await pilot.press("enter")
        await pilot.pause()
        assert "a code needs a name" in screen_text(app)
        await pilot.press(*"融资支持", "enter")  # a concept of that name exists
        await pilot.pause()
        assert "a code named “融资支持” already exists at the level concept" in screen_text(app)
        assert app.screen.query_one("#prompt-input").value == "融资支持"  # the typed text stays
        await pilot.press(*["backspace"] * 4, *"长" * 201, "enter")
        await pilot.pause()
        assert "at most 200 characters; this one has 201" in screen_text(app)
        await pilot.press("escape", "p")  # the parent picker: only codes of a higher level
        await pilot.pause()
        offered = {app.catalog.name(code_id) for code_id in app.screen.matches}
        assert offered == {"政策支持", "人才"}  # a main category and a category; no concept
        await pilot.press("escape", "a", *"新基建", "enter", "enter")  # new code 新基建 at the concept level
        await pilot.pause()
        assert "a code named “新基建” already exists at the level concept" in screen_text(app)
        assert app.screen.query_one("#prompt-input").value == "新基建"
        await pilot.press("end", "backspace", *"设施", "enter")
        await pilot.pause()
    with open_project(str(db_path)) as project:
        names = {c.name for c in Workbench(project, "小王").codes()}
        assert "新基设施" in names and "新基建" in names and "融资支持" in names


@run_async
async def test_ticked_boxes_differ_in_shape(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        app.codebook.code_tree.select_code(next(c.id for c in app.catalog.codes.values() if c.name == "人才"))
        await pilot.press("s")  # split: tick statements
        await pilot.pause()
        await pilot.press("tab", "space")
        await pilot.pause()
        lines = [line for line in screen_text(app).splitlines() if "D01-S00" in line]
        assert any("▐✓▌ D01-S002" in line for line in lines) and any("▐ ▌ D01-S005" in line for line in lines), lines
