"""Live refresh: other coders' work appears without pressing the refresh key.

Why polling the event log: every change to a project (a coding, a code, a memo, an
import, a merge) appends a row to ``events``, so "which events have I not seen?" is an
indexed, sub-millisecond question on SQLite and PostgreSQL alike and needs no server push
(``reads.EventMark``: on PostgreSQL, where ids are not handed out in commit order, it also
watches the ids a still-open transaction may commit later). Every few seconds a
thread worker asks it — and whether any of the new events came from someone else. Only
then is the visible state re-read: on the coding screen, in the same worker, the code
tree, the documents and the open document's codings (applied without moving the cursor);
on the codebook screen its own re-read. Own changes are shown already and cost nothing.

Checks run only while the coding or codebook screen is on top with no dialog open, and a
re-read is applied only if nothing went through ``app.attempt`` meanwhile (otherwise it
could undo a chip the researcher just added); a skipped refresh is retried at the next
check, because the mark of what was seen only moves on success.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.screen import ModalScreen
from textual.timer import Timer

from qcoder.coding.reads import EventMark
from qcoder.coding.records import CodeInfo, DocumentSummary
from qcoder.store.ladder import Level
from qcoder.tui.screens.task import one_line

if TYPE_CHECKING:
    from qcoder.coding.workbench import Workbench
    from qcoder.tui.app import QcoderApp

DEFAULT_INTERVAL = 5.0  # seconds between checks


@dataclass
class CodingState:
    """What the coding screen shows, as read in one worker pass."""

    levels: list[Level]
    codes: list[CodeInfo]
    coders: list[tuple[int, str]]
    documents: list[DocumentSummary]
    document_id: int | None
    codings: dict[int, list[tuple[int, int]]]


def read_coding_state(workbench: Workbench, document_id: int | None, all_coders: bool) -> CodingState:
    codings = workbench.document_codings(document_id, all_coders=all_coders) if document_id is not None else {}
    return CodingState(workbench.levels(), workbench.codes(), workbench.coders(), workbench.documents(),
                       document_id, codings)


class LiveRefresh:
    """Owned by the app: a timer, one check in flight at a time, the mark of the events seen."""

    def __init__(self, app: QcoderApp, interval: float = DEFAULT_INTERVAL, enabled: bool = True) -> None:
        self.app = app
        self.interval = interval
        self.enabled = enabled
        self.seen = EventMark()
        self.busy = False
        self.failing = False
        self.timer: Timer | None = None

    def start(self, seen: EventMark | None = None) -> None:
        """Start checking; ``seen`` marks the events already shown (read now if not given)."""
        assert self.app.workbench is not None
        if self.timer is not None:
            self.timer.stop()
        self.seen = self.app.workbench.latest_event() if seen is None else seen
        self.timer = self.app.set_interval(self.interval, self.tick, name="live-refresh")

    def toggle(self) -> bool:
        self.enabled = not self.enabled
        return self.enabled

    # ------------------------------------------------------------------ the check (worker)
    def tick(self) -> None:
        """Start a check when it can be shown: live on, none in flight, a main screen on top."""
        app = self.app
        if not self.enabled or self.busy or app.workbench is None:
            return
        screen = app.screen
        if isinstance(screen, ModalScreen) or screen not in (app.coding, app.codebook):
            return  # a dialog or another screen is on top: check when the researcher is back
        coding = app.coding if screen is app.coding else None
        if coding is not None and coding.rest is not None:
            return  # the open document is still being read (fast launch): check once it is whole
        document_id = coding.document_id if coding is not None else None
        all_coders = coding.show_others if coding is not None else False
        self.busy = True
        seen = self.seen
        app.run_worker(
            lambda: self._check(seen, screen, coding is not None, document_id, all_coders, app.action_count),
            thread=True, group="live-refresh", exit_on_error=False,
        )

    def _check(self, seen: EventMark, screen: Any, read_coding: bool, document_id: int | None, all_coders: bool,
               actions: int) -> None:
        workbench = self.app.workbench
        assert workbench is not None
        try:
            newest, changed = workbench.others_changed(seen)
            state = read_coding_state(workbench, document_id, all_coders) if changed and read_coding else None
        except Exception as error:  # noqa: BLE001 - a lost server is reported once, not every tick
            self._call(self._failed, one_line(error, self.app.project_url))
            return
        self._call(self._checked, seen, screen, newest, changed, state, actions)

    def _call(self, callback: Any, *args: Any) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app is closing
            self.busy = False

    # ------------------------------------------------------------------ applying (UI thread)
    def _failed(self, message: str) -> None:
        self.busy = False
        if not self.failing:
            self.failing = True
            self.app.notify(f"live refresh: {message}", severity="warning", markup=False)

    def _checked(self, seen: EventMark, screen: Any, newest: EventMark, changed: bool, state: CodingState | None,
                 actions: int) -> None:
        self.busy = False
        self.failing = False
        if self.seen is not seen:
            return  # restarted meanwhile (``start``): the next check goes on from the new mark
        if not changed:
            self.seen = newest
            return
        app = self.app
        if app.screen is not screen or actions != app.action_count or not screen.is_mounted:
            return  # the researcher did something meanwhile: read again at the next check
        if state is None:
            screen.reload_all()  # the codebook screen: small, re-read in full
        elif state.document_id == screen.document_id:
            screen.show_state(state)
        else:
            return
        self.seen = newest
