"""What the terminal shows after each key is exactly what a full redraw by Textual would show.

A cursor move draws as little as it can: the title line changes in the move's own frame,
a frame renders only the widgets and rows it updates (``qcoder.tui.compositor``), the
status lines draw their Text's segments themselves, the document view draws new lines
without the styles cache and keeps the rest. Here every update the app sends to the
terminal is applied to a screen buffer, as a terminal would, and after each step that
buffer is compared, cell by cell, with the whole screen drawn afresh by Textual's own
compositor from emptied caches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual._compositor import ChopsUpdate, Compositor, LayoutUpdate
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot
from textual.strip import Strip
from tui_factory import DOC_ONE, add_document, build_project, run_async, screen_text

from qcoder.coding.records import DocumentSummary
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp
from qcoder.tui.widgets.code_tree import CodeTree
from qcoder.tui.widgets.document_list import DocumentList
from qcoder.tui.widgets.document_view import DocumentView
from qcoder.tui.widgets.status_line import StatusLine

Cell = tuple[str, Style | None]


def _cells(strip: Strip) -> list[Cell]:
    """One entry per terminal cell (a wide character's second cell is empty text); styles without meta."""
    cells: list[Cell] = []
    for segment in strip:
        if segment.control:
            continue
        style = segment.style.clear_meta_and_links() if segment.style is not None else None
        for character in segment.text:
            cells.append((character, style))
            cells.extend(("", style) for _ in range(cell_len(character) - 1))
    return cells


class Terminal:
    """A screen buffer that takes the app's updates as a terminal would."""

    def __init__(self, width: int, height: int) -> None:
        self.rows: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]
        self.updates = 0

    def take(self, update: Any) -> None:
        self.updates += 1
        if isinstance(update, LayoutUpdate):  # the whole screen (a resize): the terminal has its size
            region = update.region
            self.rows = [[(" ", None)] * region.right for _ in range(region.bottom)]
            for y, line in enumerate(update.strips, start=update.region.y):
                self._write(y, update.region.x, _cells(Strip.join(line)), update.region.x, update.region.right)
        elif isinstance(update, ChopsUpdate):
            for y, x1, x2 in update.spans:  # as ChopsUpdate.__rich_console__ writes them
                for end, (x, strip) in zip(update.chop_ends[y], update.chops[y].items(), strict=False):
                    if strip is not None and not (x > x2 or end <= x1):
                        self._write(y, x, _cells(strip), x1, x2)

    def _write(self, y: int, x: int, cells: list[Cell], x1: int, x2: int) -> None:
        row = self.rows[y]
        for offset, cell in enumerate(cells):
            if x1 <= x + offset < min(x2, len(row)):
                row[x + offset] = cell


def watch(app: App[Any], size: tuple[int, int]) -> Terminal:
    terminal = Terminal(*size)
    original = app._display

    def display(screen: Any, renderable: Any) -> None:
        original(screen, renderable)  # cleaned of control characters on the way, in place
        terminal.take(renderable)

    app._display = display  # type: ignore[method-assign]
    return terminal


def fresh_screen(app: App[Any]) -> list[list[Cell]]:
    """The whole screen drawn by Textual's own compositor, every widget's kept lines forgotten."""
    screen = app.screen
    for widget in screen.walk_children(with_self=True):
        widget._styles_cache.clear()
        widget._dirty_regions.add(widget.size.region)  # Widget.render_line draws its content again
        if isinstance(widget, DocumentView):
            widget._strips.clear()
        if isinstance(widget, StatusLine):
            widget._line = None
        if isinstance(widget, DocumentList):
            widget._option_render_cache.clear()
            widget.quick_lines = False  # Textual's own drawing of every entry
    compositor = screen._compositor
    kind = compositor.__class__
    compositor.__class__ = Compositor
    try:
        strips = compositor.render_strips()
    finally:
        compositor.__class__ = kind
        for widget in screen.query(DocumentList):
            widget._option_render_cache.clear()
            widget.quick_lines = True
    return [_cells(strip) for strip in strips]


