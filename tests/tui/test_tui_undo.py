"""Undo in the workbench, as issue 12 found it: press keys, assert on the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tui_factory import build_project, messages, run_async

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Memo, Relation
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.codebook import CodebookScreen
from qcoder.tui.widgets.code_tree import CodeTree

SIZE = (110, 32)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    return path


def state(path: Path) -> dict[str, object]:
    with open_project(str(path)) as project, project.session() as s:
        return {
            "codes": sorted(s.execute(select(Code.id, Code.guid, Code.name, Code.level, Code.parent_id)).all()),
            "codings": sorted(s.execute(select(Coding.sentence_id, Coding.code_id, Coding.coder_id)).all()),
            "relations": sorted(
                s.execute(select(Relation.id, Relation.source_id, Relation.target_id, Relation.type)).all()
            ),
            "memos": sorted(s.execute(select(Memo.id, Memo.text, Memo.code_id)).all()),
        }


def code_id(app: QcoderApp, name: str) -> int:
    return next(cid for cid, code in app.catalog.codes.items() if code.name == name)


@run_async
async def test_picker_codebook_relation_memo_then_undo_each_in_reverse_order(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    states = [state(db_path)]
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("j", "enter", *"揭榜挂帅", "enter")  # a new concept on D01-S002, from the picker
        await pilot.pause()
        states.append(state(db_path))
        await pilot.press("b")
        await pilot.pause()
        assert isinstance(app.screen, CodebookScreen)
        await pilot.press("a", *"创新机制", "enter")  # a new category…
        await pilot.pause()
        await pilot.press("down", "enter")  # …at level 1
        await pilot.pause()
        states.append(state(db_path))
        tree = app.screen.query_one(CodeTree)
        tree.select_code(code_id(app, "揭榜挂帅"))
        await pilot.pause()
        await pilot.press("p", *"创新机制", "enter")  # move the concept under it
        await pilot.pause()
        states.append(state(db_path))
        tree.select_code(code_id(app, "创新机制"))
        await pilot.pause()
        await pilot.press("t", *"人才", "enter")  # a causal relation to 人才
        await pilot.pause()
        await pilot.press("enter")
        await pilot.press(*"机制吸引人才", "enter")
        await pilot.pause()
        states.append(state(db_path))
        await pilot.press("m")  # a memo on the category
        await pilot.pause()
        await pilot.press(*"机制的备忘", "ctrl+s", "escape")
        await pilot.pause()
        states.append(state(db_path))
        assert len({repr(s) for s in states}) == 6, "every step changed the project"

        for expected in reversed(states[:-1]):  # u, u, u, u, u: each step, newest first
            await pilot.press("u")
            await pilot.pause()
            assert state(db_path) == expected
        await pilot.press("u")
        await pilot.pause()
        assert "nothing to undo" in messages(app)
        for expected in states[1:]:
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert state(db_path) == expected  # same ids and GUIDs: the relation and memo came back


@run_async
async def test_undo_refuses_to_remove_a_colleagues_work_and_says_whose(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter", *"数字政府", "enter")  # 小王 creates a code on the spot
        await pilot.pause()
        with open_project(str(db_path)) as project:
            colleague = Workbench(project, "小李")
            new = next(c for c in colleague.codes() if c.name == "数字政府")
            statements = [row.id for row in colleague.statements(1)] + [row.id for row in colleague.statements(2)]
            colleague.code_statements(statements[:10], new.id)
            colleague.add_memo("小李的想法", type_="code", target="code", target_id=new.id)
        before = state(db_path)
        await pilot.press("u")
        await pilot.pause()
        refusal = messages(app)[-1]
        assert "小李 has 10 codings" in refusal and "小李 wrote 1 memo" in refusal
        assert state(db_path) == before


@run_async
async def test_a_stale_memo_save_is_refused_and_the_typed_text_stays(db_path: Path) -> None:
    """Issue 12: B's editor was opened before A's save; B's save must not overwrite A's text."""
    from textual.widgets import TextArea

    with open_project(str(db_path)) as project:
        memo_id = Workbench(project, "小王").add_memo("第一稿", target="document", target_id=1)
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("M")  # the document memo, opened on 小王's first draft
        await pilot.pause()
        with open_project(str(db_path)) as project:  # 小李 saves while 小王's editor is open
            Workbench(project, "小李").update_memo(memo_id, text="小李的第二稿")
        await pilot.press("end", *"小王补充", "ctrl+s")
        await pilot.pause()
        assert "changed by 小李" in messages(app)[-1]
        assert app.screen.query_one(TextArea).text == "第一稿小王补充"  # nothing typed is lost
    with open_project(str(db_path)) as project, project.session() as session:
        memo = session.get(Memo, memo_id)
        assert memo is not None and memo.text == "小李的第二稿"
