"""Keys that arrive in a burst — as from a fast typist, a busy machine or a browser tab — all count, in order.

The keys are handed to the app the way its driver hands them over (``send_message``,
from the input thread), all at once, without waiting for a frame between them; then
the screen and the database are checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from textual import events
from tui_factory import build_project, run_async

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.widgets.document_view import DocumentView

NAMES = {"\r": "enter", "\x0e": "ctrl+n", "\x1b": "escape"}


def burst(app: QcoderApp, keys: str) -> None:
    assert app._driver is not None
    for key in keys:
        name = NAMES.get(key, key)
        app._driver.send_message(events.Key(name, key if key.isprintable() else None))


async def settle(app: QcoderApp, done: Callable[[], object]) -> None:
    for _ in range(600):
        await asyncio.sleep(0.02)
        if done():
            await asyncio.sleep(0.05)
            return
    raise AssertionError("the burst was never applied")


def codings(path: Path) -> dict[str, set[str]]:
    with open_project(path) as project:
        bench = Workbench(project, "小王")
        names = {code.id: code.name for code in bench.codes()}
        found: dict[str, set[str]] = {}
        for doc in bench.documents():
            labels = {row.id: row.label for row in bench.statements(doc.id)}
            for sid, pairs in bench.document_codings(doc.id).items():
                found.setdefault(labels[sid], set()).update(names[cid] for cid, _ in pairs)
        return found


@run_async
async def _code_in_bursts(path: Path) -> None:
    app = QcoderApp(open_project(path), "小王", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # the picker opens while the new code's name is typed; ctrl+n (a priority key) comes last
        burst(app, "\r" + "burstcode" + "\x0e")
        await settle(app, lambda: isinstance(app.screen, CodingScreen) and has_code(app, "burstcode"))
        # moves, a toggle of that code (key 1), a move back up, another toggle
        burst(app, "jjjjj" + "1" + "kk" + "1")
        view = app.screen.query_one(DocumentView)
        await settle(
            app, lambda: view.current is not None and view.current.label == "D01-S004" and view.mine(view.current.id)
        )
    app.project.close()


def current(app: QcoderApp) -> str | None:
    """The label of the statement under the coding screen's cursor (None before it is up)."""
    views = app.screen.query(DocumentView) if isinstance(app.screen, CodingScreen) else []
    row = views.first().current if views else None
    return row.label if row is not None else None


def has_code(app: QcoderApp, name: str) -> bool:
    return app.catalog is not None and any(code.name == name for code in app.catalog.codes.values())


def test_a_burst_of_keys_codes_what_was_typed(tmp_path: Path) -> None:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    before = codings(path)
    _code_in_bursts(path)
    after = codings(path)
    added = {label: names - before.get(label, set()) for label, names in after.items()}
    assert {label: names for label, names in added.items() if names} == {
        "D01-S001": {"burstcode"},
        "D01-S006": {"burstcode"},
        "D01-S004": {"burstcode"},
    }


@run_async
async def _name_then_move(path: Path) -> tuple[str | None, str | None]:
    app = QcoderApp(open_project(path), None, live=False)  # asks "Who is coding?" first
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # the name, Enter, and moves typed before the coding screen has replaced the question
        burst(app, "burster" + "\r" + "jjj")
        await settle(app, lambda: current(app) not in (None, "D01-S001"))
        await pilot.pause()
        label = current(app)
        coder = app.coder_name
    app.project.close()
    return coder, label


def test_keys_typed_while_the_coding_screen_opens_count(tmp_path: Path) -> None:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    assert _name_then_move(path) == ("burster", "D01-S004")


@run_async
async def _escape_then_move(path: Path) -> tuple[str, str | None]:
    from textual._xterm_parser import XTermParser

    app = QcoderApp(open_project(path), "小王", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app._driver is not None
        # Enter opens the picker, Escape closes it, two moves: read at once, as a busy input thread reads them
        parser = XTermParser()
        for event in parser.feed("\r\x1bjj"):
            app._driver.send_message(event)
        await asyncio.sleep(0.2)  # the parser's escape delay: it only then decides what ESC j was
        for event in parser.tick():
            app._driver.send_message(event)
        await settle(app, lambda: current(app) == "D01-S003")
        screen = type(app.screen).__name__
        label = current(app)
    app.project.close()
    return screen, label


def test_escape_and_the_next_key_both_count(tmp_path: Path) -> None:
    """The terminal protocol sends Escape then j as one alt+j; the workbench takes it as the two keys."""
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    assert _escape_then_move(path) == ("CodingScreen", "D01-S003")
