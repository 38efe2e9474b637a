"""The reconciliation screen driven headless: statistics load in a worker, keys settle statements.

Project (SQLite): D01 (4 statements) reviewed by A and B. A: S1 y, S2 x, S3 x. B: S1 y, S2 y, S4 x.
Disagreements at the concept level: S2 ({x} vs {y}), S3 ({x} vs {}), S4 ({} vs {x}).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from factories import add_document
from sqlalchemy import select
from textual.app import App

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coder, Coding, Memo, Sentence
from qcoder.tui.attempt import AttemptApp
from qcoder.tui.screens.reconcile import ReconcileScreen

SIZE = (140, 40)


def run_async(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def wrapper(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return wrapper


class Host(AttemptApp):
    """The smallest app that can show the screen (its actions go through ``attempt``)."""

    def __init__(self, workbench: Workbench, coders: list[str]) -> None:
        super().__init__()
        self.workbench, self.coders = workbench, coders

    def on_mount(self) -> None:
        self.push_screen(ReconcileScreen(self.workbench, coders=self.coders))


def build(path: Path) -> Project:
    project = open_project(str(path))
    doc = add_document(project, ["一", "二", "三", "四"])

    def work(session) -> None:  # type: ignore[no-untyped-def]
        a, b = get_or_create_coder(session, "A").id, get_or_create_coder(session, "B").id
        x, y = create_code(session, "x").id, create_code(session, "y").id
        ids = {s.label: s.id for s in session.scalars(select(Sentence))}
        mark_reviewed(session, doc, a)
        mark_reviewed(session, doc, b)
        for coder, code, labels in [
            (a, y, ["S001"]),
            (a, x, ["S002", "S003"]),
            (b, y, ["S001", "S002"]),
            (b, x, ["S004"]),
        ]:
            add_codings(session, [ids[f"D01-{label}"] for label in labels], code, coder)

    project.run(work)
    return project


def consensus_codes(project: Project) -> dict[str, set[str]]:
    with project.session() as session:
        query = (
            select(Sentence.label, Code.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
            .where(Coder.name == "consensus")
        )
        found: dict[str, set[str]] = {}
        for label, name in session.execute(query):
            found.setdefault(label, set()).add(name)
        return found


async def settle(app: App[None], pilot: Any) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


@run_async
async def test_accept_a_and_both_write_the_consensus_coder(tmp_path: Path) -> None:
    project = build(tmp_path / "p.qcoder")
    app = Host(Workbench(project, "主持人"), ["A", "B"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReconcileScreen) and screen.state is not None
        assert [item.label for item in screen.state.items] == ["D01-S002", "D01-S003", "D01-S004"]
        assert screen.stats_table.row_count == 2
        await pilot.press("a")  # S2: keep A's x
        await pilot.pause()
        assert screen.current_item() is not None and screen.current_item().label == "D01-S003"  # type: ignore[union-attr]
        await pilot.press("n")  # S3: neither
        await pilot.press("B")  # S4: both (A nothing, B x)
        await pilot.pause()
        assert screen.state.progress() == "3/3"
        assert "decided 3/3" in str(screen.query_one("#reconcile-progress").render())
        await pilot.press("up", "up")  # back to S2 and change to both
        await pilot.press("B")
        await pilot.pause()
    assert consensus_codes(project) == {"D01-S002": {"x", "y"}, "D01-S004": {"x"}}
    project.close()


@run_async
async def test_memo_and_sorting(tmp_path: Path) -> None:
    project = build(tmp_path / "p.qcoder")
    app = Host(Workbench(project, "主持人"), ["A", "B"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ReconcileScreen)
        assert screen.sorted_codes() == ["x", "y"]
        screen.sort_by(1, reverse=True)  # "used A": x 2, y 1
        await pilot.pause()
        assert screen.sorted_codes() == ["x", "y"]
        screen.sort_by(1, reverse=False)
        await pilot.pause()
        assert screen.sorted_codes() == ["y", "x"]
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"ok", "enter")
        await pilot.pause()
        assert app.screen is screen
        assert "memo: ok" in str(screen.query_one("#reconcile-detail").render())
    with project.session() as session:
        memo = session.scalar(select(Memo))
        assert memo is not None and memo.text == "ok" and memo.title == "reconciliation A/B"
        assert memo.sentence_id == session.scalar(select(Sentence.id).where(Sentence.label == "D01-S002"))
    assert consensus_codes(project) == {}
    project.close()


@run_async
async def test_unknown_coder_is_shown_not_raised(tmp_path: Path) -> None:
    project = build(tmp_path / "p.qcoder")
    app = Host(Workbench(project, "主持人"), ["A", "老赵"])
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "no coder named '老赵'" in str(app.screen.query_one("#reconcile-progress").render())
        await pilot.press("a")  # nothing to decide: no crash
        await pilot.pause()
    project.close()


@run_async
async def test_long_lists_show_undecided_first(tmp_path: Path) -> None:
    import qcoder.tui.screens.reconcile as module

    project = build(tmp_path / "p.qcoder")
    original, module.MAX_ROWS = module.MAX_ROWS, 2
    try:
        app = Host(Workbench(project, "主持人"), ["A", "B"])
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            screen = app.screen
            assert isinstance(screen, ReconcileScreen) and screen.state is not None
            assert screen.items_table.row_count == 2
            assert "showing 2" in str(screen.query_one("#reconcile-progress").render())
            await pilot.press("b")  # S2
            await pilot.press("b")  # S3
            await pilot.press("r")  # reload: S4, the one left, comes into view
            await settle(app, pilot)
            assert [screen.state.items[i].label for i in screen.shown] == ["D01-S002", "D01-S004"]
            assert screen.current_item() is not None and screen.current_item().label == "D01-S004"  # type: ignore[union-attr]
    finally:
        module.MAX_ROWS = original
    assert consensus_codes(project) == {"D01-S002": {"y"}}  # S3: B had nothing there
    project.close()
