"""Live refresh: another coder's work appears after the check interval, the cursor stays put.

The other coder is a second Workbench on its own connection (as another machine on the
team server would be); the app checks every 0.2 s here instead of every 5 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.codebook import CodebookScreen
from qcoder.tui.screens.picker import PickerScreen
from qcoder.tui.widgets.code_tree import CodeTree
from qcoder.tui.widgets.document_view import DocumentView

SIZE = (100, 30)
INTERVAL = 0.2


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    return path


def colleague_codes(path: Path, coder: str, ordinal: int, code_name: str) -> None:
    """Another coder, on another connection, codes statement ``ordinal`` of D01."""
    with open_project(str(path)) as project:
        bench = Workbench(project, coder)
        code = next(c for c in bench.codes() if c.name == code_name)
        bench.code_statements([bench.statements(1)[ordinal - 1].id], code.id)


async def wait_until(pilot, condition: Callable[[], bool], seconds: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.05)):
        if condition():
            return True
        await asyncio.sleep(0.05)
        await pilot.pause()
    return condition()


def has_code(app: QcoderApp, name: str) -> bool:
    return any(code.name == name for code in app.catalog.codes.values())  # type: ignore[union-attr]


def tree_label(app: QcoderApp, name: str) -> str:
    tree = app.screen.query_one(CodeTree)
    code_id = next(cid for cid, code in app.catalog.codes.items() if code.name == name)  # type: ignore[union-attr]
    return str(tree.nodes[code_id].label)


@run_async
async def test_another_coders_coding_appears_without_moving_the_cursor(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live_interval=INTERVAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("o", "j", "j", "j")  # all coders' chips; cursor on D01-S004
        await pilot.pause()
        view = app.screen.query_one(DocumentView)
        assert view.cursor == 3 and tree_label(app, "新基建") == "新基建 0/0"
        await asyncio.sleep(2 * INTERVAL)
        colleague_codes(db_path, "小李", 2, "新基建")
        sentence = view.statements[1].id
        assert await wait_until(pilot, lambda: bool(view.codings.get(sentence)))
        assert "(新基建·小李)" in screen_text(app)  # a new coder, too
        assert tree_label(app, "新基建") == "新基建 0/1"
        assert view.cursor == 3 and view.current.label == "D01-S004"  # type: ignore[union-attr]


@run_async
async def test_own_changes_do_not_trigger_a_reread(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live_interval=INTERVAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown: list[object] = []
        monkeypatch.setattr(app.coding, "show_state", shown.append)
        colleague_codes(db_path, "小王", 3, "融资支持")  # the same coder elsewhere: already "mine"
        await asyncio.sleep(4 * INTERVAL)
        await app.workers.wait_for_complete()
        assert shown == [] and app.live.seen.top > 0
        colleague_codes(db_path, "小李", 3, "融资支持")
        assert await wait_until(pilot, lambda: len(shown) == 1)


@run_async
async def test_toggle_off_and_dialogs_hold_the_refresh_back(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live_interval=INTERVAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("L")
        await pilot.pause()
        assert any(m.startswith("live refresh off") for m in messages(app))
        colleague_codes(db_path, "小李", 2, "新基建")
        await asyncio.sleep(4 * INTERVAL)
        await pilot.pause()
        assert tree_label(app, "新基建") == "新基建 0/0"

        await pilot.press("enter")  # the picker is open: no re-read under it
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        app.toggle_live()  # on again (L would be typed into the picker)
        await asyncio.sleep(4 * INTERVAL)
        await pilot.pause()
        assert [code.codings for code in app.catalog.codes.values() if code.name == "新基建"] == [0]  # type: ignore[union-attr]
        await pilot.press("escape")
        assert await wait_until(pilot, lambda: tree_label(app, "新基建") == "新基建 0/1")


@run_async
async def test_codebook_screen_picks_up_a_new_code(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live_interval=INTERVAL)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, CodebookScreen)
        with open_project(str(db_path)) as project:
            Workbench(project, "小李").create_code("数字经济", 1)
        assert await wait_until(pilot, lambda: "数字经济" in screen_text(app))
        assert isinstance(app.screen, CodebookScreen)


@pytest.mark.postgres
@run_async
async def test_a_colleagues_long_transaction_appears_when_it_commits_on_postgresql(pg_url: str) -> None:
    """The colleague's open transaction holds a lower event id than one the app has already seen."""
    from qcoder.coding.coders import get_or_create_coder
    from qcoder.coding.codes import create_code

    build_project(pg_url).close()  # type: ignore[arg-type]
    app = QcoderApp(open_project(pg_url), "小王", live_interval=INTERVAL)
    with open_project(pg_url) as slow, open_project(pg_url) as quick:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            merge = slow.write_session_factory()  # e.g. a long merge, still running
            try:
                create_code(merge, "慢码", coder=get_or_create_coder(merge, "小赵"))
                merge.flush()
                Workbench(quick, "小李").create_code("快码")  # committed first, with a higher id
                assert await wait_until(pilot, lambda: has_code(app, "快码"))
                assert not has_code(app, "慢码")
                await app.workers.wait_for_complete()
                merge.commit()
            finally:
                merge.close()
            assert await wait_until(pilot, lambda: has_code(app, "慢码"))
    app.project.close()
