"""In-vivo suggestions for the statement under the cursor.

jieba loads its dictionary on first use (about a second), so suggestions are computed
in a thread worker behind a loading indicator. Enter or a number key answers the
phrase; the coding screen turns it into a code and a user-dictionary word.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, LoadingIndicator, OptionList
from textual.widgets.option_list import Option

from qcoder.coding.suggest import Suggestion, suggest
from qcoder.i18n import N_, _
from qcoder.tui.translate import TranslatedBindings


class SuggestionScreen(TranslatedBindings, ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel")),
        *[Binding(str(n), f"pick({n})", N_("Take a suggestion"), show=False) for n in range(1, 10)],
    ]

    def __init__(self, label: str, text: str, existing: Iterable[str]) -> None:
        super().__init__()
        self.label = label
        self.text = text
        self.existing = list(existing)
        self.suggestions: list[Suggestion] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("In-vivo codes for {label}").format(label=self.label), classes="dialog-title")
            yield LoadingIndicator(id="suggest-loading")
            yield OptionList(id="suggest-options")
            yield Label(_("enter or 1–9: make it a code (and a dictionary word) · escape"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.compute()

    @work(thread=True, exclusive=True)
    def compute(self) -> None:
        try:
            found = suggest(self.text, self.existing)
        except Exception as error:
            self.app.call_from_thread(self.notify, _("no suggestions: {error}").format(error=error), severity="error")
            found = []
        self.app.call_from_thread(self.show, found)

    def show(self, found: list[Suggestion]) -> None:
        self.suggestions = found
        self.query_one(LoadingIndicator).display = False
        options = self.query_one(OptionList)
        options.display = True
        items = []
        for number, suggestion in enumerate(found, start=1):
            label = Text(f"{number} ", style="bold")
            label.append(suggestion.phrase)
            label.append("  " + (_("quoted") if suggestion.source == "quoted" else _("keyword")), style="dim")
            items.append(Option(label, id=str(number - 1)))
        options.set_options(items or [Option(Text(_("no suggestions for this statement"), style="dim"), disabled=True)])

        if items:
            options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self.suggestions[int(event.option.id)].phrase)

    def action_pick(self, number: int) -> None:
        if 1 <= number <= len(self.suggestions):
            self.dismiss(self.suggestions[number - 1].phrase)

    def action_cancel(self) -> None:
        self.dismiss(None)
