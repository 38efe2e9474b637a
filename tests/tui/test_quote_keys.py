"""Quote spans from the keyboard: select words inside a statement, code them, undo, compare."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from sqlalchemy import select, update
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.comparison import ComparisonScreen
from qcoder.tui.screens.picker import PickerScreen
from qcoder.tui.widgets.document_view import DocumentView

SIZE = (110, 32)
# D01-S002 as the segmenter stored it: “ 新基建 ” 是指 5G …
S002_TOKENS = "“ 新基建 ” 是指 5G 、 人工智能 、 数据中心 、 工业 互联网 等 科技 创新 领域 基础设施 。"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    with project.session() as session, session.begin():
        session.execute(update(Sentence).where(Sentence.label == "D01-S002").values(tokens=S002_TOKENS))
    project.close()
    return path


def quotes(path: Path) -> dict[tuple[str, str], tuple[int | None, int | None]]:
    """(statement label, code name) → (quote_start, quote_end) of every coding."""
    with open_project(str(path)) as project, project.session() as session:
        rows = session.execute(
            select(Sentence.label, Code.name, Coding.quote_start, Coding.quote_end)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
        )
        return {(label, name): (start, end) for label, name, start, end in rows}


def view(app: QcoderApp) -> DocumentView:
    return app.screen.query_one(DocumentView)


@run_async
async def test_select_words_code_them_as_a_quote_then_undo(db_path: Path) -> None:
    before = quotes(db_path)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "e")  # D01-S002: the first word “ is selected
        await pilot.pause()
        assert view(app).selected_words() is not None
        await pilot.press("right", "space")  # on to the end of 新基建; keep only that word
        await pilot.pause()
        sid, span = view(app).selected_words() or (0, (0, 0))
        assert span == (1, 4)
        assert "words: “新基建”" in screen_text(app)
        await pilot.press("right", "shift+left", "shift+right", "shift+right")  # 新基建 ” 是 by characters
        await pilot.pause()
        assert view(app).selected_words() == (sid, (1, 6))
        await pilot.press("shift+left")
        await pilot.pause()
        await pilot.press("enter")  # the picker, for the words 新基建”
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"新基建", "enter")
        await pilot.pause()
        after = quotes(db_path)
        assert after[("D01-S002", "新基建")] == (1, 5)  # the exact words, in code points into the statement
        assert {k: v for k, v in after.items() if k != ("D01-S002", "新基建")} == before
        assert view(app).selected_words() is None  # coded: word selection is over
        assert any("quoted “新基建”” as 新基建" in str(m) for m in messages(app))
        text = screen_text(app)
        assert "[新基建 “新基建””]" in text  # the chip shows the quote
        await pilot.press("u")
        await pilot.pause()
        assert quotes(db_path) == before
        assert any(str(m).startswith("undo: quote 新基建") for m in messages(app))
    app.close_project()


@run_async
async def test_quote_changes_a_whole_statement_coding_and_a_new_code_is_one_step(db_path: Path) -> None:
    before = quotes(db_path)
    whole = {k: v for k, v in before.items() if k[0] == "D01-S007"}
    assert whole and all(v == (None, None) for v in whole.values())  # 创新联合体 on the whole of D01-S007
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"jjjjjj", "e")  # D01-S007 has no stored tokens: a word is a character
        await pilot.pause()
        await pilot.press("right", "right", "right", "right")  # 创新联合体
        await pilot.pause()
        assert view(app).selected_words() is not None and view(app).selected_words()[1] == (0, 5)  # type: ignore[index]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"创新联合体", "enter")
        await pilot.pause()
        assert quotes(db_path)[("D01-S007", "创新联合体")] == (0, 5)  # the existing coding got the span
        await pilot.press("e", "escape")  # escape leaves word selection without coding
        await pilot.pause()
        assert view(app).selected_words() is None
        await pilot.press("j", "e", "right", "enter")  # D01-S008: 政府引 under a new code
        await pilot.pause()
        await pilot.press(*"政府引导", "enter")
        await pilot.pause()
        if isinstance(app.screen, PickerScreen):  # a new code: choose its level
            await pilot.press("enter")
            await pilot.pause()
        assert quotes(db_path)[("D01-S008", "政府引导")] == (0, 2)
        await pilot.press("u")
        await pilot.pause()
        assert ("D01-S008", "政府引导") not in quotes(db_path)
        await pilot.press("u")
        await pilot.pause()
        assert quotes(db_path) == before  # the whole-statement coding is back
    app.close_project()


@run_async
async def test_comparison_shows_the_quote(db_path: Path) -> None:
    with open_project(str(db_path)) as project:
        bench = Workbench(project, "小王")
        s002 = bench.statements(1)[1]
        code = next(c for c in bench.codes() if c.name == "新基建")
        assert bench.code_quote(s002.id, code.id, (10, 14))  # 人工智能
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.pause()
        assert app.coding is not None
        app.coding.compare(code.id)
        await pilot.pause()
        assert isinstance(app.screen, ComparisonScreen)
        lines = screen_text(app).splitlines()
        assert any("“人工智能”" in line and "是指" not in line for line in lines)
        assert any("是指5G、人工智能" in line for line in lines)  # the statement stays next to it
        await pilot.press("escape")
        await pilot.pause()
        assert "[新基建 “人工智能”]" in screen_text(app)  # the document view shows it too
    app.close_project()


@run_async
async def test_a_mouse_drag_inside_a_statement_selects_characters_to_quote(db_path: Path) -> None:
    before = quotes(db_path)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        document = view(app)
        assert document.layout_ is not None
        row = document.statements[1]  # D01-S002
        y = document.layout_.first_line(1) - int(document.scroll_offset.y)
        x_of = [document._gutter + cell_len(row.text[:i]) for i in range(len(row.text))]
        await pilot.mouse_down(DocumentView, offset=(x_of[1], y))  # on 新
        await pilot.hover(DocumentView, offset=(x_of[2], y))
        await pilot.mouse_up(DocumentView, offset=(x_of[3], y))  # …to 建
        await pilot.pause()
        assert document.selected_words() == (row.id, (1, 4))
        assert document.cursor == 1  # the statement dragged in is the cursor's
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"新基建", "enter")
        await pilot.pause()
        assert quotes(db_path)[("D01-S002", "新基建")] == (1, 4)
        await pilot.press("u")
        await pilot.pause()
        assert quotes(db_path) == before
    app.close_project()
