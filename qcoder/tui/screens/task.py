"""Run one slow call (an export, an import, a merge plan) off the UI thread, with progress shown.

Why a screen: exchange work takes from a moment to many seconds on a big project, and the
researcher should see that something is happening and be unable to start a second write
meanwhile. The modal shows a loading indicator and what is being done, runs the call in a
thread worker and closes with its result; a failure becomes one notification line and the
screen closes with None, so callers act only on a real result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, LoadingIndicator
from textual.worker import Worker, WorkerState

from qcoder.i18n import _
from qcoder.store.errors import one_line

T = TypeVar("T")


class TaskScreen(ModalScreen[T | None], Generic[T]):
    """``push_screen(TaskScreen("writing x.docx …", call), done)``: ``done`` gets the result or None."""

    def __init__(self, message: str, call: Callable[[], T], *, url: str = "") -> None:
        super().__init__()
        self.message = message
        self.call = call
        self.url = url

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.message, classes="dialog-title", id="task-message")
            yield LoadingIndicator(id="task-loading")
            yield Label(_("working … (this window closes by itself)"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.run()

    @work(thread=True, exclusive=True, group="task", exit_on_error=False)
    def run(self) -> tuple[bool, Any]:
        """(True, result) or (False, the failure's one line): the worker itself always succeeds."""
        try:
            return True, self.call()
        except Exception as error:
            return False, one_line(error, self.url)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Close only once the worker has finished.

        Dismissing from inside the worker (``call_from_thread(self.dismiss, …)``) removed
        the screen while its worker was still running, and Textual then marked that
        worker cancelled — under load, a finished import or merge looked cancelled.
        """
        if event.worker.group != "task" or event.state != WorkerState.SUCCESS:
            return
        result = event.worker.result
        if result is None:  # a successful worker returns (ok, value)
            return
        ok, value = result
        if ok:
            self.dismiss(value)
        else:
            self._failed(value)

    def _failed(self, message: str) -> None:
        self.notify(message, severity="error", markup=False)
        self.dismiss(None)
