"""The reports screen driven headless: the chain, tree, paper tables, saturation plot, export.

Project: two documents; category 创新主体 (初始范畴) over the concepts 企业牵头 and 高校参与;
小王 codes three statements, 小李 one of them as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docx import Document as WordDocument
from textual.widgets import DataTable, Select
from tui_factory import DOC_ONE, DOC_TWO, add_document, messages, run_async, screen_text

from qcoder.coding.workbench import Workbench
from qcoder.store.database import open_project
from qcoder.tui.app import QcoderApp
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.help import HelpScreen
from qcoder.tui.screens.report_export import ExportDialog, ExportRequest, check_request, default_path
from qcoder.tui.screens.reports import ReportsScreen
from qcoder.tui.widgets.report_views import SaturationPlot

SIZE = (100, 30)


def build_small(path: Path) -> None:
    with open_project(str(path)) as project:
        add_document(project, DOC_ONE, "黑龙江新基建")
        add_document(project, DOC_TWO, "访谈A")
        bench = Workbench(project, "小王")
        category = bench.create_code("创新主体", 1, definition="企业与高校共同构成的创新主体")
        lead = bench.create_code("企业牵头", 0, parent_id=category.id)
        join = bench.create_code("高校参与", 0, parent_id=category.id)
        one, two = bench.statements(1), bench.statements(2)
        bench.code_statements([one[5].id, one[6].id], lead.id)
        bench.code_statements([two[1].id], join.id)
        Workbench(project, "小李").code_statements([one[6].id], join.id)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "reports.qcoder.db"
    build_small(path)
    return path


async def open_reports(app: QcoderApp, pilot) -> ReportsScreen:  # type: ignore[no-untyped-def]
    await pilot.pause()
    await pilot.press("R")
    await pilot.pause()
    assert isinstance(app.screen, ReportsScreen)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.screen


@run_async
async def test_reports_show_chain_tree_tables_and_saturation(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False, language="zh")  # the report in Chinese
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot)
        text = screen_text(app)
        assert "3 条原始语句 → 2 个概念 → 1 个初始范畴 → 0 个主范畴 → 0 个核心范畴" in text
        assert "创新主体  初始范畴  语句数 3 · 文档数 2 · 编码者 小王、小李" in text
        assert "高校参与  概念  语句数 2 · 文档数 2" in text

        await pilot.press("2")  # paper tables
        await pilot.pause()
        text = screen_text(app)
        assert "初始范畴及其概念" in text and "企业牵头、高校参与" in text and "范畴关系" in text
        grids = list(screen.query(".report-table").results(DataTable))
        first = grids[0]
        assert [str(column.label) for column in first.columns.values()] == ["初始范畴", "概念", "典型原始语句"]
        assert str(first.get_row_at(0)[2]).startswith("“企业通过“揭榜挂帅”机制")

        await pilot.press("3")  # frequencies: per coder columns
        await pilot.pause()
        text = screen_text(app)
        assert "小王" in text and "小李" in text and "高校参与" in text

        await pilot.press("4")  # saturation
        await pilot.pause()
        text = screen_text(app)
        assert "累计 2 个概念，2 份文档" in text
        assert "饱和度检验：没有留存文档" in text
        assert "# 新增概念" in text and "*" in text

        await pilot.press("5")
        await pilot.pause()
        assert "警告（2）" in screen_text(app)
        assert "层级“主范畴”没有编码" in screen_text(app)

        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CodingScreen)


@run_async
async def test_saturation_plot_is_replotted_when_resized(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(app, pilot)
        await pilot.press("4")
        await pilot.pause()
        plot = screen.query_one(SaturationPlot)
        tall = plot.plot_lines()
        await pilot.resize_terminal(80, 20)
        await pilot.pause()
        short = plot.plot_lines()
        assert len(short) < len(tall)
        assert all(len(line) <= plot.content_region.width for line in short)


@run_async
async def test_export_dialog_writes_a_word_table(db_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "论文表格.docx"
    app = QcoderApp(open_project(str(db_path)), "小王", live=False, language="zh")  # the report in Chinese
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(app, pilot)
        await pilot.press("2", "e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        path = dialog.query_one("#export-path")
        assert path.value == "qcoder-tables.docx"  # type: ignore[attr-defined]
        path.value = str(target)  # type: ignore[attr-defined]
        await pilot.press("enter")
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ReportsScreen)
        assert any(m.startswith(f"已写入 {target}") for m in messages(app))
    word = WordDocument(str(target))
    first = word.tables[0]
    assert [cell.text for cell in first.rows[0].cells] == ["初始范畴", "概念", "典型原始语句"]
    assert first.rows[1].cells[0].text == "创新主体"


@run_async
async def test_export_follows_kind_and_format_choices(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(app, pilot)
        await pilot.press("4", "e")  # from the saturation tab
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        kind, fmt = dialog.query_one("#export-kind", Select), dialog.query_one("#export-format", Select)
        assert kind.value == "saturation" and dialog.query_one("#export-path").value == "qcoder-saturation.docx"  # type: ignore[attr-defined]
        fmt.value = "svg"
        await pilot.pause()
        assert dialog.query_one("#export-path").value == "qcoder-saturation.svg"  # type: ignore[attr-defined]
        kind.value = "diagram"  # svg is not a diagram format: mermaid instead
        await pilot.pause()
        assert fmt.value == "mermaid" and dialog.query_one("#export-path").value == "qcoder-diagram.mmd"  # type: ignore[attr-defined]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReportsScreen)


def test_export_request_checks_the_file_name(tmp_path: Path) -> None:
    assert check_request("tables", "xlsx", "表格", tmp_path) == ExportRequest("tables", "xlsx", tmp_path / "表格.xlsx")
    assert (
        check_request("tables", "docx", "out.xlsx", tmp_path)
        == "out.xlsx is a .xlsx file but the format is docx: change one of them"
    )
    assert check_request("tables", "docx", "  ", tmp_path) == "give a file name"
    assert check_request("diagram", "mermaid", str(tmp_path / "d.mmd"), Path("/elsewhere")).path == tmp_path / "d.mmd"  # type: ignore[union-attr]
    assert default_path("hierarchy", "text") == "qcoder-hierarchy.txt"


@run_async
async def test_reports_key_is_in_help_and_palette_of_both_main_screens(db_path: Path) -> None:
    app = QcoderApp(open_project(str(db_path)), "小王", live=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for screen in (app.screen, None):
            if screen is None:
                await pilot.press("b")
                await pilot.pause()
            titles = [command.title for command in app.get_system_commands(app.screen)]
            assert "Reports" in titles and "Agreement / reconcile" in titles and "Live refresh on/off" in titles
            await pilot.press("question_mark")
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            keys = {entry.description: entry.keys for entry in app.screen.entries}
            assert (
                keys["Reports"] == "R f4"
                and keys["Agreement / reconcile"] == "A"
                and keys["Live refresh on/off"] == "L"
            )
            await pilot.press("escape")
            await pilot.pause()
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Export…" in titles and "Import / merge…" in titles
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, ReportsScreen)
        await app.workers.wait_for_complete()
