"""The one rule every screen's action follows: run it through ``attempt_then``.

Why a base class of its own: a screen calls ``self.app.attempt_then(...)`` whichever app hosts
it — the workbench (``QcoderApp``) or the smallest app a test shows one screen in — and a
failure it can explain (a ``QcoderError``, a database error) becomes one notification line
worded by ``qcoder.store.errors.user_message``, the same words the command line prints.

Why the UI thread never runs a database call: a server that accepts and never answers, or
a SQLite file another program holds locked, would freeze every key. ``attempt_then`` puts
the call on the database lane (``qcoder.tui.offline.DbLane``) and returns at once; the
lane posts a ``DbDone`` message back and the UI thread goes on with the result there. A
call that has not answered within ``db_timeout`` puts the workbench offline (a server) or
busy (a locked file) while the screen keeps answering keys. There is no waiting form: what
needs an answer in place (the words of a statement being selected) goes on without it and
takes the answer when it comes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.message import Message
from textual.screen import Screen

from qcoder.i18n import N_, _
from qcoder.store.errors import user_message
from qcoder.tui.frame_now import draw_now
from qcoder.tui.offline import CALL_TIMEOUT_S, DbLane, OfflineGuard
from qcoder.tui.visible import clean_update

T = TypeVar("T")

BUSY_SUBTITLE = N_("busy — the project file is locked by another program; changes wait")  # shown as _(…)


@dataclass(eq=False)
class DbCall:
    """One call on the database lane and what the UI does with its answer."""

    future: Future[Any]
    then: Callable[[Any], object] | None  # on the UI thread, with the value
    failed: Callable[[], None] | None  # on the UI thread, when the call was refused, failed or ran over
    reload: bool  # re-read the views after a failure
    holds_keys: bool = False  # what the next key acts on comes with its answer (a document opening)
    overdue: bool = False  # ran over ``db_timeout``: the workbench went offline or busy
    handled: bool = False  # its answer was dealt with already
    deadline: float = 0.0  # ``time.monotonic()`` past which it is overdue (the watchdog checks)


class DbDone(Message):
    """A call on the database lane has answered (posted from the lane's thread)."""

    def __init__(self, call: DbCall) -> None:
        super().__init__()
        self.call = call


class AttemptApp(App[None]):
    """An app whose screens run their actions through ``attempt_then``."""

    action_count = 0  # calls through ``attempt_then``: a live re-read started before one is stale
    offline_guard: OfflineGuard | None = None  # a server project's: offline while the server does not answer
    db_timeout: float = CALL_TIMEOUT_S  # the longest a call may take before the workbench goes offline / busy
    _db_lane: DbLane | None = None
    _db_waiting: set[DbCall] | None = None  # calls in flight, not yet overdue
    _db_stuck: DbCall | None = None  # a SQLite call that ran over: busy until it answers
    _db_watchdog: Any = None  # the one timer that finds overdue calls (``_watch``), armed while calls wait
    _db_watch_at: float = 0.0  # the ``time.monotonic()`` it fires at
    _busy_subtitle: str = ""

    @property
    def is_offline(self) -> bool:
        """The server does not answer: keep the screen as it is, refuse edits (``qcoder.tui.offline``)."""
        return self.offline_guard is not None and self.offline_guard.offline

    @property
    def is_busy(self) -> bool:
        """A call on a SQLite file ran over (locked by another writer): further calls wait until it is done."""
        return self._db_stuck is not None

    @property
    def offline_refusal(self) -> str:
        """The line an edit refused while offline (or busy) shows."""
        if self.offline_guard is not None and self.offline_guard.offline:
            return self.offline_guard.refusal
        if self._db_stuck is not None:
            return _("{busy}: this was not done; qcoder goes on once the other program lets go of the file").format(
                busy=_(BUSY_SUBTITLE)
            )
        return ""

    @property
    def db_pending(self) -> int:
        """Calls on the lane the UI still waits for (not counting one that ran over)."""
        return len(self._db_waiting or ())

    @property
    def db_loading(self) -> bool:
        """A call whose answer the next key acts on is in flight (``hold_keys``): keys wait for it, not longer
        than ``db_timeout`` (an overdue call no longer counts)."""
        return any(call.holds_keys for call in self._db_waiting or ())

    @property
    def project_url(self) -> str:
        """The project named in database errors ("" when there is none to name)."""
        return ""

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        """Every update on its way to the terminal: control characters in text become placeholders."""
        super()._display(screen, clean_update(renderable))

    # ------------------------------------------------------------------ the lane
    def _lane(self) -> DbLane:
        if self._db_lane is None:
            self._db_lane = DbLane()
        return self._db_lane

    def _submit(
        self,
        action: Callable[[], Any],
        then: Callable[[Any], object] | None,
        failed: Callable[[], None] | None,
        reload: bool,
        hold_keys: bool = False,
    ) -> DbCall | None:
        """Queue ``action`` on the lane (None, said at once, when offline or busy)."""
        self.action_count += 1
        refusal = self.offline_refusal
        if refusal:
            self.notify(refusal, severity="warning", markup=False)
            if failed is not None:
                failed()
            return None
        call = DbCall(self._lane().submit(action), then, failed, reload, holds_keys=hold_keys)
        if self._db_waiting is None:
            self._db_waiting = set()
        self._db_waiting.add(call)
        call.deadline = time.monotonic() + self.db_timeout
        # One timer for all calls in flight, not one per call (a toggle's cost); re-armed only if this call
        # is due before it fires (``db_timeout`` was shortened meanwhile).
        if self._db_watchdog is None or call.deadline < self._db_watch_at:
            if self._db_watchdog is not None:
                self._db_watchdog.stop()
            self._arm_watchdog(self.db_timeout, call.deadline)
        call.future.add_done_callback(lambda _done: self.post_message(DbDone(call)))
        return call

    def attempt_then(
        self,
        action: Callable[[], T],
        then: Callable[[T], object] | None = None,
        *,
        reload: bool = True,
        failed: Callable[[], None] | None = None,
        hold_keys: bool = False,
    ) -> bool:
        """Run a Workbench call on the lane and return at once; ``then(value)`` on the UI thread when it answers.

        On failure: one notification line, ``failed()``, and a re-read (``reload``). False if refused at once.
        ``hold_keys``: the keys typed meanwhile wait for the answer (they act on what it shows: the statements
        of a document being opened, the statement a jump goes to), at most ``db_timeout``.
        """
        return self._submit(action, then, failed, reload, hold_keys) is not None

    def on_db_done(self, message: DbDone) -> None:
        call = message.call
        late = call.overdue
        self._settle(call)
        if call is self._db_stuck:
            self._not_busy()
        if call.handled:
            return
        call.handled = True
        if call.future.cancelled():  # queued behind a call that ran over: never run
            if call.failed is not None:
                call.failed()
            return
        if late and self.offline_guard is not None:  # reported offline already; the truth, if it came
            if call.future.exception() is None:
                if call.reload:  # a change, not a read
                    self.notify(_("the server answered late: the last change was saved after all"), markup=False)
                if call.then is not None:
                    call.then(call.future.result())
            return
        value = self._answer(call)
        if call.future.exception() is None and call.then is not None:
            call.then(value)
            draw_now(self)  # the answer on screen in the next frame, not a paint slot later (``frame_now``)

    def _settle(self, call: DbCall) -> None:
        if self._db_waiting is not None:
            self._db_waiting.discard(call)

    def _watch(self) -> None:
        """The watchdog: calls past their deadline are overdue; it re-arms for the next deadline, if any.

        Why one timer: a timer per call costs about as much as the rest of a toggle on the UI thread,
        and nearly every call answers long before ``db_timeout``.
        """
        self._db_watchdog = None
        now = time.monotonic()
        for call in sorted(self._db_waiting or (), key=lambda c: c.deadline):
            if call.deadline <= now:
                self._overdue(call)
        waiting = self._db_waiting or ()
        if waiting and self._db_watchdog is None:
            due = min(call.deadline for call in waiting)
            self._arm_watchdog(max(due - now, 0.001), due)

    def _arm_watchdog(self, delay: float, due: float) -> None:
        self._db_watch_at = due
        self._db_watchdog = self.set_timer(delay, self._watch, name="db-call-timeout")

    def _answer(self, call: DbCall) -> Any:
        """The call's value; its failure said in one line (and ``failed``, and a re-read) — then None."""
        error = call.future.exception()
        if error is None:
            return call.future.result()
        if call.failed is not None:
            call.failed()
        guard = self.offline_guard
        if guard is not None and guard.is_unreachable(error):
            guard.go_offline()
            self.notify(guard.refusal, severity="warning", markup=False)
            return None
        message = user_message(error, self.project_url)
        if message is None:
            raise error  # a bug, not a failure the researcher can act on
        self.notify(message, severity="error", markup=False)
        if call.reload:
            self.reload_views()
        return None

    def _overdue(self, call: DbCall) -> None:
        """The call has not answered in time: offline (a server) or busy (a locked file); keys go on."""
        if call.future.done() or call.overdue:
            return
        call.overdue = True
        self._settle(call)
        guard = self.offline_guard
        if guard is not None:  # said now; its late answer, if any, is shown as the truth (``on_db_done``)
            if call.failed is not None:
                call.failed()
            guard.go_offline()
            self.notify(guard.refusal, severity="warning", markup=False)
            self._lane().abandon()  # the calls queued behind it are cancelled: nothing else was done
            return
        if self._db_stuck is not None:
            return  # queued behind the call the workbench is busy with: said already
        self._db_stuck = call
        self._busy_subtitle = str(self.sub_title or "")
        busy = _(BUSY_SUBTITLE)
        self.sub_title = f"{busy} · {self._busy_subtitle}" if self._busy_subtitle else busy
        self.notify(
            _(
                "{busy}: the project file is locked by another program (a sync client, another qcoder?); "
                "the change is kept waiting and is saved when the file is free"
            ).format(busy=busy),
            severity="warning",
            timeout=10,
            markup=False,
        )

    def _not_busy(self) -> None:
        self._db_stuck = None
        self.sub_title = self._busy_subtitle
        self.notify(_("the project file is free again"), timeout=3)

    def reload_views(self) -> None:
        """Re-read the true state on every main screen (after an error or a refresh)."""

    def on_unmount(self) -> None:
        if self._db_lane is not None:  # its thread ends (once a stuck call, if any, returns)
            self._db_lane.close()
            self._db_lane = None


class WorkbenchHost(AttemptApp):
    """The app the coding and codebook screens live in (``QcoderApp``), as they see it.

    Its own class so the screens can name their app's type without importing ``qcoder.tui.app``,
    which imports them; the methods are declared for the type checker only and QcoderApp defines them.
    """

    if TYPE_CHECKING:

        def open_codebook(self, code_id: int | None = None) -> None: ...

        def close_codebook(self) -> None: ...

        def open_reports(self) -> None: ...

        def open_agreement(self) -> None: ...

        def toggle_live(self) -> None: ...

        def show_statement(self, document_id: int, sentence_id: int) -> None: ...