def assert_as_drawn_afresh(app: App[Any], terminal: Terminal) -> None:
    fresh = fresh_screen(app)
    for y, (shown, drawn) in enumerate(zip(terminal.rows, fresh, strict=True)):
        assert shown == drawn, f"row {y}: {''.join(c for c, _ in shown)!r} != {''.join(c for c, _ in drawn)!r}"


@run_async
async def test_the_terminal_after_moves_codings_and_ranges_is_a_full_redraw(tmp_path: Path) -> None:
    size = (100, 30)
    async with watched_workbench(tmp_path, size, long_document=True) as (app, pilot, terminal):

        async def step(*keys: str) -> None:
            await pilot.press(*keys)
            await pilot.pause()
            assert_as_drawn_afresh(app, terminal)

        await step("j")
        await step("k")
        await step("right_square_bracket", "right_square_bracket")  # the long document
        view = app.screen.query_one(DocumentView)
        before = terminal.updates
        for _ in range(30):  # moves on screen, then moves that scroll: each one checked
            await step("j")
        assert view.scroll_offset.y > 0 and terminal.updates > before
        assert view.current is not None and view.current.label.split("-")[-1] in screen_text(app).splitlines()[1]
        await step("enter", *"新基建", "enter")  # a chip line comes: lines below move
        await step("j", "1")
        await step("1")  # and goes
        await step("v", "j", "j")  # a range: the title counts it
        assert "(3 selected)" in screen_text(app)
        await step("escape")
        await step("pagedown")
        await step("pageup")
        await step("G")
        await step("g")
        await step("e", "l")  # words being selected: the title shows them
        await step("escape")
        await step("o")  # others' codes
        await pilot.resize_terminal(72, 22)  # a full frame at the new size
        await pilot.pause()
        assert_as_drawn_afresh(app, terminal)
        await pilot.resize_terminal(*size)
        await pilot.pause()
        assert_as_drawn_afresh(app, terminal)
        await step("k", "k", "k")
        await step("tab")  # focus leaves the view for the lists: their cursor styles change (kept styles too)
        await step("tab")
        await step("down")
        await step("shift+tab", "shift+tab")


@run_async
async def test_new_view_lines_are_what_the_styles_cache_draws(tmp_path: Path) -> None:
    """The view draws a new line itself (no border, padding, tint): the same strip Textual's styles cache makes."""
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    app = QcoderApp(open_project(str(path)), "小王")
    async with app.run_test(size=(90, 24)) as pilot:
        await pilot.pause()
        await pilot.press("j", "v", "j", "j")
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        view._strips.clear()
        direct = view.render_lines(Region(0, 0, view.size.width, view.size.height))
        styles = view.styles
        base, background = view.background_colors
        cached = []
        for y in range(view.size.height):
            strip = view._styles_cache.render_line(
                styles, y, view.region.size, view.content_region.size, styles.padding, base, background,
                view.render_line, None, None, view.opacity, app.ansi_theme, app.native_ansi_color,
            )  # fmt: skip
            for line_filter in view.get_line_filters():
                strip = strip.apply_filter(line_filter, background)
            cached.append(strip)
        assert [list(strip) for strip in direct] == [list(strip) for strip in cached]
        assert [strip.cell_length for strip in direct] == [strip.cell_length for strip in cached]


def _titles() -> list[Text]:
    title = Text("D01 ", style="bold")
    title.append("S00299 ", style="bold")
    title.append("[受访者 · 00:01:30] ", style="italic")
    title.append("(3 selected) ", style="bold reverse")
    title.append("299/50000 coded")
    title.append(" unreviewed", style="dim")
    title.append(" · 大文档", style="dim")
    title.append(" · saving…", style="bold yellow")
    recent = Text("recent: ", style="dim")
    recent.append("1", style="bold reverse")
    recent.append(" 新基建  ")
    words = Text("D01 ", style="bold")
    words.append("words: ", style="bold reverse")
    words.append("“中文”", style="bold")
    words.append("←/→ word", style="dim")
    reviewed = Text("D02 ", style="bold")
    reviewed.append(" ✓reviewed", style="green")
    coloured = Text("[政策支持]", style="#E07A5F")
    return [
        title,
        recent,
        words,
        reviewed,
        coloured,
        Text("recent codes appear here for keys 1–9", style="dim"),
        Text("  spaces around  "),
        Text("x" * 300),  # does not fit: Textual draws it (wrapped)
        Text(""),
    ]


