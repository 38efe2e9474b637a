"""The code picker where two codes share a name under different parents (issue #15): it shows
their paths, takes a typed path, and codes with the one chosen."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tui_factory import build_project, run_async, screen_text

from qcoder.coding.codes import code_paths
from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Coding, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.picker import PickerScreen

SIZE = (100, 30)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """The usual small project, plus a second 人才 under another category (政策支持/人才 is there)."""
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    bench = Workbench(project, "小王")
    environment = bench.create_code("创新环境", 2)
    bench.create_code("人才", 1, parent_id=environment.id)
    project.close()
    return path


def coded(path: Path) -> set[tuple[str, str]]:
    with open_project(str(path)) as project, project.session() as session:
        paths = code_paths(session)
        rows = session.execute(select(Sentence.label, Coding.code_id).join(Sentence, Sentence.id == Coding.sentence_id))
        return {(label, paths[code_id]) for label, code_id in rows}


@run_async
async def test_picker_shows_paths_of_same_name_codes_and_takes_a_path(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PickerScreen)
        await pilot.press(*"人才")
        await pilot.pause()
        shown = screen_text(app)
        assert "政策支持/人才" in shown and "创新环境/人才" in shown
        await pilot.press("ctrl+a", "ctrl+k", *"创新环境/人才", "enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
    assert ("D01-S002", "创新环境/人才") in coded(db_path)
    assert not any(path == "政策支持/人才" for _label, path in coded(db_path))
