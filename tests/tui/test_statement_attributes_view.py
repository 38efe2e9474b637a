"""A statement's own attributes (speaker, time, page) are visible in the workbench: the title line
shows those of the statement under the cursor, in the interface language."""

from __future__ import annotations

from pathlib import Path

from tui_factory import run_async, screen_text

from qcoder.corpus.importer import import_path
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp

TRANSCRIPT = "[00:01:23] 访谈者：您好，请先介绍一下自己。\n[00:01:30] 受访者：我叫张三，今年45岁。在村里种地。\n"


@run_async
async def test_the_title_line_shows_the_speaker_and_time_of_the_statement_under_the_cursor(tmp_path: Path) -> None:
    source = tmp_path / "interview.txt"
    source.write_text(TRANSCRIPT, encoding="utf-8")
    path = tmp_path / "p.qcoder"
    with open_project(str(path)) as project:
        import_path(project, source)
    app = QcoderApp(open_project(str(path)), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        first = screen_text(app)
        assert "[访谈者 · 00:01:23]" in first
        await pilot.press("j", "j")  # the last statement: 受访者's second sentence, same turn and time
        await pilot.pause()
        last = screen_text(app)
        assert "S003 [受访者 · 00:01:30]" in last and "访谈者 · 00:01:23" not in last
