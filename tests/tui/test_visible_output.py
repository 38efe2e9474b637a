"""The workbench never writes a project's control characters to the terminal (issue 17, terminal escapes).

A project written before qcoder made them visible at the door — here a code name holding
an OSC sequence that would retitle the terminal, and a statement with a C1 CSI — is shown
with placeholders: the update Textual would write carries ``␛``, never the raw ESC.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tui_factory import build_project, run_async

from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp
from qcoder.tui.visible import clean_update

OSC = "\x1b]0;pwned\x07"


@run_async
async def _rendered(path: str) -> tuple[str, str]:
    app = QcoderApp(open_project(path), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        raw = app.screen._compositor.render_update(full=True)
        before = raw.render_segments(app.console)
        after = clean_update(app.screen._compositor.render_update(full=True)).render_segments(app.console)
    app.project.close()
    return before, after


def test_escapes_in_a_project_never_reach_the_terminal(tmp_path: Path) -> None:
    path = tmp_path / "old.qcoder"
    build_project(path).close()  # type: ignore[arg-type]
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE codes SET name = ? WHERE name = '新基建'", (f"新{OSC}基建",))
        raw.execute("UPDATE sentences SET text = text || ? WHERE label = 'D01-S001'", ("\u009b2J",))
    before, after = _rendered(str(path))
    assert "\x1b]0;pwned" in before and "\u009b2J" in before  # what Textual alone would have written
    assert "\x1b]" not in after and "\u009b" not in after
    assert "␛]0;pwned" in after and "\ufffd2J" in after
