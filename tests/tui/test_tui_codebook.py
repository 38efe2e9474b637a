"""Codebook-screen flows (axial and selective coding), asserting on the database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from tui_factory import build_project, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding, Memo, Relation
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.codebook import CodebookScreen
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.widgets.code_tree import CodeTree
from qcoder.tui.widgets.document_view import DocumentView

SIZE = (100, 30)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    return path


def codes(path: Path) -> dict[str, Code]:
    with open_project(str(path)) as project, project.session() as session:
        return {code.name: code for code in session.scalars(select(Code))}


async def open_codebook(pilot, app: QcoderApp, code_name: str) -> CodeTree:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("b")
    await pilot.pause()
    assert isinstance(app.screen, CodebookScreen)
    tree = app.screen.query_one(CodeTree)
    tree.select_code(next(cid for cid, c in app.catalog.codes.items() if c.name == code_name))
    await pilot.pause()
    return tree


@run_async
async def test_merge_moves_codings_and_keeps_memos(db_path: Path) -> None:
    with open_project(str(db_path)) as project:
        bench = Workbench(project, "小王")
        ids = {c.name: c.id for c in bench.codes()}
        bench.code_statements([bench.statements(1)[1].id], ids["新基建"])
        bench.add_memo("新基建的备忘", type_="code", target="code", target_id=ids["新基建"])
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "新基建")
        await pilot.press("g", *"融资", "enter")
        await pilot.pause()
        assert "1 codings move" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
    after = codes(db_path)
    assert "新基建" not in after
    with open_project(str(db_path)) as project, project.session() as session:
        target = after["融资支持"].id
        assert session.scalar(select(Coding.code_id).where(Coding.sentence_id == 2)) == target
        assert session.scalar(select(Memo.code_id).where(Memo.text == "新基建的备忘")) == target


@run_async
async def test_relation_add_edit_remove(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "政策支持")
        await pilot.press("t", *"人才", "enter")  # target
        await pilot.pause()
        await pilot.press("enter")  # first type: causal
        await pilot.press(*"人才政策推动", "enter")  # note
        await pilot.pause()
        assert "政策支持 —causal→ 人才" in screen_text(app)
        with open_project(str(db_path)) as project, project.session() as session:
            relation = session.scalar(select(Relation))
            assert relation is not None and relation.type == "causal" and relation.note == "人才政策推动"
        await pilot.press("E", "down", "enter", "ctrl+s")  # second type: similarity, note unchanged
        await pilot.pause()
        with open_project(str(db_path)) as project, project.session() as session:
            assert session.scalar(select(Relation.type)) == "similarity"
        await pilot.press("M", *"关系备忘", "ctrl+s", "escape")  # memo on the relation
        await pilot.pause()
        with open_project(str(db_path)) as project, project.session() as session:
            assert session.scalar(select(Memo.relation_id).where(Memo.text == "关系备忘")) is not None
        await pilot.press("X", "y")
        await pilot.pause()
    with open_project(str(db_path)) as project, project.session() as session:
        assert session.scalar(select(Relation)) is None


@run_async
async def test_move_offers_only_higher_levels(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "政策支持")
        await pilot.press("p", *"创新联合体")  # a concept cannot be the parent of a main category
        await pilot.pause()
        assert app.screen.matches == []  # not offered (the engine would refuse it too)
        await pilot.press("escape")
        await pilot.pause()
        assert codes(db_path)["政策支持"].parent_id is None
        # a valid move: 新基建 (概念) under 政策支持 (主范畴)
        app.screen.query_one(CodeTree).select_code(app.catalog.codes and codes(db_path)["新基建"].id)
        await pilot.pause()
        await pilot.press("p", *"政策", "enter")
        await pilot.pause()
    after = codes(db_path)
    assert after["新基建"].parent_id == after["政策支持"].id


@run_async
async def test_rename_definition_colour(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "融资支持")
        await pilot.press("e", "ctrl+a", "ctrl+k", *"金融支持", "enter")
        await pilot.pause()
        await pilot.press("d", *"资金来源", "ctrl+s")
        await pilot.pause()
        await pilot.press("C", *"#2e86ab", "enter")
        await pilot.pause()
        assert "金融支持" in screen_text(app) and "资金来源" in screen_text(app)
    code = codes(db_path)["金融支持"]
    assert code.definition == "资金来源" and code.colour == "#2E86AB"


@run_async
async def test_delete_confirmation_states_codings(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "创新联合体")
        await pilot.press("D")
        await pilot.pause()
        assert "removes 1 codings" in screen_text(app)
        await pilot.press("n")  # no: nothing happens
        await pilot.pause()
        assert "创新联合体" in codes(db_path)
        await pilot.press("D", "y")
        await pilot.pause()
    assert "创新联合体" not in codes(db_path)


@run_async
async def test_split_moves_ticked_statements(db_path: Path) -> None:
    with open_project(str(db_path)) as project:
        bench = Workbench(project, "小王")
        ids = {c.name: c.id for c in bench.codes()}
        rows = bench.statements(1)
        bench.code_statements([rows[1].id, rows[2].id], ids["新基建"])
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "新基建")
        await pilot.press("s", *"新基建政策", "enter")  # name, then the list gets focus
        await pilot.press("down", "space", "ctrl+s")  # tick the second statement
        await pilot.pause()
    with open_project(str(db_path)) as project, project.session() as session:
        new_id = session.scalar(select(Code.id).where(Code.name == "新基建政策"))
        assert set(session.scalars(select(Coding.sentence_id).where(Coding.code_id == new_id))) == {rows[2].id}


@run_async
async def test_core_category_and_storyline(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "政策支持")
        await pilot.press("K", *"创新生态", "enter")  # no top-level code yet: created on the spot
        await pilot.pause()
        await pilot.press("S", *"政策与创新生态互动", "ctrl+s")
        await pilot.pause()
        text = screen_text(app)
        assert "core category: 创新生态" in text and "政策与创新生态互动" in text
    core = codes(db_path)["创新生态"]
    assert core.level == 3
    with open_project(str(db_path)) as project, project.session() as session:
        memo = session.scalar(select(Memo).where(Memo.type == "storyline"))
        assert memo is not None and memo.code_id == core.id and memo.text == "政策与创新生态互动"


@run_async
async def test_comparison_from_codebook_returns_to_coding_screen(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "创新联合体")
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)
        assert app.screen.query_one(DocumentView).current.label == "D01-S007"


@run_async
async def test_new_code_and_code_memo(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王")
    async with app.run_test(size=SIZE) as pilot:
        await open_codebook(pilot, app, "政策支持")
        await pilot.press("a", *"产业升级", "enter", "down", "enter")  # level 1 初始范畴
        await pilot.pause()
        await pilot.press("m", *"升级路径", "ctrl+s", "escape")
        await pilot.pause()
    code = codes(db_path)["产业升级"]
    assert code.level == 1
    with open_project(str(db_path)) as project, project.session() as session:
        memo = session.scalar(select(Memo).where(Memo.code_id == code.id))
        assert memo is not None and memo.type == "code" and memo.text == "升级路径"
