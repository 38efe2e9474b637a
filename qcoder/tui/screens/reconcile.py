"""Agreement and reconciliation: per-code statistics, then each disagreement side by side.

Why one screen: after measuring agreement the team goes through the statements where
two coders differ and keeps a consensus coding. The statistics (sortable by any column)
tell which codes need discussion; the list below settles statements one key at a time:
``a``/``b`` keep one coder's codes, ``B`` both, ``n`` neither, ``m`` adds a memo. The
statistics are computed in a thread worker; deciding writes one statement and updates
the list in place (the A-vs-B statistics do not change when the consensus coder does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events, getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Static

from qcoder.analysis.agreement import AgreementReport, AgreementRequest, CodeAgreement, agreement_report, load_units
from qcoder.analysis.agreement_coefficients import is_rare
from qcoder.analysis.agreement_output import reason_text
from qcoder.analysis.writers import number_text
from qcoder.coding.reconcile import (
    DEFAULT_CONSENSUS,
    MEMO_TITLE,
    Disagreement,
    ReconcileState,
    disagreements_from_units,
    reconciliation_memos,
    resolve,
)
from qcoder.coding.workbench import Workbench
from qcoder.errors import is_database_error
from qcoder.i18n import N_, _, language
from qcoder.store.errors import user_message
from qcoder.store.settings import LANGUAGE_OVERRIDE
from qcoder.tui.attempt import AttemptApp
from qcoder.tui.translate import TranslatedBindings

_CHOICE_TEXT = {"a": "A", "b": "B", "both": "A+B", "neither": "—"}
_TEXT_CELLS = 60
MAX_ROWS = 3000  # a DataTable measures every row it gets: beyond a few thousand the UI stalls


def _number(value: float | None) -> str:
    return "—" if value is None else number_text(value)


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def _used_by(coder: int, row: CodeAgreement) -> int:
    """How many statements the ``coder``-th coder gave ``row``'s code."""
    return row.used[coder]


def _rare(row: CodeAgreement) -> list[str]:
    """A rare code's κ and α can be near 0 with high agreement: say so beside them."""
    if not is_rare(row.prevalence):
        return []
    return [_("rare code ({percent}%)").format(percent=f"{(row.prevalence or 0.0) * 100:.1f}")]


class StatColumn:
    """One column of the statistics table: its header, the sort value and the cell text."""

    def __init__(self, header: str, value: Callable[[CodeAgreement], Any], text: Callable[[Any], str] = str) -> None:
        self.header, self.value, self.text = header, value, text


def stat_columns(report: AgreementReport) -> list[StatColumn]:
    pairs = report.pairs
    cols = [
        StatColumn(_("code"), lambda r: r.code.label),
        *[
            StatColumn(_("used {coder}").format(coder=name), partial(_used_by, i))
            for i, name in enumerate(report.coders)
        ],
        StatColumn(_("any"), lambda r: r.used_any),
        StatColumn(_("% agree"), lambda r: r.percent.value, _number),
    ]
    if len(pairs) == 1:
        cols.append(StatColumn(_("Cohen κ"), lambda r: r.kappa[pairs[0]].value, _number))
    else:
        cols.append(StatColumn(_("mean Cohen κ"), lambda r: _mean([r.kappa[p].value for p in pairs]), _number))
    cols += [
        StatColumn(_("Fleiss κ"), lambda r: r.fleiss.value, _number),
        StatColumn(_("Kripp. α"), lambda r: r.alpha.value, _number),
        StatColumn(_("Gwet AC1"), lambda r: r.ac1.value if r.ac1 else None, _number),
        StatColumn(
            _("Holsti") if len(pairs) == 1 else _("mean Holsti"),
            lambda r: _mean([r.holsti[p].value for p in pairs]),
            _number,
        ),
        StatColumn(
            _("note"), lambda r: "; ".join([*_rare(r), *(reason_text(x, report.language) for x in r.reasons())])
        ),
    ]
    return cols


def _sort_key(value: Any) -> tuple[int, Any]:
    """None (an undefined figure) sorts last whatever the direction's first item is."""
    return (1, 0) if value is None or value == "" else (0, value)


