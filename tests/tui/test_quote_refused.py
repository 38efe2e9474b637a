"""The workbench re-quoting a coding that was removed from another place a moment ago (issue 15).

The coding screen passes the span it shows (``code_quote(expected=…)``): the quote is refused in one
line and the coding is not added back; the screen is re-read so the researcher sees it is gone.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from test_quote_keys import SIZE, db_path, quotes, view  # noqa: F401 — db_path is the fixture
from tui_factory import messages, run_async

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Code, Sentence
from qcoder.tui.app import QcoderApp


@run_async
async def test_requoting_a_coding_removed_elsewhere_is_refused_and_not_added_back(db_path: Path) -> None:  # noqa: F811
    before = quotes(db_path)
    assert before[("D01-S007", "创新联合体")] == (None, None)  # 小王's whole-statement coding
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*"jjjjjj", "e", "right", "right", "right", "right")  # 创新联合体 in D01-S007
        await pilot.pause()
        assert view(app).selected_words() is not None
        with open_project(str(db_path)) as elsewhere:  # 小王's script removes the coding meanwhile
            sid, code_id = elsewhere.run(
                lambda s: (
                    s.scalar(select(Sentence.id).where(Sentence.label == "D01-S007")),
                    s.scalar(select(Code.id).where(Code.name == "创新联合体")),
                )
            )
            assert Workbench(elsewhere, "小王").uncode_statements([sid], code_id) == [sid]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press(*"创新联合体", "enter")
        await pilot.pause()
        assert ("D01-S007", "创新联合体") not in quotes(db_path)  # not added back
        refused = [str(m) for m in messages(app) if "no longer carries '创新联合体'" in str(m)]
        assert len(refused) == 1 and "\n" not in refused[0], messages(app)
    app.close_project()
