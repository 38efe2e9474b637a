"""What the coding and codebook screens share: the Workbench and code catalog they show,
their code tree, and the keys that refresh or open the screens over them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import getters
from textual.screen import Screen

from qcoder.i18n import _
from qcoder.tui.attempt import WorkbenchHost
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.translate import TranslatedBindings
from qcoder.tui.widgets.code_tree import CodeTree

if TYPE_CHECKING:
    from qcoder.coding.workbench import Workbench
    from qcoder.tui.live import CodingState, OthersChanged


class WorkbenchScreen(TranslatedBindings, Screen[None]):
    if TYPE_CHECKING:  # the type of the app that shows this screen (Textual's own idiom)
        app = getters.app(WorkbenchHost)

    def __init__(self, workbench: Workbench, catalog: CodeCatalog) -> None:
        super().__init__()
        self.workbench = workbench
        self.catalog = catalog

    @property
    def code_tree(self) -> CodeTree:
        return self.query_one(CodeTree)

    def reload_all(self) -> None:
        raise NotImplementedError

    def action_undo(self) -> None:
        self._history(self.workbench.undo, _("undo"), _("nothing to undo"))

    def action_redo(self) -> None:
        self._history(self.workbench.redo, _("redo"), _("nothing to redo"))

    def _history(self, step: Callable[[], str | None], verb: str, empty: str) -> None:
        """Undo or redo this coder's last step (coding or codebook), then re-read what it may have touched."""

        def stepped(done: str) -> None:
            if not done:
                self.notify(empty, severity="warning")
                return
            self.reread_after_step()
            self.notify(_("{verb}: {step}").format(verb=verb, step=done), timeout=2)

        self.app.attempt_then(lambda: step() or "", stepped)  # on the database lane; shown when it answers

    def reread_after_step(self) -> None:
        """A step may touch any statement or code."""
        self.reload_all()

    def on_others_changed(self, message: OthersChanged) -> None:
        """Live refresh found a colleague's changes: show them, unless the researcher acted meanwhile."""
        if message.still_current(self) and self.show_changes(message.state):
            message.shown()

    def show_changes(self, state: CodingState | None) -> bool:
        """Show others' changes (``state``: what a coding screen re-read); False if they could not be."""
        self.reload_all()  # the codebook screen: small, re-read in full
        return True

    def action_refresh(self) -> None:
        self.reload_all()
        self.notify(_("re-read the project"), timeout=1)

    def action_reports(self) -> None:
        self.app.open_reports()

    def action_agreement(self) -> None:
        self.app.open_agreement()

    def action_toggle_live(self) -> None:
        self.app.toggle_live()
