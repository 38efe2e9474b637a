"""The reports screen: what the paper will print, read from the project as it is now.

Tabs: the count chain and the code tree with counts (statements, documents, coders per
code, rolled up), the paper tables (categories, main categories, relations, storyline),
code frequencies, the saturation curve with the held-out verdict, and hierarchy warnings.
Everything is computed in one thread worker (0.1–1 s on a big project) behind a loading
indicator; ``e`` exports any report in any valid format, also in a worker.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Label, Static, TabbedContent, TabPane, Tree

from qcoder.analysis.report import write_report
from qcoder.coding.workbench import Workbench
from qcoder.i18n import N_, _, language
from qcoder.store.errors import one_line
from qcoder.tui.report_data import ReportData, load_report_data
from qcoder.tui.screens.dialogs import ConfirmScreen
from qcoder.tui.screens.report_export import ExportDialog, ExportRequest
from qcoder.tui.screens.task import TaskScreen
from qcoder.tui.translate import TranslatedBindings
from qcoder.tui.widgets.report_views import SaturationPlot, fill_table, fill_tree

TABS = ("hierarchy", "tables", "frequencies", "saturation", "warnings")
TAB_NAMES = {
    "hierarchy": N_("Hierarchy"),
    "tables": N_("Paper tables"),
    "frequencies": N_("Frequencies"),
    "saturation": N_("Saturation"),
    "warnings": N_("Warnings"),
}
EXPORT_KIND = {"warnings": "hierarchy"}  # the report a tab's export defaults to, when not its own name
VERDICT_STYLE = {"saturated": "bold green", "new-concepts": "bold yellow"}


class ReportsScreen(TranslatedBindings, Screen[None]):
    BINDINGS = [
        Binding("e", "export", N_("Export…")),
        Binding("r,f5", "reload", N_("Recompute")),
        *[Binding(str(n), f"tab('{tab}')", TAB_NAMES[tab], show=False) for n, tab in enumerate(TABS, start=1)],
        Binding("escape,R,f4", "close", N_("Back")),
    ]

    def __init__(self, workbench: Workbench) -> None:
        super().__init__()
        self.workbench = workbench
        self.data: ReportData | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label(_("computing reports …"), id="report-chain")
        with TabbedContent(id="report-tabs", initial="tab-hierarchy"):
            with TabPane(_(TAB_NAMES["hierarchy"]), id="tab-hierarchy"):
                yield Tree[int](_("codes"), id="report-tree")
            with TabPane(_(TAB_NAMES["tables"]), id="tab-tables"):
                yield VerticalScroll(id="report-tables")
            with TabPane(_(TAB_NAMES["frequencies"]), id="tab-frequencies"):
                yield DataTable[Text](id="report-frequencies", zebra_stripes=True)
            with TabPane(_(TAB_NAMES["saturation"]), id="tab-saturation"):
                yield SaturationPlot(id="report-plot")
                yield Static("", id="report-verdict")
            with TabPane(_(TAB_NAMES["warnings"]), id="tab-warnings"), VerticalScroll():
                yield Static("", id="report-warnings")
        yield Footer(show_command_palette=False)  # docked over the keys it would hide some; ? lists ctrl+p

    def on_mount(self) -> None:
        self.title = _("qcoder · reports")
        tree = self.query_one("#report-tree", Tree)
        tree.show_root = False
        tree.guide_depth = 2
        self.action_reload()

    def help_nodes(self) -> list[tuple[str, object]]:
        return [(_("Reports screen"), self)]

    # ------------------------------------------------------------------ computing
    def action_reload(self) -> None:
        self.query_one(TabbedContent).loading = True
        self.query_one("#report-chain", Label).update(_("computing reports …"))
        self.compute()

    @work(thread=True, exclusive=True, group="reports")
    def compute(self) -> None:
        """All analyses in one read session, off the UI thread."""
        try:
            data = load_report_data(self.workbench.project)
        except Exception as error:
            self.app.call_from_thread(self._failed, one_line(error, self.workbench.project.url))
            return
        self.app.call_from_thread(self._show, data)

    def _failed(self, message: str) -> None:
        self.query_one(TabbedContent).loading = False
        self.query_one("#report-chain", Label).update(_("cannot compute the reports: {error}").format(error=message))
        self.notify(message, severity="error", markup=False)

    def _show(self, data: ReportData) -> None:
        self.data = data
        h = data.hierarchy
        self.query_one("#report-chain", Label).update(Text(h.chain(), style="bold"))
        fill_tree(self.query_one("#report-tree", Tree), h)
        self._show_tables(data)
        fill_table(self.query_one("#report-frequencies", DataTable), data.frequencies)
        self._show_saturation(data)
        self._show_warnings(data)
        tabs = self.query_one(TabbedContent)
        tabs.loading = False
        self._focus_tab(tabs.active.removeprefix("tab-"))

    def _show_tables(self, data: ReportData) -> None:
        box = self.query_one("#report-tables", VerticalScroll)
        box.remove_children()
        for table in data.tables:
            grid: DataTable[Text] = DataTable(classes="report-table", cursor_type="row")
            parts: list[Label | Static | DataTable[Text]] = [Label(Text(table.title), classes="pane-title"), grid]
            if table.notes:
                parts.append(Static(Text("\n".join(table.notes), style="dim"), classes="report-notes"))
            box.mount_all(parts)
            fill_table(grid, table)

    def _show_saturation(self, data: ReportData) -> None:
        self.query_one("#report-plot", SaturationPlot).show(data.curve)
        check, curve = data.holdout, data.curve
        text = Text(
            _("{total} {level} codes over {documents} documents").format(
                total=curve.total, level=curve.level_name, documents=len(curve.points)
            )
            + "\n",
            style="dim",
        )
        text.append(_("held-out check: "), style="bold")
        text.append(check.verdict, style=VERDICT_STYLE.get(check.status, ""))
        self.query_one("#report-verdict", Static).update(text)

    def _show_warnings(self, data: ReportData) -> None:
        warnings = data.hierarchy.warnings
        self.query_one(TabbedContent).get_tab("tab-warnings").label = _("Warnings ({count})").format(
            count=len(warnings)
        )
        if not warnings:
            ok = _("no problems found")

            self.query_one("#report-warnings", Static).update(Text(ok, style="green"))
            return
        text = Text()
        for warning in warnings:
            text.append(f"• {warning.kind}  ", style="bold yellow")
            text.append(f"{warning.message}\n")
        self.query_one("#report-warnings", Static).update(text)

    # ------------------------------------------------------------------ tabs
    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{tab}"
        self._focus_tab(tab)

    def _focus_tab(self, tab: str) -> None:
        target = {"hierarchy": "#report-tree", "frequencies": "#report-frequencies"}.get(tab)
        if target is not None:
            self.query_one(target).focus()
        elif tab == "tables":
            self.query_one("#report-tables").focus()

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active.removeprefix("tab-")

    # ------------------------------------------------------------------ export
    def action_export(self) -> None:
        tab = self.active_tab
        self.app.push_screen(ExportDialog(EXPORT_KIND.get(tab, tab)), self._confirm_export)

    def _confirm_export(self, request: ExportRequest | None) -> None:
        if request is None:
            return
        if request.path.exists():

            def answered(yes: bool | None) -> None:
                if yes:
                    self._export(request)

            self.app.push_screen(ConfirmScreen(_("{path} exists. Replace it?").format(path=request.path)), answered)
            return
        self._export(request)

    def _export(self, request: ExportRequest) -> None:
        project = self.workbench.project

        def written(path: str | bytes | Path | None) -> None:
            if isinstance(path, Path):
                self.notify(
                    _("wrote {path} ({kind}, {format})").format(path=path, kind=request.kind, format=request.fmt),
                    timeout=6,
                    markup=False,
                )

        self.app.push_screen(
            TaskScreen(
                _("writing {name} ({kind}, {format}) …").format(
                    name=request.path.name, kind=request.kind, format=request.fmt
                ),
                lambda: write_report(request.kind, project, request.fmt, request.path, language=language()),
                url=project.url,
            ),
            written,
        )

    def action_close(self) -> None:
        self.app.pop_screen()
