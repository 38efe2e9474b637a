"""Issue 17 in the workbench: hostile text never reaches the terminal, and a change to a code another
coder merged meanwhile is refused in words a person understands.

The terminal test listens where Textual writes to the terminal (``App._display``, below qcoder's own
override): what it records is what a real terminal would have been sent, so it fails if any screen's
update skips the placeholders — code names, statement text, memo text and coder names, each planted
in the project the way an older qcoder or another tool could have left them.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from textual._compositor import CompositorUpdate
from textual.app import App
from tui_factory import build_project, messages, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Sentence
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.memo_browser import MemoBrowserScreen

CODE_OSC = "\x1b]0;pwned\x07"  # retitles the terminal
MEMO_OSC = "\x1b]52;c;ZXZpbA==\x07"  # writes the clipboard
CODER_CSI = "\x1b[2J"  # clears the screen
TEXT_C1 = "\u009b2J"  # the same, as one C1 character


def _plant(path: Path) -> None:
    """A second coder's coding and memo on D01-S001, then control characters written straight into the file."""
    with open_project(str(path)) as project:
        other = Workbench(project, "老李")
        s001 = other.statements(1)[0].id
        code = next(c.id for c in other.codes() if c.name == "新基建")
        other.code_statements([s001], code)
        other.add_memo("备忘录第一行", target="sentence", target_id=s001)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE codes SET name = ? WHERE name = '新基建'", (f"新{CODE_OSC}基建",))
        raw.execute("UPDATE coders SET name = ? WHERE name = '老李'", (f"老{CODER_CSI}李",))
        raw.execute("UPDATE memos SET text = ?", (f"备忘{MEMO_OSC}录第一行",))
        raw.execute("UPDATE sentences SET text = text || ? WHERE label = 'D01-S001'", (TEXT_C1,))


@run_async
async def _written(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    sent: list[str] = []
    app = QcoderApp(open_project(str(path)), "小王", live=False)

    def terminal(self: App[Any], screen: Any, renderable: Any) -> None:
        if isinstance(renderable, CompositorUpdate):
            sent.append(renderable.render_segments(self.console))

    monkeypatch.setattr(App, "_display", terminal)
    async with app.run_test(size=(120, 32)) as pilot:
        await pilot.pause()
        await pilot.press("o")  # others' codes: 老李's chip names the code and the coder
        await pilot.pause()
        shown = screen_text(app)
        await pilot.press("w")  # every memo: the coder and the memo's first line
        await pilot.pause()
        assert isinstance(app.screen, MemoBrowserScreen)
        shown += screen_text(app)
        await pilot.press("escape", "q")
    app.close_project()
    return "".join(sent), shown


def test_control_characters_in_a_project_are_never_sent_to_the_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.qcoder"
    build_project(path).close()
    _plant(path)
    written, shown = _written(path, monkeypatch)
    # each planted string was on screen (so the test looked at it) …
    assert "pwned" in shown and "ZXZpbA==" in shown and "老" in shown and "李" in shown and "2J" in shown
    # … and none reached the terminal as a control sequence; their placeholders did
    assert CODE_OSC not in written and "\x1b]0;" not in written and "\x1b]52;" not in written
    assert "\x07" not in written and "\u009b" not in written
    assert CODER_CSI not in written
    assert "新␛]0;pwned" in written  # the code name (Rich drops the BEL itself)
    assert "备忘␛]52;c;ZXZpbA==" in written  # the memo
    assert "老␛[2J李" in written  # the coder
    assert "\ufffd2J" in written  # the statement's C1 character


def _count_codings(url: str) -> int:
    with open_project(url) as project, project.session() as session:
        return session.scalar(select(func.count()).select_from(Coding)) or 0


@run_async
async def _toggle_a_code_merged_meanwhile(url: str) -> None:
    app = QcoderApp(open_project(url), "小王", live=False)
    async with app.run_test(size=(110, 30)) as pilot:
        await pilot.pause()
        await pilot.press("enter", *"rzzc", "enter")  # 融资支持 on D01-S001: recent key 1
        source = next(c.id for c in app.catalog.codes.values() if c.name == "融资支持")
        with open_project(url) as elsewhere:  # 研究者B merges it into 新基建 meanwhile
            theirs = Workbench(elsewhere, "研究者B")
            target = next(c.id for c in theirs.codes() if c.name == "新基建")
            theirs.merge_codes(source, target)
        shown = len(messages(app))
        await pilot.press("down", "1")  # toggle the merged code on D01-S002
        await pilot.pause()
        said = messages(app)[shown:]
        assert said, "the refusal is said"
        # the engine finds the code gone before the database's foreign key would refuse it, and names it,
        # what became of it and who did it (from the event log)
        assert any("'融资支持' was merged into '新基建' by 研究者B" in m for m in said), said
        assert all("\n" not in m and "FOREIGN KEY" not in m and "IntegrityError" not in m for m in said)
        assert source not in app.catalog.codes  # refreshed: the merged code is gone from the screen
        screen = screen_text(app)
        assert "[融资支持]" not in screen and not re.search(r"融资支持 \d+/\d+", screen)  # no chip, not in the tree
        assert re.search(r"新基建 1/1", screen)  # the code it went into carries the coding
        view = app.coding.view
        assert target in view.mine(view.statements[0].id)  # S001's coding was moved to 新基建, as shown
        assert not view.mine(view.statements[1].id)
        await pilot.press("q")
    app.close_project()


def test_a_toggle_of_a_code_merged_meanwhile_is_refused_in_a_sentence(db_url: str) -> None:
    build_project(db_url).close()  # type: ignore[arg-type]
    before = _count_codings(db_url)
    _toggle_a_code_merged_meanwhile(db_url)
    assert _count_codings(db_url) == before + 1  # 小王's first coding only (now under 新基建); nothing else
    with open_project(db_url) as project, project.session() as session:
        assert session.scalar(select(Code.id).where(Code.name == "融资支持")) is None
        s002 = session.scalar(select(Sentence.id).where(Sentence.label == "D01-S002"))
        assert session.scalar(select(func.count()).select_from(Coding).where(Coding.sentence_id == s002)) == 0
