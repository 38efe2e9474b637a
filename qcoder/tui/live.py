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

Checks run only while the coding or codebook screen is on top with no dialog open. What a
check found reaches the screen as an ``OthersChanged`` message, which the screen applies
only if nothing went through ``app.attempt_then`` meanwhile (otherwise it could undo a chip the
researcher just added); a skipped refresh is retried at the next check, because the mark
of what was seen only moves once a screen has shown the changes. This module knows the
app and the screens only through ``LiveHost``: they import it, not the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer

from qcoder.coding.reads import EventMark
from qcoder.coding.records import CodeInfo, DocumentSummary
from qcoder.i18n import _
from qcoder.store.errors import one_line
from qcoder.store.ladder import Level

if TYPE_CHECKING:
    from qcoder.coding.workbench import Workbench

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
    return CodingState(
        workbench.levels(), workbench.codes(), workbench.coders(), workbench.documents(), document_id, codings
    )


class LiveHost(Protocol):
    """What live refresh needs of the app (``QcoderApp``)."""

    workbench: Any  # the Workbench, or the PendingWorkbench of a fast launch
    coding: Any  # the coding screen, once shown
    codebook: Any  # the codebook screen, while open
    action_count: int  # calls through ``attempt_then`` so far

    @property
    def project_url(self) -> str: ...

    @property
    def screen(self) -> Screen[Any]: ...

    def set_interval(self, interval: float, callback: Any, *, name: str | None = None) -> Timer: ...

    def run_worker(
        self, work: Any, *, thread: bool = False, group: str = "default", exit_on_error: bool = True
    ) -> Any: ...

    def call_from_thread(self, callback: Any, *args: Any) -> Any: ...

    def notify(self, message: str, *, severity: Any = "information", markup: bool = True) -> None: ...


class OthersChanged(Message, bubble=False):
    """Posted to the screen a check was made for: someone else changed the project.

    ``state`` is the coding screen's re-read (None for the codebook screen, which re-reads
    itself). The screen shows it only if ``still_current``, then calls ``shown`` so the next
    check starts from here; otherwise the next check reads again.
    """

    def __init__(
        self, live: LiveRefresh, seen: EventMark, newest: EventMark, state: CodingState | None, actions: int
    ) -> None:
        super().__init__()
        self.live = live
        self.seen = seen
        self.newest = newest
        self.state = state
        self.actions = actions

    def still_current(self, screen: Screen[Any]) -> bool:
        """Nothing happened since the check: same screen on top, no action, live refresh not restarted."""
        app = self.live.app
        return (
            self.live.seen is self.seen
            and app.screen is screen
            and screen.is_mounted
            and app.action_count == self.actions
        )

    def shown(self) -> None:
        """The screen shows the changes: the next check asks what came after them."""
        if self.live.seen is self.seen:
            self.live.seen = self.newest


class LiveRefresh:
    """Owned by the app: a timer, one check in flight at a time, the mark of the events seen."""

    def __init__(self, app: LiveHost, interval: float = DEFAULT_INTERVAL, enabled: bool = True) -> None:
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
        if not self.enabled or self.busy or app.workbench is None or getattr(app, "is_offline", False):
            return  # (offline: the offline guard probes the server, and re-reads when it is back)
        screen = app.screen
        if isinstance(screen, ModalScreen) or screen not in (app.coding, app.codebook):
            return  # a dialog or another screen is on top: check when the researcher is back
        coding: Any = app.coding if screen is app.coding else None  # the CodingScreen (live sits below the screens)
        if coding is not None and coding.rest is not None:
            return  # the open document is still being read (fast launch): check once it is whole
        document_id = coding.document_id if coding is not None else None
        all_coders = coding.show_others if coding is not None else False
        self.busy = True
        seen = self.seen
        app.run_worker(
            lambda: self._check(seen, screen, coding is not None, document_id, all_coders, app.action_count),
            thread=True,
            group="live-refresh",
            exit_on_error=False,
        )

    def _check(
        self, seen: EventMark, screen: Any, read_coding: bool, document_id: int | None, all_coders: bool, actions: int
    ) -> None:
        workbench = self.app.workbench
        assert workbench is not None
        try:
            newest, changed = workbench.others_changed(seen)
            state = read_coding_state(workbench, document_id, all_coders) if changed and read_coding else None
        except Exception as error:
            self._call(self._failed, one_line(error, self.app.project_url), error)
            return
        self._call(self._checked, seen, screen, newest, changed, state, actions)

    def _call(self, callback: Any, *args: Any) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app is closing
            self.busy = False

    # ------------------------------------------------------------------ applying (UI thread)
    def _failed(self, message: str, error: BaseException | None = None) -> None:
        self.busy = False
        guard = getattr(self.app, "offline_guard", None)
        if guard is not None and error is not None and guard.notice_failure(error):
            return  # the server is gone: the guard says so, and probes until it is back
        if not self.failing:
            self.failing = True
            self.app.notify(_("live refresh: {message}").format(message=message), severity="warning", markup=False)

    def _checked(
        self, seen: EventMark, screen: Any, newest: EventMark, changed: bool, state: CodingState | None, actions: int
    ) -> None:
        self.busy = False
        self.failing = False
        if self.seen is not seen:
            return  # restarted meanwhile (``start``): the next check goes on from the new mark
        if not changed:
            self.seen = newest
            return
        if screen.is_mounted:
            screen.post_message(OthersChanged(self, seen, newest, state, actions))