def _documents() -> list[DocumentSummary]:
    def doc(label: str, name: str, coded: int, reviewed: bool = False, role: str = "coding") -> DocumentSummary:
        return DocumentSummary(int(label[1:]), label, name, role, 554, coded, reviewed, (), "")

    return [
        doc("D01", "访谈01_张老师.docx", 12),
        doc("D02", "微博 😀 转发", 0, reviewed=True),
        doc("D03", "𠀀𠀁 Extension B 𪜀", 554, role="holdout"),
        doc("D04", "e\u0301 combining", 3),
        doc("D05", "一个很长很长的文件名" * 8, 1),  # does not fit: Textual draws it (cut with …)
    ]


class _Documents(App[None]):
    CSS_PATH = str(Path(__file__).resolve().parents[2] / "qcoder" / "tui" / "qcoder.tcss")

    def compose(self) -> ComposeResult:
        yield DocumentList(id="documents")


@run_async
async def test_a_document_entry_draws_its_label_as_textual_does() -> None:
    """Entries are drawn from their labels' segments: the same strips Textual's own OptionList draws,
    highlighted or not, focused or not, in a dark and a light theme."""
    for theme in ("textual-dark", "textual-light"):
        app = _Documents()
        async with app.run_test(size=(60, 10)) as pilot:
            app.theme = theme
            listing = app.query_one(DocumentList)
            listing.show(_documents(), None)
            await pilot.pause()
            for focused in (False, True):
                if focused:
                    listing.focus()
                    await pilot.pause()
                for highlighted in range(len(listing.documents)):
                    listing.highlighted = highlighted
                    await pilot.pause()
                    region = Region(0, 0, listing.outer_size.width, listing.outer_size.height)
                    listing._option_render_cache.clear()
                    listing._styles_cache.clear()
                    quick = [list(strip) for strip in listing.render_lines(region)]
                    listing.quick_lines = False
                    listing._option_render_cache.clear()
                    listing._styles_cache.clear()
                    textual = [list(strip) for strip in listing.render_lines(region)]
                    listing.quick_lines = True
                    # the same segments: text, colours, attributes, and the metadata the mouse uses
                    assert quick == textual, (theme, focused, highlighted)
            first = listing.get_option_at_index(0).prompt
            assert isinstance(first, Text)
            quick_drawn = listing._quick.segments(listing, first, listing.get_visual_style("option-list--option"), 58)
            assert quick_drawn is not None  # the entries that fit are drawn here, not by Textual
            long = listing.get_option_at_index(4).prompt
            assert isinstance(long, Text)
            assert listing._quick.segments(listing, long, listing.get_visual_style("option-list--option"), 58) is None


class _Lines(App[None]):
    CSS_PATH = str(Path(__file__).resolve().parents[2] / "qcoder" / "tui" / "qcoder.tcss")

    def compose(self) -> ComposeResult:
        yield StatusLine(id="document-title", classes="pane-title")
        yield StatusLine(id="recent-bar")


@run_async
async def test_a_status_line_draws_its_text_as_textual_does() -> None:
    for theme in ("textual-dark", "textual-light"):
        app = _Lines()
        async with app.run_test(size=(120, 4)) as pilot:
            app.theme = theme
            await pilot.pause()
            quick = 0
            for line in app.query(StatusLine):
                for text in _titles():
                    line.set(text)
                    line._styles_cache.clear()
                    drawn = line.render_lines(Region(0, 0, line.outer_size.width, 1))
                    quick += line._line is not None
                    line._line = None
                    line._quick_line = lambda: None  # type: ignore[method-assign]
                    line._dirty_regions.add(line.size.region)
                    line._styles_cache.clear()
                    textual = line.render_lines(Region(0, 0, line.outer_size.width, 1))
                    del line._quick_line
                    # the same segments: text, colours, attributes and the offsets mouse selection uses
                    assert list(drawn[0]) == list(textual[0]), (theme, line.id, text.plain)
            assert quick == 2 * (len(_titles()) - 2)  # all but the one too long and the empty one drawn here


