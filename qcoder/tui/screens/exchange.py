"""Exchange from the TUI: export the codebook or project, import a codebook or project, merge.

Every flow is ask → work in a thread worker (``TaskScreen``) → show → confirm → work again.
Imports and merges first show what they would do (the codebook plan with its reasons, a
dry-run import report, the merge plan with its conflicts) and change nothing unless the
researcher confirms; a failure anywhere is one notification line. After a change every
main screen re-reads the project.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Label, Static

from qcoder.coding.workbench import Workbench
from qcoder.exchange import tasks
from qcoder.exchange.codebook import PlannedCode
from qcoder.exchange.merge import MergeConflict, MergePlan
from qcoder.i18n import N_, _
from qcoder.tui.screens.dialogs import ChoiceScreen, PromptScreen
from qcoder.tui.screens.task import TaskScreen
from qcoder.tui.translate import TranslatedBindings

CODEBOOK_SUFFIXES = (".qdc", ".csv", ".md", ".json", ".xlsx")
COLUMN_NAMES = {"keep": N_("keep"), "what": N_("what"), "ours": N_("ours"), "theirs": N_("theirs")}
KIND_STYLE = {"new": "green", "renamed": "cyan", "updated": "cyan", "same": "dim", "conflicting": "bold red"}


def _short(value: Any, limit: int = 40) -> str:
    text = "—" if value is None or value == "" else str(value).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plan_detail(item: PlannedCode) -> str:
    """What the plan says about one code, in the words of ``CodebookPlan.lines``."""
    if item.kind == "renamed":
        old, new = item.changes["name"]
        rest = [name for name in item.changes if name != "name"]
        return f"{old!r} → {new!r}" + (_("; also {fields}").format(fields=", ".join(rest)) if rest else "")
    if item.kind == "updated":
        return _("changes {fields}").format(fields=", ".join(item.changes))
    return item.reason


# ---------------------------------------------------------------------- dialogs
class ConfirmPlanScreen(TranslatedBindings, ModalScreen[bool]):
    """A plan to read (summary, a table, notes) and a yes/no: ``y`` applies, ``n``/escape changes nothing."""

    BINDINGS = [
        Binding("y", "answer(True)", N_("Apply")),
        Binding("escape,n", "answer(False)", N_("Cancel")),
    ]

    def __init__(
        self,
        title: str,
        summary: str,
        rows: Sequence[Sequence[Text]],
        columns: Sequence[str],
        notes: Sequence[str] = (),
        *,
        can_apply: bool = True,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.summary = summary
        self.rows = [list(row) for row in rows]
        self.columns = list(columns)
        self.notes = list(notes)
        self.can_apply = can_apply

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(Text(self.summary), id="plan-summary")
            if self.columns:
                yield DataTable(id="plan-table", cursor_type="row", zebra_stripes=True)
            if self.notes:
                with VerticalScroll(id="plan-notes"):
                    yield Static(Text("\n".join(self.notes), style="dim"))
            hint = (
                _("y: apply · n or escape: cancel (nothing changes)")
                if self.can_apply
                else _("nothing to apply · escape: close")
            )
            yield Label(hint, classes="dialog-hint")

    def on_mount(self) -> None:
        if not self.columns:
            return
        table = self.query_one(DataTable)
        for column in self.columns:
            table.add_column(Text(column, style="bold"))
        for row in self.rows:
            table.add_row(*row)
        table.focus()

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes and self.can_apply)


class LinesScreen(TranslatedBindings, ModalScreen[None]):
    """A report to read (what an import did); escape closes."""

    BINDINGS = [Binding("escape,enter,q", "close", N_("Close"))]

    def __init__(self, title: str, lines: Sequence[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = list(lines)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(id="report-lines"):
                yield Static(Text("\n".join(self.lines)))
            yield Label(_("escape: close"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)


class MergePlanScreen(TranslatedBindings, ModalScreen[dict[str, str] | None]):
    """The merge plan and its conflicts; each conflict keeps ours or theirs before ``y`` merges."""

    BINDINGS = [
        Binding("o", "keep('ours')", N_("Keep ours")),
        Binding("t", "keep('theirs')", N_("Take theirs")),
        Binding("O", "keep_all('ours')", N_("All ours")),
        Binding("T", "keep_all('theirs')", N_("All theirs")),
        Binding("y", "apply", N_("Merge")),
        Binding("escape,n", "cancel", N_("Cancel")),
    ]

    def __init__(self, plan: MergePlan) -> None:
        super().__init__()
        self.plan = plan
        self.choices: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        conflicts = self.plan.conflicts
        lines = replace(self.plan, conflicts=[]).lines()  # the conflicts get their own table below
        with Vertical(classes="dialog wide tall"):
            yield Label(_("Merge {other} into this project?").format(other=self.plan.other), classes="dialog-title")
            with VerticalScroll(id="merge-summary"):
                yield Static(Text("\n".join(lines)))
            if conflicts:
                yield Label(
                    _("{count} conflict(s): both sides changed these — choose which to keep").format(
                        count=len(conflicts)
                    ),
                    classes="pane-title",
                )
                yield DataTable(id="merge-conflicts", cursor_type="row")
            hint = (
                _(
                    "o / t: keep ours / take theirs for the highlighted conflict · O / T: for all · "
                    "y: merge · escape: cancel"
                )
                if conflicts
                else _("y: merge · escape: cancel (nothing changes)")
            )
            yield Label(hint, classes="dialog-hint")

    def on_mount(self) -> None:
        if not self.plan.conflicts:
            return
        table = self.query_one("#merge-conflicts", DataTable)
        for key, width in [("keep", 6), ("what", 20), ("ours", 28), ("theirs", 28)]:
            table.add_column(Text(_(COLUMN_NAMES[key]), style="bold"), key=key, width=width)
        for conflict in self.plan.conflicts:
            table.add_row(*self._cells(conflict), key=conflict.key, height=None)
        table.focus()

    def _cells(self, conflict: MergeConflict) -> list[Text]:
        ours = "\n".join(f"{name}: {_short(values[0])}" for name, values in conflict.fields.items())
        theirs = "\n".join(f"{name}: {_short(values[1])}" for name, values in conflict.fields.items())
        keep = self.choices.get(conflict.key)
        return [
            Text(keep or "?", style="bold" if keep else "bold red"),
            Text(f"{conflict.kind} {conflict.label}"),
            Text(ours),
            Text(theirs),
        ]

    def _set(self, conflict: MergeConflict, choice: str) -> None:
        self.choices[conflict.key] = choice
        self.query_one("#merge-conflicts", DataTable).update_cell(conflict.key, "keep", self._cells(conflict)[0])

    def action_keep(self, choice: str) -> None:
        if not self.plan.conflicts:
            return
        table = self.query_one("#merge-conflicts", DataTable)
        row = table.cursor_row
        if 0 <= row < len(self.plan.conflicts):
            key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value
            conflict = next(c for c in self.plan.conflicts if c.key == key)
            self._set(conflict, choice)
            table.move_cursor(row=min(row + 1, table.row_count - 1))

    def action_keep_all(self, choice: str) -> None:
        for conflict in self.plan.conflicts:
            self._set(conflict, choice)

    def action_apply(self) -> None:
        open_ = [c for c in self.plan.conflicts if c.key not in self.choices]
        if open_:
            self.notify(
                _("{count} conflict(s) still need a choice (o / t, or O / T for all)").format(count=len(open_)),
                severity="warning",
            )
            return
        self.dismiss(dict(self.choices))

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------- flows
class ExchangeFlows:
    """The exchange flows of one screen (the codebook screen's ctrl+e / ctrl+o menus)."""

    def __init__(self, screen: Screen[Any], workbench: Workbench) -> None:
        self.screen = screen
        self.workbench = workbench

    @property
    def app(self) -> Any:
        return self.screen.app

    @property
    def project(self) -> Any:
        return self.workbench.project

    def _run(self, message: str, call: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """``call`` in a worker behind a progress dialog; ``then`` gets its result (not on failure)."""

        def done(result: Any) -> None:
            if result is not None:
                then(result)

        self.app.push_screen(TaskScreen(message, call, url=self.project.url), done)

    def _ask(self, title: str, value: str, then: Callable[[str], None], placeholder: str = "") -> None:
        def answered(text: str | None) -> None:
            if text and text.strip():
                then(text.strip())

        self.app.push_screen(PromptScreen(title, value, placeholder), answered)

    def _changed(self, message: str) -> None:
        self.app.reload_views()
        self.app.notify(message, timeout=6, markup=False)

    # -- export
    def export_menu(self) -> None:
        def chosen(what: str | None) -> None:
            if what == "codebook":
                self._ask(
                    _("Export the codebook to (.qdc .csv .md .json .xlsx)"), "qcoder-codebook.qdc", self.export_codebook
                )
            elif what == "project":
                self._ask(
                    _("Export the whole project to (.qdpx: ATLAS.ti, MAXQDA, QualCoder, NVivo)"),
                    "qcoder-project.qdpx",
                    self.export_project,
                )
            elif what == "nvivo":
                self._ask(
                    _("Export the whole project for NVivo to (.qdpx, positions in UTF-16 units)"),
                    "qcoder-project-nvivo.qdpx",
                    lambda typed: self.export_project(typed, "utf16"),
                )

        self.app.push_screen(
            ChoiceScreen(
                _("Export"),
                [
                    (_("Codebook … (.qdc REFI-QDA, .csv, .md, .json, .xlsx)"), "codebook"),
                    (_("Project … (.qdpx REFI-QDA, with documents, codings, memos)"), "project"),
                    (_("Project for NVivo … (.qdpx, positions counted as NVivo does: UTF-16 units)"), "nvivo"),
                ],
            ),
            chosen,
        )

    def export_codebook(self, typed: str) -> None:
        path = tasks.local_path(typed)
        if path.suffix.lower() not in CODEBOOK_SUFFIXES:
            self.app.notify(
                _("a codebook file ends in {suffixes}; got {name}").format(
                    suffixes=" ".join(CODEBOOK_SUFFIXES), name=repr(path.name)
                ),
                severity="error",
                markup=False,
            )
            return
        self._run(
            _("writing {name} …").format(name=path.name),
            lambda: tasks.export_codebook_file(self.project, path),
            lambda line: self.app.notify(line, timeout=6, markup=False),
        )

    def export_project(self, typed: str, positions: str = "codepoints") -> None:
        path = tasks.local_path(typed)
        self._run(
            _("writing {name} …").format(name=path.name),
            lambda: tasks.export_project_file(self.project, path, positions),
            lambda line: self.app.notify(line, timeout=6, markup=False),
        )

    # -- import
    def import_menu(self) -> None:
        def chosen(what: str | None) -> None:
            if what == "codebook":
                self._ask(_("Import a codebook from (.qdc .qdpx .csv .json)"), "", self.preview_codebook, _("path"))
            elif what == "project":
                self._ask(_("Import a project from (.qdpx, or a bare .qde)"), "", self.preview_project, _("path"))
            elif what == "merge":
                self._ask(
                    _("Merge another copy of the project: its file or postgresql:// URL"),
                    "",
                    self.preview_merge,
                    _("path or URL"),
                )

        self.app.push_screen(
            ChoiceScreen(
                _("Import"),
                [
                    (_("Codebook … (plan first: new / same / renamed / updated / conflicting)"), "codebook"),
                    (_("Project … (.qdpx/.qde from NVivo, ATLAS.ti, MAXQDA, qcoder)"), "project"),
                    (_("Merge another coder's copy … (file or URL)"), "merge"),
                ],
            ),
            chosen,
        )

    def preview_codebook(self, typed: str) -> None:
        path = tasks.local_path(typed)
        self._run(
            _("reading {name} …").format(name=path.name),
            lambda: tasks.preview_codebook(self.project, path),
            self.show_codebook_plan,
        )

    def show_codebook_plan(self, preview: tasks.CodebookPreview) -> None:
        plan, ladder = preview.plan, preview.ladder
        rows = []
        for item in plan.items:
            level = ladder[item.level].name if 0 <= item.level < len(ladder) else str(item.level)
            rows.append(
                [
                    Text(item.kind, style=KIND_STYLE.get(item.kind, "")),
                    Text(item.entry.name),
                    Text(level),
                    Text(plan_detail(item)),
                ]
            )

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(
                    _("importing {name} …").format(name=preview.path.name),
                    lambda: tasks.apply_codebook(self.project, preview, self.workbench.coder_name),
                    lambda done: self._changed(
                        _("imported {name}: {summary}").format(name=preview.path.name, summary=plan.summary())
                        + (_(" (conflicting codes skipped)") if done["conflicting"] else "")
                    ),
                )

        self.app.push_screen(
            ConfirmPlanScreen(
                _("Import codebook {name}?").format(name=preview.path.name),
                _("plan: {summary}").format(summary=plan.summary()),
                rows,
                [_("what"), _("code"), _("level"), _("why / changes")],
                plan.notes,
                can_apply=preview.applies_anything(),
            ),
            confirmed,
        )

    def preview_project(self, typed: str) -> None:
        path = tasks.local_path(typed)
        self._run(
            _("checking {name} (dry run) …").format(name=path.name),
            lambda: tasks.preview_project(self.project, path),
            self.show_project_preview,
        )

    def show_project_preview(self, preview: tasks.ProjectPreview) -> None:
        lines = preview.report.lines()

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._run(
                    _("importing {name} …").format(name=preview.path.name),
                    lambda: tasks.import_project_file(self.project, preview),
                    lambda report: self._project_imported(preview.path.name, report.lines()),
                )

        self.app.push_screen(
            ConfirmPlanScreen(
                _("Import project {name}? (dry run: nothing stored yet)").format(name=preview.path.name),
                "\n".join(lines),
                [],
                [],
            ),
            confirmed,
        )

    def _project_imported(self, name: str, lines: list[str]) -> None:
        self._changed(_("imported {name}").format(name=name))
        self.app.push_screen(LinesScreen(_("Imported {name}").format(name=name), lines))

    def preview_merge(self, typed: str) -> None:
        other = tasks.project_ref(typed)
        self._run(
            _("comparing the projects …"),
            lambda: tasks.preview_merge(self.project, other),
            lambda plan: self.show_merge_plan(other, plan),
        )

    def show_merge_plan(self, other: str, plan: MergePlan) -> None:
        def chosen(choices: dict[str, str] | None) -> None:
            if choices is None:
                return
            self._run(
                _("merging …"),
                lambda: tasks.run_merge(self.project, other, choices),
                lambda done: self._changed(_("merged — {summary}").format(summary=done.lines()[0])),
            )

        self.app.push_screen(MergePlanScreen(plan), chosen)