class ReconcileScreen(TranslatedBindings, Screen[None]):
    """Statistics per code for the chosen coders; reconciliation of the first two into a consensus coder."""

    if TYPE_CHECKING:  # the type of the app that shows this screen (Textual's own idiom)
        app = getters.app(AttemptApp)

    DEFAULT_CSS = """
    ReconcileScreen { layout: vertical; }
    /* a small terminal: the statistics shrink, the detail and the overall line give way to the items */
    ReconcileScreen.small #reconcile-stats { height: 3; }
    ReconcileScreen.small #reconcile-detail, ReconcileScreen.small #reconcile-overall { display: none; }

    ReconcileScreen #reconcile-title { text-style: bold; padding: 0 1; max-height: 2; }
    ReconcileScreen #reconcile-stats { height: 40%; }
    ReconcileScreen #reconcile-overall, ReconcileScreen #reconcile-progress { padding: 0 1; max-height: 2; }
    ReconcileScreen #reconcile-progress { text-style: bold; }
    ReconcileScreen #reconcile-items { height: 1fr; min-height: 2; }
    ReconcileScreen #reconcile-detail {
        height: auto; max-height: 25%; padding: 0 1; border-top: solid $accent; overflow-y: auto;
    }

    """

    BINDINGS = [
        Binding("a", "decide('a')", N_("Accept A")),
        Binding("b", "decide('b')", N_("Accept B")),
        Binding("B", "decide('both')", N_("Both")),
        Binding("n", "decide('neither')", N_("Neither")),
        Binding("m", "memo", N_("Memo")),
        Binding("s", "sort_next", N_("Sort")),
        Binding("S", "sort_reverse", N_("Reverse sort"), show=False),
        Binding("r,f5", "reload", N_("Recompute"), show=False),
        Binding("escape", "close", N_("Close")),
    ]

    def __init__(
        self,
        workbench: Workbench,
        coders: Sequence[str],
        *,
        level: str | int | None = None,
        codes: Sequence[str] = (),
        documents: Sequence[str] = (),
        consensus: str = DEFAULT_CONSENSUS,
    ) -> None:
        super().__init__()
        self.workbench = workbench
        self.request = AgreementRequest(
            coders=tuple(coders), level=level, codes=tuple(codes), documents=tuple(documents)
        )
        self.pair_request = replace(self.request, coders=tuple(coders)[:2])
        self.consensus = consensus
        self.report: AgreementReport | None = None
        self.state: ReconcileState | None = None
        self.columns: list[StatColumn] = []
        self.shown: list[int] = []  # row i of the list shows state.items[shown[i]]
        self.sort_column = 0
        self.sort_reverse = False

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Label("", id="reconcile-title")
        yield DataTable(id="reconcile-stats", cursor_type="row", zebra_stripes=True)
        yield Label("", id="reconcile-overall")
        yield Label(_("computing agreement…"), id="reconcile-progress")
        yield DataTable(id="reconcile-items", cursor_type="row")
        yield Static("", id="reconcile-detail")
        yield Footer(show_command_palette=False)  # docked over the keys it would hide some; ? lists ctrl+p

    @property
    def items_table(self) -> DataTable[str | Text]:
        return self.query_one("#reconcile-items", DataTable)

    @property
    def stats_table(self) -> DataTable[str]:
        return self.query_one("#reconcile-stats", DataTable)

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < 20, "small")

    def on_mount(self) -> None:

        a, b = self.pair_request.coders[:2] if len(self.pair_request.coders) >= 2 else ("?", "?")
        self.title = _("qcoder · agreement")
        self.query_one("#reconcile-title", Label).update(
            _("Agreement: {coders} · reconciling {a} (A) and {b} (B) into {consensus}").format(
                coders=", ".join(self.request.coders), a=a, b=b, consensus=repr(self.consensus)
            )
        )
        self.items_table.focus()
        self.load()

    def help_nodes(self) -> list[tuple[str, object]]:
        return [(_("Agreement and reconciliation"), self)]

    # ------------------------------------------------------------------ loading (thread worker)
    @work(thread=True, exclusive=True, group="reconcile-load")
    def load(self) -> None:
        """Compute the statistics and the disagreements off the UI thread."""
        try:
            with self.workbench.project.session() as session:
                session.info[LANGUAGE_OVERRIDE] = language()  # figures' names in the interface language
                report = agreement_report(session, self.request)

                data = report.data if len(report.coders) == 2 else load_units(session, self.pair_request)
                state = disagreements_from_units(session, data, self.consensus)
        except Exception as error:
            message = user_message(error, self.workbench.project.url)
            if message is None:
                raise
            self.app.call_from_thread(self._failed, message)
            return
        self.app.call_from_thread(self._loaded, report, state)

    def _failed(self, message: str) -> None:
        self.query_one("#reconcile-progress", Label).update(
            _("cannot compute agreement: {error}").format(error=message)
        )
        self.notify(message, severity="error", markup=False)

    def _loaded(self, report: AgreementReport, state: ReconcileState) -> None:
        self.report, self.state = report, state
        self.columns = stat_columns(report)
        self._fill_stats()
        overall = report.overall
        self.query_one("#reconcile-overall", Label).update(
            _("pooled α {pooled} · MASI α {masi} · {units} statements in {documents} documents").format(
                pooled=_number(overall.pooled_alpha.value),
                masi=_number(overall.masi_alpha.value),
                units=report.data.n_units,
                documents=len(report.data.documents),
            )
            + ("" if not report.notes else f" · {report.notes[0]}")
        )
        self._fill_items()

    # ------------------------------------------------------------------ statistics table
    def _fill_stats(self) -> None:
        table = self.stats_table
        table.clear(columns=True)
        for i, column in enumerate(self.columns):
            arrow = (" ▼" if self.sort_reverse else " ▲") if i == self.sort_column else ""
            table.add_column(column.header + arrow, key=str(i))
        if self.report is None:
            return
        column = self.columns[self.sort_column]
        rows = sorted(self.report.rows, key=lambda r: _sort_key(column.value(r)), reverse=self.sort_reverse)
        if self.sort_reverse:  # keep undefined figures last
            rows = [r for r in rows if _sort_key(column.value(r))[0] == 0] + [
                r for r in rows if _sort_key(column.value(r))[0] == 1
            ]
        for row in rows:
            table.add_row(*(c.text(c.value(row)) for c in self.columns), key=str(row.code.id))

    def sorted_codes(self) -> list[str]:
        """Code labels in the order the statistics table shows them."""
        table = self.stats_table
        return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

    def sort_by(self, index: int, reverse: bool | None = None) -> None:
        if reverse is None:
            reverse = not self.sort_reverse if index == self.sort_column else False
        self.sort_column, self.sort_reverse = index, reverse
        self._fill_stats()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        if event.data_table is self.stats_table:
            event.stop()
            self.sort_by(event.column_index)

    def action_sort_next(self) -> None:
        if self.columns:
            self.sort_by((self.sort_column + 1) % len(self.columns), False)

    def action_sort_reverse(self) -> None:
        if self.columns:
            self.sort_by(self.sort_column, not self.sort_reverse)

    # ------------------------------------------------------------------ disagreements
    def _fill_items(self) -> None:
        table = self.items_table
        table.clear(columns=True)
        if self.state is None:
            return
        a, b = self.state.coders
        for key, header in [
            ("label", _("statement")),
            ("decision", _("kept")),
            ("a", f"A {a}"),
            ("b", f"B {b}"),
            ("consensus", self.state.consensus),
            ("text", _("text")),
        ]:
            table.add_column(header, key=key)
        items = self.state.items
        undecided = [i for i, item in enumerate(items) if item.decision is None]
        decided = [i for i, item in enumerate(items) if item.decision is not None]
        self.shown = sorted((undecided + decided)[:MAX_ROWS])  # undecided first when there are too many
        for index in self.shown:
            table.add_row(*self._item_cells(items[index]))
        first = next((row for row, index in enumerate(self.shown) if items[index].decision is None), 0)
        table.move_cursor(row=first)
        self._show_progress()
        self._show_detail()

    def _item_cells(self, item: Disagreement) -> list[str | Text]:
        text = item.text if len(item.text) <= _TEXT_CELLS // 2 else item.text[: _TEXT_CELLS // 2 - 1] + "…"
        return [
            item.label,
            _CHOICE_TEXT.get(item.decision or "", "") if item.decision else "",
            ", ".join(item.codes[0]) or "—",
            ", ".join(item.codes[1]) or "—",
            ", ".join(item.consensus) or ("—" if item.decision else ""),
            text,
        ]

    def _show_progress(self) -> None:
        if self.state is None:
            return
        a, b = self.state.coders
        more = (
            _(" (showing {count}, undecided first; r reloads)").format(count=len(self.shown))
            if len(self.shown) < self.state.total
            else ""
        )
        self.query_one("#reconcile-progress", Label).update(
            _("decided {decided}/{total} disagreements between {a} and {b}{more} · ").format(
                decided=self.state.decided, total=self.state.total, a=a, b=b, more=more
            )
            + _("a: keep A · b: keep B · B: both · n: neither · m: memo")
        )
        self.sub_title = _("reconciled {progress}").format(progress=self.state.progress())

    def current_item(self) -> Disagreement | None:
        if self.state is None or not self.state.items:
            return None
        row = self.items_table.cursor_row
        if not 0 <= row < min(self.items_table.row_count, len(self.shown)):
            return None
        return self.state.items[self.shown[row]]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table is self.items_table:
            self._show_detail()

    def _show_detail(self) -> None:
        item = self.current_item()
        detail = self.query_one("#reconcile-detail", Static)
        if item is None or self.state is None:
            detail.update(_("no disagreements") if self.state is not None else "")
            return
        a, b = self.state.coders
        lines = Text()
        lines.append(f"{item.label} ", style="bold")
        lines.append(f"{item.text}\n")
        for name, chosen, applied in ((a, item.codes[0], item.applied[0]), (b, item.codes[1], item.applied[1])):
            lines.append(f"{name}: ", style="bold")
            lines.append(", ".join(chosen) or "—")
            if applied and sorted(applied) != sorted(chosen):
                lines.append(f"  ({', '.join(applied)})", style="dim")
            lines.append("\n")
        lines.append(f"{self.state.consensus}: ", style="bold")
        lines.append(", ".join(item.consensus) or "—")
        detail.update(lines)
        if self.app.offline_refusal:
            return  # offline or busy: the detail shows without its memos
        sentence_id = item.sentence_id

        def with_memos(memos: list[str]) -> None:
            current = self.current_item()
            if not memos or current is None or current.sentence_id != sentence_id:
                return  # none, or the cursor moved on meanwhile
            shown = lines.copy()
            for memo in memos:
                shown.append("\n" + _("memo: {text}").format(text=memo), style="italic")
            detail.update(shown)

        self.app.attempt_then(lambda: self._memos(sentence_id), with_memos, reload=False)  # on the database lane

    def _memos(self, sentence_id: int) -> list[str]:
        try:
            with self.workbench.project.session() as session:
                return reconciliation_memos(session, sentence_id)
        except Exception as error:
            if not is_database_error(error):
                raise
            return []  # the detail shows without memos; deciding reports the failure

    # ------------------------------------------------------------------ deciding
    def action_decide(self, choice: str) -> None:
        item = self.current_item()
        if item is None or self.state is None:
            return
        row = self.items_table.cursor_row
        index, state = self.shown[row], self.state
        workbench, pair, consensus = self.workbench, self.pair_request, self.consensus

        def decided(done: Any) -> None:
            """Shown once committed (the decision ran on the database lane)."""
            if self.state is not state:
                return  # re-computed meanwhile: it shows the stored decision
            updated = replace(item, decision=choice, consensus=done.codes)
            state.items[index] = updated
            if row < len(self.shown) and self.shown[row] == index:
                for column, value in enumerate(self._item_cells(updated)):
                    self.items_table.update_cell_at(Coordinate(row, column), value)
            self._show_progress()
            if self.items_table.cursor_row == row:  # the researcher has not moved on meanwhile
                self._next_undecided(row)
            self._show_detail()

        self.app.attempt_then(
            lambda: workbench.project.run(
                lambda s: resolve(s, pair, item.sentence_id, choice, consensus=consensus, by=workbench.coder_name)
            ),
            decided,
            reload=False,
        )

    def _next_undecided(self, after: int) -> None:
        """Move to the next undecided row (wrapping around), if any."""
        assert self.state is not None
        rows = list(range(after + 1, len(self.shown))) + list(range(0, after + 1))
        target = next((r for r in rows if self.state.items[self.shown[r]].decision is None), None)
        if target is not None:
            self.items_table.move_cursor(row=target)

    def action_memo(self) -> None:
        from qcoder.tui.screens.dialogs import PromptScreen

        item = self.current_item()
        if item is None or self.state is None:
            return
        a, b = self.state.coders

        def written(text: str | None) -> None:
            if not text or not text.strip():
                return
            self.app.attempt_then(
                lambda: self.workbench.add_memo(
                    text.strip(),
                    type_="operational",
                    target="sentence",
                    target_id=item.sentence_id,
                    title=f"{MEMO_TITLE} {a}/{b}",
                ),
                lambda _added: self._show_detail(),
                reload=False,
            )

        self.app.push_screen(
            PromptScreen(_("Memo on {label} (kept with the reconciliation)").format(label=item.label)), written
        )

    def action_reload(self) -> None:
        self.query_one("#reconcile-progress", Label).update(_("computing agreement…"))
        self.load()

    def action_close(self) -> None:
        self.app.pop_screen()