@asynccontextmanager
async def watched_workbench(
    tmp_path: Path, size: tuple[int, int] = (100, 30), *, long_document: bool = False
) -> AsyncIterator[tuple[QcoderApp, Pilot[Any], Terminal]]:
    """The workbench on the sample project (with a third, 120-statement document if ``long_document``),
    every update it sends taken by a screen buffer (after one full frame)."""
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    if long_document:
        add_document(project, [DOC_ONE[1 + i % (len(DOC_ONE) - 1)] for i in range(120)], "长文档")
    project.close()
    app = QcoderApp(open_project(str(path)), "小王")
    async with app.run_test(size=size) as pilot:
        terminal = watch(app, size)
        await pilot.pause()
        await pilot.resize_terminal(*size)
        await pilot.pause()
        yield app, pilot, terminal


@run_async
async def test_a_coding_that_leaves_a_documents_figures_does_not_redraw_its_line(tmp_path: Path) -> None:
    """A second code on a coded statement: the document's coded count stays, its list line is not drawn again."""
    async with watched_workbench(tmp_path) as (app, pilot, terminal):
        listing = app.screen.query_one(DocumentList)
        tree = app.screen.query_one(CodeTree)
        await pilot.press("enter", *"新基建", "enter")  # S001 coded: its document's count goes up
        await pilot.pause()
        assert_as_drawn_afresh(app, terminal)
        await pilot.press("enter", *"政策支持", "enter")  # a second code on S001: 1 code → 2, the same count
        await pilot.pause()
        assert_as_drawn_afresh(app, terminal)
        index = listing.highlighted
        assert index is not None
        prompt = listing.get_option_at_index(index).prompt
        shown = [line for line in screen_text(app).splitlines() if "/" in line]
        await pilot.press("enter", *"新基建", "enter")  # 新基建 off again: S001 still has 政策支持
        await pilot.pause()
        assert_as_drawn_afresh(app, terminal)
        assert [line for line in screen_text(app).splitlines() if "/" in line] != shown  # the tree's count did change
        doc = listing.documents[index]
        listing.update_document(doc)  # (as a refresh from the database sends it) the same figures
        await pilot.pause()
        assert listing.get_option_at_index(index).prompt is prompt  # the same entry, not drawn again
        listing.update_document(replace(doc, coded_by_me=doc.coded_by_me + 1))
        await pilot.pause()
        assert listing.get_option_at_index(index).prompt is not prompt
        assert_as_drawn_afresh(app, terminal)
        code = tree.catalog.codes[next(iter(tree.nodes))]
        node = tree.nodes[code.id]
        updates = node._updates
        tree.update_code(code)  # the same figures: the tree line is left as it is
        assert node._updates == updates


@run_async
async def test_a_toggle_asks_each_widget_only_for_the_rows_it_changed(tmp_path: Path) -> None:
    """A toggle changes a statement's chip, its document's count, its code's count and the title line,
    far apart on screen: each widget is asked for its changed rows only, not for the box around them all."""
    async with watched_workbench(tmp_path) as (app, pilot, terminal):
        await pilot.press("enter", *"新基建", "enter", "j")  # 新基建 on key 1; the cursor on an uncoded statement
        await pilot.pause()
        asked: list[tuple[str, int]] = []
        compositor = app.screen._compositor
        original = compositor._get_renders

        def counted(crop: Region | None = None) -> Any:
            for region, rows, strips in original(crop):
                widget = next(w for w, (where, _clip) in compositor.visible_widgets.items() if where == region)
                name = type(widget).__name__
                if name == "ScrollBar":
                    name = f"ScrollBar of {type(widget.parent).__name__}"
                asked.append((name, len(strips)))
                yield region, rows, strips

        compositor._get_renders = counted  # type: ignore[method-assign]
        tree = app.screen.query_one(CodeTree)
        node = next(node for node in tree.nodes.values() if str(node.label).startswith("新基建 "))
        counts = str(node.label)
        await pilot.press("1")
        await pilot.pause()
        del compositor._get_renders  # counted no more
        assert_as_drawn_afresh(app, terminal)
        assert str(node.label) != counts and str(node.label) in screen_text(app)  # the code's count went up, shown
        rows = dict(asked)
        assert rows.get("CodeTree") == 1 and rows.get("DocumentList") == 1, asked  # their changed lines only
        assert "Vertical" not in rows and "Horizontal" not in rows, asked  # nothing behind them
        assert "ScrollBar of CodeTree" not in rows and "ScrollBar of DocumentList" not in rows, asked  # not theirs


