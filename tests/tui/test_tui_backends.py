"""The workbench on both backends: a team codes against PostgreSQL with the same screens."""

from __future__ import annotations

from sqlalchemy import select
from tui_factory import build_project, run_async

from qcoder.store.database import open_project
from qcoder.store.models import Code, Coder, Coding, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.picker import PickerScreen
from qcoder.tui.widgets.document_view import DocumentView


@run_async
async def _code_third_statement(url: str) -> None:
    app = QcoderApp(open_project(url), "小王", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("j", "j")
        assert app.screen.query_one(DocumentView).current.label == "D01-S003"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"cxlht", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        await pilot.press("u")  # undo, then redo: both must reach the database
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
    app.project.close()


def test_coding_undo_redo_reach_the_database(db_url: str) -> None:
    build_project(db_url).close()  # type: ignore[arg-type]
    _code_third_statement(db_url)
    with open_project(db_url) as project, project.session() as session:
        rows = set(
            session.execute(
                select(Sentence.label, Code.name, Coder.name)
                .join(Coding, Coding.sentence_id == Sentence.id)
                .join(Code, Code.id == Coding.code_id)
                .join(Coder, Coder.id == Coding.coder_id)
            ).all()
        )
    assert ("D01-S003", "创新联合体", "小王") in {tuple(r) for r in rows}


@run_async
async def _launch_and_code(url: str, *, fast: bool) -> None:
    from qcoder.tui.app import open_app
    from qcoder.tui.engine import PendingWorkbench

    app = open_app(url, "小王", live=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.workbench, PendingWorkbench) is fast
        await pilot.press("j", "enter", *"xjj", "enter")  # 新基建 on D01-S002
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert "[新基建]" in "".join(
            segment.text for strip in app.screen._compositor.render_strips() for segment in strip
        )
    app.close_project()


def test_launch_as_the_cli_does_on_both_backends(db_url: str, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Both backends open on the fast first look (SQLite given as a URL here); the engine loads behind it."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    build_project(db_url).close()  # type: ignore[arg-type]
    _launch_and_code(db_url, fast=True)
    with open_project(db_url) as project, project.session() as session:
        rows = session.execute(
            select(Sentence.label, Code.name).join(Coding, Coding.sentence_id == Sentence.id).join(Code)
        ).all()
    assert ("D01-S002", "新基建") in {tuple(r) for r in rows}


PROBE = """
import asyncio, json, sys
from textual.screen import Screen
seen = []
original = Screen._compositor_refresh
def refresh(screen):
    original(screen)
    from qcoder.tui.widgets.document_view import DocumentView
    views = screen.query(DocumentView)
    if views and views.first().layout_ is not None and not seen:
        seen.append(sorted(name for name in ("sqlalchemy", "alembic", "jieba") if name in sys.modules))
Screen._compositor_refresh = refresh
import qcoder.cli
from qcoder.tui.app import open_app
app = open_app(sys.argv[1], "小王", live=False)
async def main():
    async with app.run_test(size=(100, 30)):
        for _ in range(400):
            await asyncio.sleep(0.02)
            if seen and app.workbench.loaded:
                break
        print(json.dumps({"at_first_frame": seen[0], "engine_later": "sqlalchemy" in sys.modules}))
asyncio.run(main())
app.close_project()
"""


def test_first_frame_before_the_engine_on_both_backends(db_url: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL too the first frame is drawn before SQLAlchemy (or Alembic, or jieba) is imported."""
    import json
    import os
    import subprocess
    import sys

    build_project(db_url).close()  # type: ignore[arg-type]
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, db_url], capture_output=True, text=True, check=True, env=env, timeout=120
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"at_first_frame": [], "engine_later": True}
