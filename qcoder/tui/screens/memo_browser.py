"""Every memo of the project in one list, filtered by type, target, coder and text; enter jumps to its target.

Memos are where the theory grows (grounded theory's memo-writing), so after weeks of
coding a researcher needs them all at hand, not only the one on the statement under the
cursor. The filters cycle with keys (the text box takes the words to look for).
"""

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

from qcoder.coding.records import MemoEntry
from qcoder.i18n import N_, _
from qcoder.tui.attempt import AttemptApp
from qcoder.tui.screens.memo import type_label
from qcoder.tui.translate import TranslatedBindings

if TYPE_CHECKING:
    from qcoder.coding.workbench import Workbench

ALL = ""
TARGETS = ("sentence", "document", "code", "relation", "project")
TARGET_LABELS = {
    ALL: N_("all targets"),
    "sentence": N_("statements"),
    "document": N_("documents"),
    "code": N_("codes"),
    "relation": N_("relations"),
    "project": N_("the project"),
}


def entry_label(entry: MemoEntry) -> Text:
    memo = entry.memo
    label = Text(f"[{type_label(memo.type)}] ", style="bold")
    target = _(TARGET_LABELS[entry.target]) if entry.target == "project" else entry.target_label
    label.append(f"{target} ", style="bold cyan")
    label.append(f"{memo.coder or '?'} · {memo.updated_at}  ", style="dim")
    first = memo.text.strip().splitlines()[0] if memo.text.strip() else _("(empty)")
    label.append(first, style="")
    return label


def matches(entry: MemoEntry, kind: str, target: str, coder: str, words: str) -> bool:
    """Does the memo pass every filter (``""``: any); words must all occur in its text, title or target."""
    memo = entry.memo
    if (kind and memo.type != kind) or (target and entry.target != target) or (coder and memo.coder != coder):
        return False
    haystack = f"{memo.title}\n{memo.text}\n{entry.target_label}".casefold()
    return all(word in haystack for word in words.casefold().split())


class MemoBrowserScreen(TranslatedBindings, ModalScreen[MemoEntry | None]):
    if TYPE_CHECKING:  # the type of the app that shows this screen (Textual's own idiom)
        app = getters.app(AttemptApp)

    BINDINGS = [
        Binding("escape", "cancel", N_("Close")),
        Binding("ctrl+t", "cycle('kind')", N_("Filter by type"), priority=True),
        Binding("ctrl+g", "cycle('target')", N_("Filter by target"), priority=True),
        Binding("ctrl+o", "cycle('coder')", N_("Filter by coder"), priority=True),
        Binding("down", "move(1)", N_("Next"), show=False, priority=True),
        Binding("up", "move(-1)", N_("Previous"), show=False, priority=True),
    ]

    def __init__(self, workbench: Workbench) -> None:
        super().__init__()
        self.workbench = workbench
        self.entries: list[MemoEntry] = []
        self.shown: list[MemoEntry] = []
        self.kind = ALL
        self.target = ALL
        self.coder = ALL

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide tall"):
            yield Label("", classes="dialog-title", id="memo-browser-title")
            yield Input(placeholder=_("words in the memo…"), id="memo-browser-filter")
            yield OptionList(id="memo-browser-list")
            yield Label(
                _("enter: go to its target · ctrl+t: type · ctrl+g: target · ctrl+o: coder · escape: close"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one(Input).focus()

        def show(entries: list[MemoEntry]) -> None:
            if self.is_mounted:
                self.entries = entries or []
                self._fill()

        self.app.attempt_then(self.workbench.all_memos, show, reload=False)

    def _choices(self, what: str) -> list[str]:
        if what == "kind":
            return [ALL, *dict.fromkeys(e.memo.type for e in self.entries)]
        if what == "target":
            return [ALL, *TARGETS]
        return [ALL, *sorted({e.memo.coder for e in self.entries if e.memo.coder})]

    def action_cycle(self, what: str) -> None:
        choices = self._choices(what)
        current = getattr(self, what)
        position = choices.index(current) if current in choices else 0
        setattr(self, what, choices[(position + 1) % len(choices)])
        self._fill()

    def on_input_changed(self, _event: Input.Changed) -> None:
        self._fill()

    def _fill(self) -> None:
        words = self.query_one(Input).value
        self.shown = [e for e in self.entries if matches(e, self.kind, self.target, self.coder, words)]
        options = self.query_one(OptionList)
        options.set_options(
            [Option(entry_label(e), id=str(i)) for i, e in enumerate(self.shown)]
            or [Option(Text(_("no memo matches"), style="dim"), disabled=True)]
        )
        if self.shown:
            options.highlighted = 0
        self.query_one("#memo-browser-title", Label).update(
            _("Memos: {shown} of {total} · type: {kind} · target: {target} · coder: {coder}").format(
                shown=len(self.shown),
                total=len(self.entries),
                kind=type_label(self.kind) if self.kind else _("all"),
                target=_(TARGET_LABELS[self.target]),
                coder=self.coder or _("all"),
            )
        )

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if delta > 0:
            options.action_cursor_down()
        else:
            options.action_cursor_up()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose(self.query_one(OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        if index is not None and index < len(self.shown):
            self.dismiss(self.shown[index])

    def action_cancel(self) -> None:
        self.dismiss(None)
