"""Every screen at 80×24 and at 40×12, in English and in Chinese: nothing overlaps, nothing leaves the screen.

Overlap is measured on what is drawn: each widget's region clipped by its containers (a
scrolled-away part is not on screen), compared between widgets that are not inside one another.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.geometry import Region
from textual.widget import Widget
from tui_factory import build_project, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store import preferences
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp

SIZES = [(80, 24), (40, 12)]
SKIP = {"ToastRack", "Toast", "Tooltip", "ScrollBar", "ScrollBarCorner"}


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(preferences, "preferences_path", lambda: tmp_path / "prefs.json")
    path = tmp_path / "project.qcoder.db"
    project = build_project(path)
    bench = Workbench(project, "小王")
    codes = {code.name: code.id for code in bench.codes()}
    rows = bench.statements(1)
    long_name = "数字经济背景下传统制造业企业协同创新网络的结构演化与治理机制研究"
    bench.create_code(long_name, 0, parent_id=None)
    bench.code_statements([rows[1].id, rows[4].id], codes["人才"])
    bench.add_memo("第一条备忘录", target="sentence", target_id=rows[2].id)
    li = Workbench(project, "小李")
    li.code_statements([rows[1].id], codes["新基建"])
    li.review(1)
    bench.review(1)
    project.close()
    return path


def drawn(widget: Widget) -> Region:
    region = widget.region
    for ancestor in widget.ancestors:
        if isinstance(ancestor, Widget):
            region = region.intersection(ancestor.region)
    return region


def overlaps(app: QcoderApp) -> list[str]:
    screen = app.screen
    shown = [
        w
        for w in screen.walk_children(Widget)
        if w.display and w.visible and type(w).__name__ not in SKIP and drawn(w).area > 0
    ]
    problems: list[str] = []
    leaves = [w for w in shown if not any(child in shown for child in w.children)]
    for i, a in enumerate(leaves):
        for b in leaves[i + 1 :]:
            if a in b.ancestors or b in a.ancestors:
                continue
            if drawn(a).overlaps(drawn(b)):
                problems.append(f"{a!r} {drawn(a)} overlaps {b!r} {drawn(b)}")
    return problems


async def visit(app: QcoderApp, pilot, size: tuple[int, int], seen: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    name = type(app.screen).__name__
    problems = overlaps(app)
    assert not problems, (name, size, problems)
    lines = screen_text(app).splitlines()
    assert len(lines) == size[1] and all(cell_len(line) == size[0] for line in lines), name
    seen[name] = screen_text(app)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "40x12"])
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_screen_fits(db_path: Path, size: tuple[int, int], language: str) -> None:
    @run_async
    async def run() -> None:
        app = QcoderApp(open_project(str(db_path)), "小王", live=False, language=language)
        seen: dict[str, str] = {}
        async with app.run_test(size=size) as pilot:
            await visit(app, pilot, size, seen)  # coding
            for keys in (["question_mark"], ["enter"], ["m"], ["w"], ["slash"], ["i"], ["I"]):
                await pilot.press(*keys)
                await visit(app, pilot, size, seen)
                await pilot.press("escape")
                await pilot.pause()
            talent = next(c.id for c in app.catalog.codes.values() if c.name == "人才")
            app.coding.compare(talent)
            await visit(app, pilot, size, seen)
            await pilot.press("escape")
            await pilot.press("b")
            await visit(app, pilot, size, seen)  # codebook
            app.codebook.code_tree.select_code(talent)
            for keys in (["s"], ["e"], ["d"], ["ctrl+e"], ["t"]):
                await pilot.press(*keys)
                await visit(app, pilot, size, seen)
                await pilot.press("escape")
                await pilot.pause()
            await pilot.press("R")
            await visit(app, pilot, size, seen)  # reports
            await pilot.press("e")
            await visit(app, pilot, size, seen)  # export dialog
            await pilot.press("escape", "escape", "A")
            await visit(app, pilot, size, seen)  # which coders
            await pilot.press("enter")
            await visit(app, pilot, size, seen)  # reconcile
        app.close_project()
        expected = {
            "CodingScreen",
            "HelpScreen",
            "PickerScreen",
            "MemoScreen",
            "MemoBrowserScreen",
            "SearchScreen",
            "SuggestionScreen",
            "ImportScreen",
            "ComparisonScreen",
            "CodebookScreen",
            "SplitScreen",
            "PromptScreen",
            "TextEditScreen",
            "ChoiceScreen",
            "ReportsScreen",
            "ExportDialog",
            "CoderChoiceScreen",
            "ReconcileScreen",
        }
        assert expected <= set(seen), expected - set(seen)
        coding = seen["CodingScreen"]
        assert ("文档" in coding) == (language == "zh")

    run()
