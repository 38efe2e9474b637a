"""Search statements (substring or whole jieba word); a result jumps to its statement."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from qcoder.coding.workbench import Workbench
from qcoder.corpus.search import Hit
from qcoder.i18n import N_, _
from qcoder.tui.attempt import AttemptApp
from qcoder.tui.translate import TranslatedBindings

MODES = ("substring", "word")
MODE_LABELS = {"substring": N_("substring"), "word": N_("word")}
LIMIT = 500


def hit_label(hit: Hit) -> Text:
    label = Text(f"{hit.label}  ", style="dim")
    last = 0
    for start, end in hit.matches:
        label.append(hit.text[last:start])
        label.append(hit.text[start:end], style="bold reverse")
        last = end
    label.append(hit.text[last:])
    return label


class SearchScreen(TranslatedBindings, ModalScreen[Hit | None]):
    if TYPE_CHECKING:  # the type of the app that shows this screen (Textual's own idiom)
        app = getters.app(AttemptApp)

    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel")),
        Binding("ctrl+t", "toggle_mode", N_("Substring/word"), priority=True),
    ]

    def __init__(self, workbench: Workbench, query: str = "", mode: str = "substring") -> None:
        super().__init__()
        self.workbench = workbench
        self.initial = query
        self.mode = mode
        self.hits: list[Hit] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self._title(), classes="dialog-title", id="search-title")
            yield Input(self.initial, placeholder=_("search statements…"), id="search-input")
            yield OptionList(id="search-results")
            yield Label(_("enter: search / jump · ctrl+t: substring ↔ word · escape: close"), classes="dialog-hint")

    def _title(self) -> str:
        found = _(" — {count} found").format(count=len(self.hits)) if self.hits else ""
        return _("Search ({mode}){found}").format(mode=_(MODE_LABELS[self.mode]), found=found)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_toggle_mode(self) -> None:
        self.mode = MODES[(MODES.index(self.mode) + 1) % len(MODES)]
        self.query_one("#search-title", Label).update(self._title())
        if self.query_one(Input).value.strip():
            self.run_search(self.query_one(Input).value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.run_search(event.value)

    def run_search(self, query: str) -> None:
        if not query.strip():
            return
        workbench, mode = self.workbench, self.mode
        self.app.attempt_then(lambda: workbench.search(query, mode, LIMIT), self._show_hits, reload=False)

    def _show_hits(self, hits: list[Hit]) -> None:
        """The hits, once the search on the database lane has answered."""
        if not self.is_mounted:
            return  # closed meanwhile
        self.hits = hits or []
        results = self.query_one(OptionList)
        results.set_options(
            [Option(hit_label(hit), id=str(i)) for i, hit in enumerate(self.hits)]
            or [Option(Text(_("nothing found"), style="dim"), disabled=True)]
        )
        self.query_one("#search-title", Label).update(self._title())
        if self.hits:
            results.highlighted = 0
            results.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self.hits[int(event.option.id)])

    def action_cancel(self) -> None:
        self.dismiss(None)
