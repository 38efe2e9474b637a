"""Coding-screen flows, driven headless; each asserts on the database afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coder, Coding, DocumentReview, Memo, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.picker import PickerScreen
from qcoder.tui.widgets.document_view import DocumentView

SIZE = (100, 30)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    return path


def make_app(path: Path, coder: str | None = "小王") -> QcoderApp:
    return QcoderApp(open_project(str(path)), coder)


def stored_codings(path: Path) -> set[tuple[str, str, str]]:
    """(statement label, code name, coder name) of every coding in the project."""
    with open_project(str(path)) as project, project.session() as session:
        rows = session.execute(
            select(Sentence.label, Code.name, Coder.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def view(app: QcoderApp) -> DocumentView:
    return app.screen.query_one(DocumentView)


@run_async
async def test_open_shows_coder_documents_tree_and_chips(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        text = screen_text(app)
        assert "coder: 小王" in text
        assert "D01 一、研究意义 1/8" in text and "D02 访谈A 0/3" in text  # its first heading, not the file name
        assert "main category" in text and "concept" in text and "创新联合体 1/1" in text
        assert "D01-S007" in text and "[创新联合体]" in text
        assert view(app).current is not None and view(app).current.label == "D01-S001"


@run_async
async def test_coder_is_asked_once_and_remembered(db_path: Path) -> None:
    remembered: list[str] = []
    app = QcoderApp(open_project(str(db_path)), None, remember=remembered.append)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"小李")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert "coder: 小李" in screen_text(app)
    assert remembered == ["小李"]
    with open_project(str(db_path)) as project, project.session() as session:
        assert "小李" in set(session.scalars(select(Coder.name)))


@run_async
async def test_move_and_code_via_picker_with_pinyin_initials(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "down", "k", "j")  # → D01-S003
        assert view(app).current.label == "D01-S003"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"cxlht")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert view(app).mine(view(app).current.id)
    assert ("D01-S003", "创新联合体", "小王") in stored_codings(db_path)


@run_async
async def test_range_coded_with_number_key(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", *"rzzc", "enter")  # 融资支持 on D01-S001 → recent slot 1
        await pilot.pause()
        await pilot.press("j", "v", "j", "j")  # range S002..S004
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("escape", "G", "shift+up")  # S007..S008 by shift+arrow
        await pilot.press("1")
        await pilot.pause()
        assert "recent: 1 融资支持" in screen_text(app)
    coded = {label for label, code, _ in stored_codings(db_path) if code == "融资支持"}
    assert coded == {"D01-S001", "D01-S002", "D01-S003", "D01-S004", "D01-S007", "D01-S008"}


@run_async
async def test_number_key_toggles_off_and_picker_removes(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", *"新基建", "enter", "j", "1")
        await pilot.pause()
        assert {("D01-S001", "新基建", "小王"), ("D01-S002", "新基建", "小王")} <= stored_codings(db_path)
        await pilot.press("1")  # toggle off on S002
        await pilot.press("k", "enter", *"新基建", "enter")  # ✓ entry: removes from S001
        await pilot.pause()
    assert not {row for row in stored_codings(db_path) if row[1] == "新基建"}


@run_async
async def test_create_code_on_the_spot_with_level(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "enter", *"数字政府", "ctrl+l", "enter")
        await pilot.pause()
        assert "数字政府" in screen_text(app)
    with open_project(str(db_path)) as project, project.session() as session:
        code = session.scalar(select(Code).where(Code.name == "数字政府"))
        assert code is not None and code.level == 1
    assert ("D01-S002", "数字政府", "小王") in stored_codings(db_path)


@run_async
async def test_undo_and_redo(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", *"rzzc", "enter")
        await pilot.pause()
        assert ("D01-S001", "融资支持", "小王") in stored_codings(db_path)
        await pilot.press("u")
        await pilot.pause()
        assert ("D01-S001", "融资支持", "小王") not in stored_codings(db_path)
        assert not view(app).mine(view(app).current.id)
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert ("D01-S001", "融资支持", "小王") in stored_codings(db_path)
        assert view(app).mine(view(app).current.id)
        await pilot.press("u", "u", "u")  # more undos than steps: says so, no crash
        await pilot.pause()
        assert "nothing to undo" in messages(app)


@run_async
async def test_memo_on_statement_and_document(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "m")
        await pilot.pause()
        await pilot.press(*"基础设施", "enter", *"第二行")
        await pilot.press("ctrl+s", "escape")
        await pilot.pause()
        await pilot.press("M", *"文档备忘", "ctrl+s", "escape")
        await pilot.pause()
        # editing in place: reopening shows the saved memo, a change updates it
        await pilot.press("m", "down", "end", *"再改", "ctrl+s", "escape")
        await pilot.pause()
    with open_project(str(db_path)) as project, project.session() as session:
        memos = list(session.scalars(select(Memo)))
        by_target = {(m.sentence_id is not None, m.document_id is not None): m for m in memos}
        assert len(memos) == 2
        assert by_target[(True, False)].text == "基础设施\n第二行再改"
        assert by_target[(False, True)].text == "文档备忘"


@run_async
async def test_search_jumps_to_statement(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"揭榜挂帅", "enter")
        await pilot.pause()
        assert "2 found" in screen_text(app)
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert view(app).current.label == "D02-S002"
        await pilot.press("enter", *"rc", "enter")  # code it where we landed
        await pilot.pause()
    assert ("D02-S002", "人才", "小王") in stored_codings(db_path)


@run_async
async def test_word_search_mode(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", "ctrl+t", *"融", "enter")
        await pilot.pause()
        assert "Search (word)" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        assert view(app).current.label == "D01-S008"


@run_async
async def test_review_marks_document(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("x")  # 7 of 8 statements carry no code of mine: asked first
        await pilot.pause()
        assert "D01 has 7 statements without your codes. Mark it reviewed anyway?" in screen_text(app)
        await pilot.press("n")
        await pilot.pause()
        assert "✓reviewed" not in screen_text(app)
        with open_project(str(db_path)) as project, project.session() as session:
            assert session.scalar(select(DocumentReview.document_id)) is None  # "no" changed nothing
        await pilot.press("x", "y")
        await pilot.pause()
        assert "✓reviewed" in screen_text(app)
    with open_project(str(db_path)) as project, project.session() as session:
        assert session.scalar(select(DocumentReview.document_id)) == 1


@run_async
async def test_next_uncoded_and_document_switch(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("G", "k")  # S007 (coded) ...
        await pilot.press("n")
        assert view(app).current.label == "D01-S008"
        await pilot.press("n")  # wraps past S001 (a heading, not a sentence) to S002
        assert view(app).current.label == "D01-S002"
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert view(app).current.label == "D02-S001"


@run_async
async def test_comparison_navigates_to_statement(db_path: Path) -> None:
    with open_project(str(db_path)) as project:
        other = Workbench(project, "小李")
        code_id = next(c.id for c in other.codes() if c.name == "创新联合体")
        other.code_statements([other.statements(2)[0].id], code_id)
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("c", *"创新", "enter")
        await pilot.pause()
        text = screen_text(app)
        assert "2 codings in 2 documents" in text and "小李" in text
        await pilot.press("down", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert view(app).current.label == "D02-S001"
        await pilot.press("x", "y")  # review the document we landed in (yes, with uncoded statements)
        await pilot.pause()
    with open_project(str(db_path)) as project, project.session() as session:
        assert session.scalar(select(DocumentReview.document_id)) == 2


@run_async
async def test_refresh_picks_up_another_workbench(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        with open_project(str(db_path)) as project:
            me_elsewhere = Workbench(project, "小王")
            colleague = Workbench(project, "小李")
            codes = {c.name: c.id for c in me_elsewhere.codes()}
            first = me_elsewhere.statements(1)[0].id
            me_elsewhere.code_statements([first], codes["新基建"])
            colleague.code_statements([first], codes["融资支持"])
        assert not view(app).mine(first)
        await pilot.press("r")
        await pilot.pause()
        assert view(app).mine(first) == [codes["新基建"]]
        assert "[新基建]" in screen_text(app) and "融资支持·小李" not in screen_text(app)
        await pilot.press("o")  # others' codes on demand
        await pilot.pause()
        assert "(融资支持·小李)" in screen_text(app)


@run_async
async def test_failed_action_is_notified_and_view_shows_true_state(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", *"rzzc", "enter")  # works: S001 coded, recent slot 1
        await pilot.pause()

        def locked(self: Workbench, sentence_ids: list[int], code_id: int, **_options: object) -> bool:
            # Someone else's change lands, then our write fails.
            Workbench(self.project, "小王").code_statements([sentence_ids[0]], code_id)
            raise QcoderError("the project database is busy (locked by another process); try again")

        monkeypatch.setattr(Workbench, "toggle_and_read", locked)
        await pilot.press("j", "1")
        await pilot.pause()
        assert any("database is busy" in m for m in messages(app))
        # the view re-read the database: S002 shows the coding that really is stored
        assert view(app).mine(view(app).current.id)
    assert ("D01-S002", "融资支持", "小王") in stored_codings(db_path)


@run_async
async def test_mouse_click_selects_statement(db_path: Path) -> None:
    app = make_app(db_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        document = view(app)
        await pilot.click(DocumentView, offset=(12, 4))  # 5th line: D01-S004 (S002 wraps? no at 100 cols)
        await pilot.pause()
        clicked = document.current.label
        assert clicked == document.statements[document.layout_.locate(4)[0]].label
        await pilot.click(DocumentView, offset=(12, 6), shift=True)
        await pilot.pause()
        first, last = document.selection_range()
        assert last > first
        await pilot.press("enter", *"rzzc", "enter")
        await pilot.pause()
    coded = {label for label, code, _ in stored_codings(db_path) if code == "融资支持"}
    assert len(coded) == last - first + 1 and clicked in coded


@run_async
async def test_long_statements_wrap_whole_beside_the_scrollbar(tmp_path: Path) -> None:
    """Every character of a wrapped statement is on screen: none hides under the scrollbar."""
    from tui_factory import add_document

    path = tmp_path / "long.qcoder.db"
    project = open_project(str(path))
    long_statement = "创新联合体赋能新质生产力的理论机制与实践路径研究表明协同创新十分重要。" * 3
    add_document(project, [long_statement] * 40, "long")
    project.close()
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        assert view.layout_ is not None
        lines = [view.render_line(y).text for y in range(view.scrollable_content_region.height)]
        gutter = view._gutter
        count = int(view.layout_.text_lines[0])
        assert count < len(lines)
        first_statement = "".join(line[gutter:].rstrip() for line in lines[:count])
        assert long_statement in first_statement.replace(" ", "")
        assert view._text_width() + gutter <= view.scrollable_content_region.width
