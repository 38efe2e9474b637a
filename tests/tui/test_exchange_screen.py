"""Exchange from the codebook screen (ctrl+e export, ctrl+o import / merge), asserting on files and the database.

Imports and merges must show their plan first and change nothing unless confirmed.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import func, select
from textual.widgets import DataTable
from tui_factory import add_document, build_project, messages, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.exchange.merge import apply_merge
from qcoder.exchange.qdpx_export import write_project
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coder, Coding, Document
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.codebook import CodebookScreen
from qcoder.tui.screens.exchange import ConfirmPlanScreen, LinesScreen, MergePlanScreen

SIZE = (100, 30)
CODEBOOK_XSD = Path(__file__).resolve().parents[1] / "data" / "refi" / "Codebook.xsd"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "project.qcoder.db"
    build_project(path).close()
    return path


def codes(path: Path) -> dict[str, tuple[int, str, str | None]]:
    """name → (level, definition, parent name)."""
    with open_project(str(path)) as project, project.session() as session:
        return {
            c.name: (c.level, c.definition, c.parent.name if c.parent else None) for c in session.scalars(select(Code))
        }


def count(path: Path, model: type) -> int:
    with open_project(str(path)) as project, project.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def settle(app: QcoderApp, pilot) -> None:  # type: ignore[no-untyped-def]
    """Let dialogs open, workers finish and their callbacks push the next dialog."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