@run_async
async def test_moving_down_keeps_context_below_and_a_first_code_does_not_scroll(tmp_path: Path) -> None:
    """Reading down a long document, the cursor keeps ``SCROLL_MARGIN`` lines of what follows in view; the chip
    line a first code adds appears in that room: the text does not jump, only the lines below it move."""
    from qcoder.tui.widgets.document_view import SCROLL_MARGIN

    async with watched_workbench(tmp_path, long_document=True) as (app, pilot, terminal):
        await pilot.press("right_square_bracket", "right_square_bracket", "enter", *"新基建", "enter")  # key 1
        await pilot.pause()
        await pilot.press("1")  # (the code went on the first statement: off again)
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        assert view.layout_ is not None
        height = view.scrollable_content_region.height
        scrolled = 0
        for _ in range(40):
            await pilot.press("j")
            await pilot.pause()
            last = view.layout_.first_line(view.cursor) + view.layout_.line_count(view.cursor) - 1
            bottom = int(view.scroll_offset.y) + height - 1
            assert last + SCROLL_MARGIN <= bottom, (last, bottom)  # what follows stays in sight
            scrolled += int(view.scroll_offset.y) > 0
        assert scrolled > 10  # the view did scroll down with the cursor
        assert not view.mine(view.statements[view.cursor].id)
        top = int(view.scroll_offset.y)
        await pilot.press("1")  # a first code: its chip line comes below the statement
        await pilot.pause()
        assert view.mine(view.statements[view.cursor].id)
        assert int(view.scroll_offset.y) == top  # no jump: the chip line came in the room kept below
        assert_as_drawn_afresh(app, terminal)
        await pilot.press("G")  # the document's end is still reached: the last statement on the last lines
        await pilot.pause()
        assert view.cursor == len(view.statements) - 1
        assert view.layout_.total - int(view.scroll_offset.y) <= height
        await pilot.press("k", "k", "k", "k", "k")  # up again from the end: context kept above
        await pilot.pause()
        assert_as_drawn_afresh(app, terminal)


@run_async
async def test_a_committed_toggle_is_on_the_terminal_when_its_answer_is_handled(tmp_path: Path) -> None:
    """The frame that shows a toggle is drawn by the answer's handler, not a paint slot later: as soon as the
    handler returns, the terminal already holds what a full redraw shows (chip, counts, title)."""
    from qcoder.tui.attempt import AttemptApp
    from qcoder.tui.frame_now import draw_now

    async with watched_workbench(tmp_path) as (app, pilot, terminal):
        await pilot.press("enter", *"新基建", "enter", "j", "j")  # 新基建 on key 1; an uncoded statement
        await pilot.pause()
        checked: list[bool] = []
        original = AttemptApp.on_db_done

        def handled_then_checked(self: Any, message: Any) -> None:
            original(self, message)
            assert_as_drawn_afresh(app, terminal)  # before the event loop takes another step
            checked.append(True)

        view = app.screen.query_one(DocumentView)
        statement = view.statements[view.cursor].id
        AttemptApp.on_db_done = handled_then_checked  # type: ignore[method-assign]  # Textual looks handlers up on the class
        try:
            for _ in range(3):  # on, off, on: a chip line comes, goes, comes
                updates = terminal.updates
                await pilot.press("1")
                await pilot.pause()
                assert checked and terminal.updates > updates
                checked.clear()
        finally:
            AttemptApp.on_db_done = original  # type: ignore[method-assign]
        assert view.mine(statement)
        tree = app.screen.query_one(CodeTree)
        tree.refresh(layout=True)  # something that needs a layout pass first: left to Textual
        assert draw_now(app) is False
        await pilot.pause()
        assert_as_drawn_afresh(app, terminal)
