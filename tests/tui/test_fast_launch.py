"""The workbench as ``qcoder tui`` opens it: the first look at once, the engine and the rest behind it.

Each flow presses keys the moment the first frame is up — before the engine or the rest
of the document has loaded — and asserts on the screen and on the database afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tui_factory import DOC_ONE, build_project, messages, run_async, screen_text

from qcoder.coding import first_look as first_look_module
from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError, SchemaMismatch
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp, open_app
from qcoder.tui.engine import PendingWorkbench
from qcoder.tui.widgets.document_view import DocumentView

SIZE = (100, 30)
FIRST = 3  # statements in the first look, so D01 (8 statements) has a rest


@pytest.fixture(autouse=True)
def private_preferences(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """open_app remembers the coder per project: keep that out of the real config dir."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setattr(first_look_module, "FIRST_STATEMENTS", FIRST)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    bench = Workbench(project, "小王")
    talent = next(code for code in bench.codes() if code.name == "人才")
    bench.code_statements([bench.statements(1)[-1].id], talent.id)  # a chip in the rest of D01
    project.close()
    return path


def view(app: QcoderApp) -> DocumentView:
    return app.screen.query_one(DocumentView)


def stored(path: Path, coder: str = "小王") -> set[tuple[str, str]]:
    with open_project(path) as project:
        bench = Workbench(project, coder)
        names = {code.id: code.name for code in bench.codes()}
        labels = {row.id: row.label for doc in bench.documents() for row in bench.statements(doc.id)}
        return {
            (labels[sid], names[cid])
            for doc in bench.documents()
            for sid, pairs in bench.document_codings(doc.id).items()
            for cid, _ in pairs
        }


async def settle(app: QcoderApp) -> None:
    """Until the engine and the rest of the document have loaded (the background thread is done)."""
    for _ in range(400):
        pending = app.workbench
        whole = (
            app.coding is not None
            and app.coding.rest is None
            and app.coding.document is not None
            and (len(view(app).statements) == app.coding.document.statements)
        )
        if whole and (not isinstance(pending, PendingWorkbench) or pending.loaded):
            await asyncio.sleep(0.05)
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the launch never finished loading")


@run_async
async def test_first_frame_then_the_whole_document(db_path: Path) -> None:
    app = open_app(db_path, "小王")
    assert app.workbench is None and app.first_look is not None  # nothing opened yet but the first look
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.workbench, PendingWorkbench)
        text = screen_text(app)
        assert "coder: 小王" in text and "D01 一、研究意义 2/8" in text and "创新联合体 1/1" in text
        assert "D01-S001" in text
        await settle(app)
        assert [row.label for row in view(app).statements] == [f"D01-S{n:03d}" for n in range(1, len(DOC_ONE) + 1)]
        await pilot.press("G")
        await pilot.pause()
        text = screen_text(app)
        assert "D01-S008" in text and "[人才]" in text  # the rest's chip is there
        assert not any("error" in m.lower() for m in messages(app))
    app.close_project()


