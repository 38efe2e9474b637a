"""The document view keeps the lines it drew across frames: what it shows must always be what it would draw afresh.

A key press that scrolls or codes redraws only the lines whose content changed (see
``DocumentView.render_lines``); a line kept when it should have been redrawn would show a
stale cursor, range, chip or quote. After each action here the view's lines are compared
with the same lines drawn from nothing, and the chips the database holds are on screen.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.segment import Segment
from sqlalchemy import select
from textual.geometry import Region
from tui_factory import DOC_ONE, add_document, build_project, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.widgets.document_view import DocumentView

SIZE = (90, 24)


def drawn(view: DocumentView) -> list[list[tuple[str, str]]]:
    """Every visible line of the view as (text, style) pieces."""
    strips = view.render_lines(Region(0, 0, view.size.width, view.size.height))
    return [
        [(segment.text, str(segment.style)) for segment in strip if isinstance(segment, Segment)] for strip in strips
    ]


def assert_fresh(view: DocumentView) -> None:
    kept = drawn(view)
    view._strips.clear()  # draw every line from nothing
    assert kept == drawn(view)


def stored_labels(path: Path, code: str) -> set[str]:
    with open_project(str(path)) as project, project.session() as session:
        return set(
            session.scalars(
                select(Sentence.label)
                .join(Coding, Coding.sentence_id == Sentence.id)
                .join(Code, Code.id == Coding.code_id)
                .where(Code.name == code)
            )
        )


@run_async
async def test_kept_lines_match_a_fresh_drawing_through_moves_codings_and_ranges(tmp_path: Path) -> None:
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    long = [DOC_ONE[1 + i % (len(DOC_ONE) - 1)] for i in range(150)]
    add_document(project, long, "长文档")
    project.close()
    app = QcoderApp(open_project(str(path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right_square_bracket", "right_square_bracket")  # the long document (D03)
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        assert view.current is not None and view.current.label == "D03-S001"

        async def step(*keys: str) -> None:
            await pilot.press(*keys)
            await pilot.pause()
            assert_fresh(view)

        await step(*["j"] * 40)  # scrolled line by line
        assert view.scroll_offset.y > 0
        await step("enter", *"新基建", "enter")  # the picker codes the statement: its chip line appears
        first = view.current
        assert first is not None and stored_labels(path, "新基建") == {first.label}
        assert "[新基建]" in screen_text(app)
        await step("enter", *"融资支持", "enter")  # a second code: the same chip line, redrawn
        assert "[新基建] [融资支持]" in screen_text(app)
        await step("enter", *"融资支持", "enter")  # and off again
        assert "[融资支持]" not in screen_text(app)
        await step("j", "1")  # the number key: on the next statement too
        second = view.current
        assert second is not None and stored_labels(path, "新基建") == {first.label, second.label}
        await step("1")  # and off again: its chip line goes, the lines below move up
        assert stored_labels(path, "新基建") == {first.label}
        await step("k")
        await step("k", "k", "k")
        await step("v", "j", "j")  # a range
        low, high = view.selection_range()
        picked = {row.label for row in view.statements[low : high + 1]}
        assert len(picked) == 3 and first.label not in picked
        await step("1")  # the whole range toggled (on: none of it carried the code)
        assert stored_labels(path, "新基建") == {first.label} | picked
        await step("escape")
        await step("pagedown")
        await step("pageup")
        await step("G")
        await step("g")
        await step(*["j"] * 3)
        await step("e", "l", "l")  # words being selected
        await step("escape")
        await step("u")  # undo the range: chips re-read
        assert stored_labels(path, "新基建") == {first.label}
        await pilot.resize_terminal(70, 20)  # narrower: lines wrap anew
        await pilot.pause()
        assert_fresh(view)
        await step(*["j"] * 5)
        await step("o")  # others' codes shown too


@run_async
async def test_a_colleagues_rename_reaches_the_chips_on_screen(tmp_path: Path) -> None:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    app = QcoderApp(open_project(str(path)), "小王", live_interval=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        assert "[创新联合体]" in screen_text(app)
        assert_fresh(view)
        await asyncio.sleep(0.4)
        with open_project(str(path)) as project:
            bench = Workbench(project, "小李")
            code = next(c for c in bench.codes() if c.name == "创新联合体")
            bench.rename_code(code.id, "协同创新体")
        for _ in range(100):  # the next live check reads the new name
            await asyncio.sleep(0.05)
            await pilot.pause()
            if "[协同创新体]" in screen_text(app):
                break
        assert "[协同创新体]" in screen_text(app) and "[创新联合体]" not in screen_text(app)
        assert_fresh(view)
