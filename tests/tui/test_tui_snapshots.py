"""Snapshots of the main screens at 100×30, in English and in Chinese (baselines under __snapshots__/).

Regenerate after a deliberate visual change with
``pytest tests/tui/test_tui_snapshots.py --snapshot-update`` and review the SVGs.
Nothing time- or path-dependent is on these screens, so they are deterministic.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tui_factory import build_project

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp

SIZE = (100, 30)


def rich_project(path: Path, language: str = "en") -> QcoderApp:
    project = build_project(path)
    bench = Workbench(project, "小王")
    codes = {c.name: c.id for c in bench.codes()}
    rows = bench.statements(1)
    bench.code_statements([rows[1].id, rows[2].id], codes["新基建"])
    bench.code_statements([rows[7].id], codes["融资支持"])
    bench.update_code(codes["新基建"], colour="#E07A5F", definition="以5G、数据中心为代表的新型基础设施。")
    bench.add_relation(codes["政策支持"], codes["人才"], "causal", "政策吸引人才")
    bench.add_relation(codes["新基建"], codes["政策支持"], "condition")
    core = bench.create_code("创新生态", 3)
    bench.set_storyline("政策支持与新基建共同塑造区域创新生态。", core.id)
    Workbench(project, "小李").code_statements([rows[1].id], codes["创新联合体"])
    bench.review(2)
    project.close()
    return QcoderApp(open_project(str(path)), "小王", language=language)


@pytest.mark.parametrize("language", ["en", "zh"])
def test_coding_screen_snapshot(snap_compare, tmp_path: Path, language: str) -> None:  # type: ignore[no-untyped-def]
    app = rich_project(tmp_path / "snap.qcoder.db", language)
    assert snap_compare(app, terminal_size=SIZE, press=["j", "v", "j", "o"])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_codebook_screen_snapshot(snap_compare, tmp_path: Path, language: str) -> None:  # type: ignore[no-untyped-def]
    app = rich_project(tmp_path / "snap.qcoder.db", language)
    assert snap_compare(app, terminal_size=SIZE, press=["b", "down", "down"])


@pytest.mark.parametrize("language", ["en", "zh"])
def test_reports_screen_snapshot(snap_compare, tmp_path: Path, language: str) -> None:  # type: ignore[no-untyped-def]
    app = rich_project(tmp_path / "snap.qcoder.db", language)

    async def open_reports(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.press("R")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_reports)
