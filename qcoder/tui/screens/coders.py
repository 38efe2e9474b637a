"""Which coders to compare for agreement: one checkbox per coder, two or more ticked.

Why review counts: agreement is computed on documents the coders *reviewed* (a document
not reviewed by a coder has no value for them, not a 0), so the coders worth comparing
are those who reviewed most; the two with most reviews are ticked to start with. The
first two ticked (in this order) are the pair reconciled into the consensus coder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from qcoder.coding.records import DocumentSummary
from qcoder.i18n import N_, _
from qcoder.tui.translate import TranslatedBindings
from qcoder.tui.widgets.tick_list import TickList

CONSENSUS = "consensus"  # the reconciliation's own coder: listed last, never ticked by default


def rank_coders(coders: Iterable[str], documents: Iterable[DocumentSummary]) -> list[tuple[str, int]]:
    """(coder, documents reviewed), most reviews first; ties keep the given order; consensus last."""
    reviews = Counter(name for doc in documents for name in doc.reviewers)
    names = list(dict.fromkeys(coders))
    ordered = sorted(names, key=lambda name: (name == CONSENSUS, -reviews[name], names.index(name)))
    return [(name, reviews[name]) for name in ordered]


class CoderChoiceScreen(TranslatedBindings, ModalScreen[list[str] | None]):
    BINDINGS = [
        Binding("enter", "confirm", N_("Compare"), priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, ranked: Sequence[tuple[str, int]], default: int = 2) -> None:
        super().__init__()
        self.ranked = list(ranked)
        self.default = {name for name, reviews in self.ranked[:default] if name != CONSENSUS and reviews}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                _("Agreement: which coders to compare? (the first two ticked are reconciled)"), classes="dialog-title"
            )
            yield TickList[str](
                *[
                    Selection(
                        Text(_("{name}  ({count} documents reviewed)").format(name=name, count=reviews)),
                        name,
                        name in self.default,
                    )
                    for name, reviews in self.ranked
                ],
                id="coder-choices",
            )
            yield Label(_("space: tick / untick · enter: compare · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def chosen(self) -> list[str]:
        ticked = set(self.query_one(SelectionList).selected)
        return [name for name, _ in self.ranked if name in ticked]

    def action_confirm(self) -> None:
        chosen = self.chosen()
        if len(chosen) < 2:
            self.notify(_("tick at least two coders"), severity="warning")

            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