async def on_codebook(app: QcoderApp, pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("b")
    await pilot.pause()
    assert isinstance(app.screen, CodebookScreen)


async def menu(app: QcoderApp, pilot, key: str, downs: int, path: str) -> None:  # type: ignore[no-untyped-def]
    """Open a menu (ctrl+e / ctrl+o), pick its entry, give the path."""
    await pilot.press(key, *["down"] * downs, "enter")
    await pilot.pause()
    app.screen.query_one("#prompt-input").value = path  # type: ignore[attr-defined]
    await pilot.press("enter")
    await settle(app, pilot)


@run_async
async def test_export_codebook_qdc_is_schema_valid(db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "codebook.qdc"
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await pilot.press("ctrl+e", "enter")
        await pilot.pause()
        assert app.screen.query_one("#prompt-input").value == "qcoder-codebook.qdc"  # type: ignore[attr-defined]
        app.screen.query_one("#prompt-input").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CodebookScreen)
        assert f"wrote 5 codes to {target}" in messages(app)
    schema = etree.XMLSchema(etree.parse(str(CODEBOOK_XSD)))
    document = etree.parse(str(target))
    assert schema.validate(document), schema.error_log
    names = {element.get("name") for element in document.iter("{urn:QDA-XML:codebook:1.0}Code")}
    assert names == {"政策支持", "人才", "创新联合体", "新基建", "融资支持"}


@run_async
async def test_export_project_qdpx_and_bad_suffix(db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "project.qdpx"
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await menu(app, pilot, "ctrl+e", 0, str(tmp_path / "codebook.docx"))
        assert any("a codebook file ends in .qdc" in m for m in messages(app))
        assert not (tmp_path / "codebook.docx").exists()
        await menu(app, pilot, "ctrl+e", 1, str(target))
        assert any(m.startswith(f"wrote {target}: 2 documents, 5 codes") for m in messages(app))
    with zipfile.ZipFile(target) as archive:
        assert "project.qde" in archive.namelist()


@run_async
async def test_export_project_for_nvivo_counts_utf16_units(db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "nvivo.qdpx"
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await pilot.press("ctrl+e", "down", "down", "enter")
        await pilot.pause()
        assert app.screen.query_one("#prompt-input").value == "qcoder-project-nvivo.qdpx"  # type: ignore[attr-defined]
        app.screen.query_one("#prompt-input").value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(app, pilot)
        assert any(m.startswith(f"wrote {target}: ") and "positions in UTF-16 code units" in m for m in messages(app))
    with zipfile.ZipFile(target) as archive:
        assert '"positions": "utf16"' in archive.read("qcoder/project.json").decode()


def codebook_csv(path: Path) -> str:
    """新基建 updated, 融资支持 renamed (same GUID), 数字政府 new, 云计算 conflicting, 人才 the same."""
    with open_project(str(path)) as project, project.session() as session:
        guid = session.scalar(select(Code.guid).where(Code.name == "融资支持"))
    return f"""name,level,parent,definition,guid
新基建,概念,,以5G、数据中心为代表的新型基础设施,
融资保障,概念,,,{guid}
人才,初始范畴,政策支持,,
数字政府,概念,政策支持,,
云计算,概念,融资支持,,
"""


@run_async
async def test_import_codebook_shows_plan_cancel_changes_nothing_confirm_applies(db_path: Path, tmp_path: Path) -> None:
    source = tmp_path / "codes.csv"
    source.write_text(codebook_csv(db_path), encoding="utf-8")
    before = codes(db_path)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await menu(app, pilot, "ctrl+o", 0, str(source))
        plan = app.screen
        assert isinstance(plan, ConfirmPlanScreen)
        text = screen_text(app)
        assert "plan: 1 new, 1 same, 1 renamed, 1 updated, 1 conflicting" in text
        rows = {str(r[1]): (str(r[0]), str(r[3])) for r in map(plan.query_one(DataTable).get_row_at, range(5))}
        assert rows["数字政府"] == ("new", "") and rows["人才"] == ("same", "")
        assert rows["新基建"] == ("updated", "changes definition")
        assert rows["融资保障"] == ("renamed", "'融资支持' → '融资保障'")
        assert rows["云计算"] == ("conflicting", "its parent '融资支持' is at level 0, not above 0")
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, CodebookScreen)
        assert codes(db_path) == before

        await menu(app, pilot, "ctrl+o", 0, str(source))
        assert isinstance(app.screen, ConfirmPlanScreen)
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, CodebookScreen)
        assert any(m.startswith("imported codes.csv") and "(conflicting codes skipped)" in m for m in messages(app))
        assert "数字政府" in screen_text(app)  # the codebook screen re-read the project
    after = codes(db_path)
    assert after["数字政府"] == (0, "", "政策支持")
    assert after["新基建"][1] == "以5G、数据中心为代表的新型基础设施"
    assert "融资保障" in after and "融资支持" not in after
    assert "云计算" not in after


@run_async
async def test_import_codebook_error_is_one_line_and_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    before = codes(db_path)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await menu(app, pilot, "ctrl+o", 0, str(tmp_path / "missing.csv"))
        assert isinstance(app.screen, CodebookScreen)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and "missing.csv" in errors[0].message and "\n" not in errors[0].message
    assert codes(db_path) == before


def other_project(path: Path) -> Path:
    """A colleague's project with its own document, code and coder, exported as .qdpx."""
    db, qdpx = path / "other.qcoder.db", path / "other.qdpx"
    with open_project(str(db)) as project:
        add_document(project, ["新的访谈语句一。", "企业希望获得更多融资渠道。"], "访谈B")
        bench = Workbench(project, "小张")
        code = bench.create_code("融资渠道", 0)
        bench.code_statements([bench.statements(1)[1].id], code.id)
        with project.session() as session:
            write_project(session, qdpx, name="other")
    return qdpx


@run_async
async def test_import_project_previews_then_imports_and_reports(db_path: Path, tmp_path: Path) -> None:
    qdpx = other_project(tmp_path)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await menu(app, pilot, "ctrl+o", 1, str(qdpx))
        assert isinstance(app.screen, ConfirmPlanScreen)
        assert "1 new documents (0 already here)" in screen_text(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert count(db_path, Document) == 2 and "融资渠道" not in codes(db_path)

        await menu(app, pilot, "ctrl+o", 1, str(qdpx))
        await pilot.press("y")
        await settle(app, pilot)
        assert isinstance(app.screen, LinesScreen)
        assert "1 codings from 1 selections" in screen_text(app)
        await pilot.press("escape")
        await pilot.press("b")  # back to the coding screen: the new document is listed
        await pilot.pause()
        assert "D03" in screen_text(app)
    assert count(db_path, Document) == 3 and codes(db_path)["融资渠道"][0] == 0
    with open_project(str(db_path)) as project, project.session() as session:
        assert session.scalar(select(Coder.id).where(Coder.name == "小张")) is not None


def conflicting_copy(ours_path: Path, tmp_path: Path) -> Path:
    """A copy of the project where 新基建 got another definition and 小李 coded a statement."""
    theirs_path = tmp_path / "theirs.qcoder.db"
    with open_project(str(ours_path)) as ours, open_project(str(theirs_path)) as theirs:
        apply_merge(theirs, ours)
    with open_project(str(ours_path)) as project:
        bench = Workbench(project, "小王")
        code = next(c for c in bench.codes() if c.name == "新基建")
        bench.update_code(code.id, definition="我们的定义")
    with open_project(str(theirs_path)) as project:
        bench = Workbench(project, "小李")
        code = next(c for c in bench.codes() if c.name == "新基建")
        bench.update_code(code.id, definition="他们的定义")
        bench.code_statements([bench.statements(1)[2].id], code.id)
    return theirs_path


@run_async
async def test_merge_shows_conflicts_and_applies_theirs(db_path: Path, tmp_path: Path) -> None:
    theirs = conflicting_copy(db_path, tmp_path)
    codings_before = count(db_path, Coding)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await menu(app, pilot, "ctrl+o", 2, str(theirs))
        plan = app.screen
        assert isinstance(plan, MergePlanScreen)
        text = screen_text(app)
        assert "1 new codings" in text and "1 conflict(s)" in text
        assert "definition: 我们的定义" in text and "definition: 他们的定义" in text
        await pilot.press("y")  # a conflict without a choice: refused, still open
        await pilot.pause()
        assert app.screen is plan and any("still need a choice" in m for m in messages(app))
        assert count(db_path, Coding) == codings_before
        await pilot.press("T", "y")
        await settle(app, pilot)
        assert isinstance(app.screen, CodebookScreen)
        assert any(m.startswith("merged — from") for m in messages(app))
    assert codes(db_path)["新基建"][1] == "他们的定义"
    assert count(db_path, Coding) == codings_before + 1


@run_async
async def test_merge_cancel_changes_nothing(db_path: Path, tmp_path: Path) -> None:
    theirs = conflicting_copy(db_path, tmp_path)
    before = codes(db_path), count(db_path, Coding)
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await on_codebook(app, pilot)
        await menu(app, pilot, "ctrl+o", 2, str(theirs))
        assert isinstance(app.screen, MergePlanScreen)
        await pilot.press("t", "escape")
        await settle(app, pilot)
        assert isinstance(app.screen, CodebookScreen)
    assert (codes(db_path), count(db_path, Coding)) == before
