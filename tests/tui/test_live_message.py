"""Live refresh reaches the screen as a message, which the screen shows only if nothing happened since.

A re-read made before the researcher's own action must not be drawn over it (it could take
back the chip just added); the mark of what was seen moves only once a screen has shown
the changes, so the next check reads them again.
"""

from __future__ import annotations

from pathlib import Path

from tui_factory import build_project, run_async

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp
from qcoder.tui.live import OthersChanged, read_coding_state

SIZE = (100, 30)


@run_async
async def test_a_reread_from_before_an_action_waits_for_the_next_check(tmp_path: Path) -> None:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    app = QcoderApp(open_project(str(path)), "小王", live_interval=3600)  # no check of its own meanwhile
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        coding = app.coding
        assert coding is not None
        with open_project(str(path)) as project:  # a colleague codes D01-S002
            colleague = Workbench(project, "小李")
            colleague.code_statements([colleague.statements(1)[1].id], colleague.codes()[0].id)
        bench = app.workbench
        seen = app.live.seen
        newest, changed = bench.others_changed(seen)  # type: ignore[union-attr]
        state = read_coding_state(bench, coding.document_id, all_coders=True)  # type: ignore[arg-type]
        assert changed and state.codings
        shown: list[object] = []
        coding.show_state = shown.append  # type: ignore[method-assign]

        before = app.action_count
        await pilot.press("r")  # the researcher acts (a re-read through attempt) after the check began
        await pilot.pause()
        assert app.action_count > before
        coding.post_message(OthersChanged(app.live, seen, newest, state, before))
        await pilot.pause()
        assert shown == [] and app.live.seen is seen  # not drawn, and read again next time

        coding.post_message(OthersChanged(app.live, seen, newest, state, app.action_count))
        await pilot.pause()
        assert shown == [state] and app.live.seen is newest

        coding.post_message(OthersChanged(app.live, seen, newest, state, app.action_count))  # a stale duplicate
        await pilot.pause()
        assert shown == [state]
    app.project.close()
