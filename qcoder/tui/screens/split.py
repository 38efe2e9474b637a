"""Split a code: a new sibling takes over the codings of the statements ticked here."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, SelectionList
from textual.widgets.selection_list import Selection

from qcoder.coding.workbench import ComparisonRow
from qcoder.i18n import N_, _
from qcoder.tui.translate import TranslatedBindings
from qcoder.tui.widgets.tick_list import TickList


class SplitScreen(TranslatedBindings, ModalScreen[tuple[str, list[int]] | None]):
    BINDINGS = [
        Binding("ctrl+s", "split", N_("Split"), priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, code_name: str, rows: list[ComparisonRow]) -> None:
        super().__init__()
        self.code_name = code_name
        self.rows = rows

    def compose(self) -> ComposeResult:
        seen: set[int] = set()
        selections = []
        for row in self.rows:
            if row.sentence_id in seen:
                continue
            seen.add(row.sentence_id)
            selections.append(Selection(f"{row.label} {row.text[:60]}", row.sentence_id))
        with Vertical(classes="dialog wide tall"):
            yield Label(
                _("Split {code}: name of the new code, then tick its statements").format(code=self.code_name),
                classes="dialog-title",
            )
            yield Input(placeholder=_("new code name"), id="split-name")
            yield TickList[int](*selections, id="split-statements")
            yield Label(_("space: tick · tab: move between · ctrl+s: split · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(SelectionList).focus()

    def action_split(self) -> None:
        name = self.query_one(Input).value.strip()
        if not name:
            self.notify(_("name the new code first"), severity="warning")

            return
        self.dismiss((name, list(self.query_one(SelectionList).selected)))

    def action_cancel(self) -> None:
        self.dismiss(None)
