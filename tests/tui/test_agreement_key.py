"""``A`` on the coding screen: choose coders (the two with most reviews ticked), then the reconcile screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import SelectionList
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coders import CoderChoiceScreen, rank_coders
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.reconcile import ReconcileScreen

SIZE = (120, 36)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """小李 reviewed both documents, 小王 one, 小张 none; 小王 and 小李 disagree on D01."""
    path = tmp_path / "project.qcoder.db"
    with build_project(path) as project:
        wang, li = Workbench(project, "小王"), Workbench(project, "小李")
        Workbench(project, "小张")
        codes = {c.name: c.id for c in wang.codes()}
        rows = wang.statements(1)
        li.code_statements([rows[6].id, rows[1].id], codes["创新联合体"])
        wang.review(1)
        li.review(1)
        li.review(2)
    return path


@run_async
async def test_agreement_key_asks_for_coders_then_opens_reconciliation(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("A")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CoderChoiceScreen)
        text = screen_text(app)
        assert "小李  (2 documents reviewed)" in text and "小张  (0 documents reviewed)" in text
        assert dialog.query_one(SelectionList).selected == ["小李", "小王"]

        await pilot.press("space")  # untick 小李: one coder is not enough
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog and "tick at least two coders" in messages(app)
        await pilot.press("space", "enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReconcileScreen)
        assert screen.request.coders == ("小李", "小王")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "reconciling 小李 (A) and 小王 (B)" in screen_text(app)
        assert "decided 0/1 disagreements" in screen_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)


@run_async
async def test_agreement_dialog_cancel_changes_nothing(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("b", "A")
        await pilot.pause()
        assert isinstance(app.screen, CoderChoiceScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (CoderChoiceScreen, ReconcileScreen))


def test_rank_coders_puts_most_reviews_first_and_consensus_last() -> None:
    class Doc:
        def __init__(self, *reviewers: str) -> None:
            self.reviewers = reviewers

    docs = [Doc("a", "consensus"), Doc("b", "consensus"), Doc("b")]
    assert rank_coders(["a", "consensus", "b", "c"], docs) == [("b", 2), ("a", 1), ("c", 0), ("consensus", 2)]  # type: ignore[arg-type]