@run_async
async def test_coding_at_once_is_stored(db_path: Path) -> None:
    app = open_app(db_path, "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        pending = app.workbench
        assert isinstance(pending, PendingWorkbench)
        await pilot.press("j", "enter", *"rzzc", "enter")  # 融资支持 on D01-S002, engine maybe not loaded yet
        await pilot.pause()
        assert pending.loaded
        assert view(app).mine(view(app).current.id)  # the chip shows what was stored
        await settle(app)
    app.close_project()
    assert ("D01-S002", "融资支持") in stored(db_path)


@run_async
async def test_end_key_at_once_goes_to_the_true_last_statement(db_path: Path) -> None:
    app = open_app(db_path, "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end")  # the rest may still be on its way: the key waits for it
        await pilot.pause()
        assert view(app).current.label == "D01-S008"
        await pilot.press("1")  # nothing recent yet: a warning, not a crash
        await settle(app)
        assert view(app).current.label == "D01-S008" and len(view(app).statements) == len(DOC_ONE)
    app.close_project()


@run_async
async def test_next_uncoded_and_refresh_after_fast_launch(db_path: Path) -> None:
    app = open_app(db_path, "小王")
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(5):
            await pilot.press("n")  # S001 … S006 (S007 carries a code) then S008 is coded too
        await pilot.pause()
        assert view(app).current.label == "D01-S006"
        await settle(app)
        await pilot.press("r")
        await pilot.pause()
        assert view(app).current.label == "D01-S006" and len(view(app).statements) == len(DOC_ONE)
    app.close_project()


@run_async
async def test_unknown_coder_opens_the_ordinary_way(db_path: Path) -> None:
    app = open_app(db_path, "新同事")
    assert app.first_look is None  # creating the coder is a write: the project is opened first
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not isinstance(app.workbench, PendingWorkbench)
        assert "coder: 新同事" in screen_text(app)
        await pilot.press("enter", *"rzzc", "enter")
        await pilot.pause()
    app.close_project()
    assert ("D01-S001", "融资支持") in stored(db_path, "新同事")


def test_refused_project_is_one_line_and_unchanged(db_path: Path, tmp_path: Path) -> None:
    import sqlite3

    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    before = db_path.read_bytes()
    with pytest.raises(SchemaMismatch, match="newer qcoder"):
        open_app(db_path, "小王")
    assert db_path.read_bytes() == before
    junk = tmp_path / "junk.qcoder.db"
    junk.write_bytes(b"\x00garbage" * 100)
    with pytest.raises(QcoderError) as refused:
        open_app(junk, "小王")
    assert "\n" not in str(refused.value)


@run_async
async def test_engine_failure_is_one_line_on_each_action(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_self: PendingWorkbench) -> Workbench:
        raise QcoderError("cannot open the project: disk went away")

    monkeypatch.setattr(PendingWorkbench, "_open", broken)
    app = open_app(db_path, "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "k")  # reading still works
        for _ in range(40):
            await asyncio.sleep(0.025)
            if any("disk went away" in m for m in messages(app)):
                break
        assert any("disk went away" in m for m in messages(app))
        await pilot.press("n")  # needs the engine: the same line again, no traceback
        await pilot.pause()
        assert sum("disk went away" in m for m in messages(app)) >= 2
        assert app.is_running
    app.close_project()


@run_async
async def test_live_refresh_after_fast_launch_shows_a_colleague(db_path: Path) -> None:
    app = open_app(db_path, "小王", live=True)
    app.live.interval = 0.2
    async with app.run_test(size=SIZE) as pilot:
        await settle(app)
        await pilot.press("o")  # show others' codes too
        await pilot.pause()
        assert "·小李)" not in screen_text(app)
        app.live.start(seen=app.live.seen)  # again, at the short interval
        with open_project(db_path) as project:
            colleague = Workbench(project, "小李")
            colleague.code_statements([view(app).statements[0].id], colleague.codes()[0].id)
        for _ in range(60):
            await asyncio.sleep(0.05)
            if "·小李)" in screen_text(app):
                break
        assert "·小李)" in screen_text(app)
    app.close_project()


def test_sqlalchemy_is_not_loaded_before_the_first_frame(db_path: Path, tmp_path: Path) -> None:
    """The architecture behind the launch figure: the first frame is drawn before the engine is imported."""
    script = tmp_path / "probe.py"
    script.write_text(
        textwrap.dedent(f"""
        import asyncio, json, sys
        from textual.screen import Screen
        seen = []
        original = Screen._compositor_refresh
        def refresh(screen):
            original(screen)
            from qcoder.tui.widgets.document_view import DocumentView
            views = screen.query(DocumentView)
            if views and views.first().layout_ is not None and not seen:
                seen.append("sqlalchemy" in sys.modules)
        Screen._compositor_refresh = refresh
        import qcoder.cli
        from qcoder.tui.app import open_app
        app = open_app({str(db_path)!r}, "小王")
        async def main():
            async with app.run_test(size=(100, 30)) as pilot:
                for _ in range(200):
                    await asyncio.sleep(0.02)
                    if seen and app.workbench.loaded:
                        break
                print(json.dumps({{"at_first_frame": seen[0], "later": "sqlalchemy" in sys.modules}}))
        asyncio.run(main())
    """),
        encoding="utf-8",
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True, env=env)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"at_first_frame": False, "later": True}


@run_async
async def test_others_codes_at_once_cover_the_rest_of_the_document(db_path: Path) -> None:
    with open_project(db_path) as project:
        colleague = Workbench(project, "小李")
        colleague.code_statements([colleague.statements(1)[-1].id], colleague.codes()[0].id)  # on D01-S008
        first_code = colleague.codes()[0].name
    app = open_app(db_path, "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("o")  # all coders' codes, before the rest of D01 has arrived
        await settle(app)
        await pilot.press("G")
        await pilot.pause()
        text = screen_text(app)
        assert "[人才]" in text and f"({first_code}·小李)" in text
    app.close_project()


@run_async
async def test_end_while_the_rest_is_still_read_never_waits_on_the_ui_thread(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """End before the rest of the document is in: the key is kept (the UI thread goes on drawing), the keys after
    it wait their turn, and once the rest arrives End lands on the true last statement and the next key after it."""
    import threading

    from qcoder.tui.engine import RestLoad

    release = threading.Event()
    original = RestLoad._read

    def slow_read(self: RestLoad) -> object:
        release.wait(30)  # a slow server: the rest takes its time
        return original(self)

    monkeypatch.setattr(RestLoad, "_read", slow_read)
    app = open_app(db_path, "小王")
    async with app.run_test(size=SIZE) as pilot:
        app.settle_database = False  # the test goes on while the rest is on its way, as a person would
        await pilot.pause()
        await pilot.press("end", "k")
        for _ in range(20):  # the UI thread answers meanwhile: timers fire, frames are drawn
            await asyncio.sleep(0.01)
        assert view(app).current.label == "D01-S001" and app.keys_wait()  # kept, not applied, nothing lost
        assert "D01-S001" in screen_text(app)
        release.set()
        await settle(app)
        for _ in range(200):
            if view(app).current.label != "D01-S001" and not app.keys_wait():
                break
            await asyncio.sleep(0.02)
        assert view(app).current.label == "D01-S007"  # End to D01-S008, then k
        assert len(view(app).statements) == len(DOC_ONE)
    app.close_project()
