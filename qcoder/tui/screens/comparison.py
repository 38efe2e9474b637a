"""Constant comparison: every statement coded with a code (and its subtree), across
documents and coders, side by side; enter goes back to the statement in its document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from qcoder.coding.workbench import ComparisonRow, Workbench
from qcoder.i18n import N_, _
from qcoder.linebreak import fill
from qcoder.tui.attempt import AttemptApp
from qcoder.tui.translate import TranslatedBindings


def row_label(row: ComparisonRow, exemplar: bool = False, width: int = 0) -> Text:
    """A statement with its code and coder; its text broken by the Chinese line-breaking rules at ``width``."""
    label = Text(f"{row.label} ", style="bold")
    if exemplar:
        label.append(_("★ exemplar "), style="bold yellow")
    label.append(f"{row.code} · {row.coder}\n", style="dim")
    if row.quote:  # the exact words coded, then the statement they are in (dimmed)
        quote = f"“{row.quote}”"
        label.append((fill(quote, width) if width > 0 else quote) + "\n", style="bold underline")
        label.append(fill(row.text, width) if width > 0 else row.text, style="dim")
        return label
    label.append(fill(row.text, width) if width > 0 else row.text)
    return label


class ComparisonScreen(TranslatedBindings, ModalScreen[ComparisonRow | None]):
    if TYPE_CHECKING:  # the type of the app that shows this screen (Textual's own idiom)
        app = getters.app(AttemptApp)

    BINDINGS = [
        Binding("escape", "cancel", N_("Close")),
        Binding("ctrl+t", "toggle_subtree", N_("Include subtree"), priority=True),
        Binding("ctrl+o", "toggle_coders", N_("All coders / mine"), priority=True),
        Binding("e", "exemplar", N_("Exemplar statement")),
    ]

    def __init__(self, workbench: Workbench, code_id: int, code_name: str) -> None:
        super().__init__()
        self.workbench = workbench
        self.code_id = code_id
        self.code_name = code_name
        self.subtree = True
        self.all_coders = True
        self.rows: list[ComparisonRow] = []
        self.exemplar: int | None = None  # the code's exemplar statement (典型原始语句)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall"):
            yield Label("", classes="dialog-title", id="comparison-title")
            yield OptionList(id="comparison-rows")
            yield Label(
                _(
                    "enter: go to statement · e: exemplar for the table · ctrl+t: subtree on/off · "
                    "ctrl+o: all coders/mine · escape: close"
                ),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.reload()
        self.query_one(OptionList).focus()

    def reload(self) -> None:
        """Read the code's statements and exemplar on the database lane; shown when it answers."""
        workbench, code_id, subtree, all_coders = self.workbench, self.code_id, self.subtree, self.all_coders

        def read() -> tuple[list[ComparisonRow], int | None]:
            rows = workbench.comparison(code_id, include_children=subtree, all_coders=all_coders)
            return rows, workbench.exemplar(code_id)

        def show(found: tuple[list[ComparisonRow], int | None]) -> None:
            if not self.is_mounted:
                return
            self.rows, self.exemplar = found[0] or [], found[1]
            documents = len({row.document_id for row in self.rows})
            scope = (_("with subtree") if self.subtree else _("this code only")) + (
                _(", all coders") if self.all_coders else _(", mine only")
            )
            self.query_one("#comparison-title", Label).update(
                _("Comparison: {code} ({scope}) — {codings} codings in {documents} documents").format(
                    code=self.code_name, scope=scope, codings=len(self.rows), documents=documents
                )
            )
            options = self.query_one(OptionList)
            keep = options.highlighted
            width = max(options.scrollable_content_region.width - 2, 0)
            options.set_options(
                [
                    Option(row_label(row, row.sentence_id == self.exemplar, width), id=str(i))
                    for i, row in enumerate(self.rows)
                ]
                or [Option(Text(_("no statements coded with it yet"), style="dim"), disabled=True)]
            )
            if self.rows:
                options.highlighted = keep if keep is not None and keep < len(self.rows) else 0

        self.app.attempt_then(read, show, reload=False)

    def on_resize(self) -> None:
        if self.rows:
            self.reload()  # the text is broken for the list's width

    def action_exemplar(self) -> None:
        """Make the highlighted statement the code's exemplar (again on it: no exemplar)."""
        index = self.query_one(OptionList).highlighted
        if index is None or index >= len(self.rows):
            return
        row = self.rows[index]
        chosen = None if row.sentence_id == self.exemplar else row.sentence_id
        workbench, code_id = self.workbench, self.code_id

        def done(_result: object) -> None:
            self.notify(
                _("{label} is the exemplar of {code}").format(label=row.label, code=self.code_name)
                if chosen
                else _("{code} has no exemplar statement now").format(code=self.code_name),
                timeout=3,
            )
            if self.is_mounted:
                self.reload()

        self.app.attempt_then(lambda: workbench.set_exemplar(code_id, chosen), done)

    def action_toggle_subtree(self) -> None:
        self.subtree = not self.subtree
        self.reload()

    def action_toggle_coders(self) -> None:
        self.all_coders = not self.all_coders
        self.reload()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self.rows[int(event.option.id)])

    def action_cancel(self) -> None:
        self.dismiss(None)
