"""The workbench's suggestion queue (S) and similar statements (s), driven by key presses on the sample project."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tui_factory import run_async, screen_text

from qcoder.coding.coders import find_coder
from qcoder.demo import load_demo
from qcoder.store.database import open_project
from qcoder.store.models import Coding, SuggestionRejection
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.suggestions import SimilarScreen, SuggestionQueueScreen

SIZE = (120, 36)
A = "研究者A"


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.qcoder.db"
    with open_project(str(path)) as project:
        load_demo(project)
    return path


@pytest.fixture
def db_path(demo_file: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "demo.qcoder.db"
    shutil.copy(demo_file, copy)
    return copy


def _codings(path: Path) -> set[tuple[int, int]]:
    with open_project(str(path)) as project, project.session() as session:
        coder = find_coder(session, A).id
        return set(session.execute(select(Coding.sentence_id, Coding.code_id).where(Coding.coder_id == coder)).all())


async def _settle(app: QcoderApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await app.workers.wait_for_complete()
    await pilot.pause()


@run_async
async def test_queue_accept_reject_and_undo(db_path: Path) -> None:
    before = _codings(db_path)
    app = QcoderApp(open_project(str(db_path)), A, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("S")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SuggestionQueueScreen)
        await _settle(app, pilot)
        first, offered = screen.item, screen.offered[0]
        assert first is not None and "statements in the queue" in screen_text(app)
        assert f"{first.label}" in screen_text(app) and offered.code_name in screen_text(app)

        await pilot.press("a")  # accept: one key, a coding of 研究者A
        await pilot.pause()
        assert _codings(db_path) - before == {(first.sentence_id, offered.code_id)}
        second, rejected = screen.item, screen.offered[0]
        assert second is not None and second.sentence_id != first.sentence_id

        await pilot.press("x")  # reject: remembered, nothing coded
        await pilot.pause()
        with open_project(str(db_path)) as project, project.session() as session:
            rows = session.execute(select(SuggestionRejection.sentence_id, SuggestionRejection.code_id)).all()
        assert [tuple(r) for r in rows] == [(second.sentence_id, rejected.code_id)]
        assert _codings(db_path) - before == {(first.sentence_id, offered.code_id)}

        await pilot.press("u")  # undo the accepted coding; the statement is offered again
        await pilot.pause()
        assert _codings(db_path) == before
        assert screen.item is not None and screen.item.sentence_id == first.sentence_id

        await pilot.press("n")  # skip: nothing changes, the next statement comes
        await pilot.pause()
        assert screen.item is not None and screen.item.sentence_id != first.sentence_id
        assert _codings(db_path) == before

        await pilot.press("l")  # least certain first
        await pilot.pause()
        assert "least certain first" in screen_text(app)

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
    with open_project(str(db_path)) as project, project.session() as session:
        assert session.scalar(select(func.count()).select_from(SuggestionRejection)) == 1


@run_async
async def test_similar_statements_and_jump(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), A, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "j", "j")
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SimilarScreen)
        await _settle(app, pilot)
        assert screen.found and "Statements similar to D01-S004" in screen_text(app)
        target = screen.found[0]
        assert target.label in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        coding = app.screen
        assert isinstance(coding, CodingScreen)
        assert coding.view.current is not None and coding.view.current.label == target.label


@run_async
async def test_closing_the_queue_while_it_trains_and_coding_meanwhile(db_path: Path) -> None:
    """Escape while the model trains: the workbench is back at once, and the finished worker changes nothing."""
    before = _codings(db_path)
    app = QcoderApp(open_project(str(db_path)), A, live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("S")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        await _settle(app, pilot)
        assert isinstance(app.screen, CodingScreen)
    assert _codings(db_path) == before
