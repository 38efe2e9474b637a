"""Offline guard: the workbench keeps working when its PostgreSQL server stops answering.

Why: every database call from a screen used to run on the UI thread, so a server that
accepted connections and never answered froze the whole workbench, even ``q``. Calls now
run on the database lane (``DbLane``, one worker thread, in order) and the UI is told of
their results by a message (``qcoder.tui.attempt``); a call that has not answered within
``CALL_TIMEOUT_S``, or fails because the line to the server is gone, puts the workbench
*offline*: the screen keeps what it last showed, the header says "offline — changes are
not saved", every further action is refused at once without touching the database, and
a probe in a worker thread asks the server every ``PROBE_INTERVAL_S`` until it answers —
then the views are re-read and the workbench is back online by itself.

Only server projects get a guard. A SQLite file has no server to lose; a call on it that
runs over (the file locked by another writer) makes the workbench *busy* until that call
finishes (``AttemptApp``): nothing is given up, since the lock is bounded by the busy timeout.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, Protocol, TypeVar

from qcoder.errors import QcoderError
from qcoder.i18n import N_, _

T = TypeVar("T")

CALL_TIMEOUT_S = 5.0  # the longest a database call may take before the workbench goes offline (or busy)
PROBE_INTERVAL_S = 2.0  # how often an offline workbench asks whether the server is back

OFFLINE_SUBTITLE = N_("offline — changes are not saved")  # an id: shown as _(OFFLINE_SUBTITLE)


class Offline(QcoderError):
    """The server does not answer: the action was not done (and nothing was saved)."""


class GuardHost(Protocol):
    """What the guard needs of the app (``QcoderApp``)."""

    sub_title: Any

    def notify(self, message: str, *, severity: Any = "information", timeout: float | None = None) -> None: ...

    def set_interval(self, interval: float, callback: Any, *, name: str | None = None) -> Any: ...

    def call_from_thread(self, callback: Any, *args: Any) -> Any: ...

    def reload_views(self) -> None: ...


def _is_unreachable(error: BaseException) -> bool:
    from qcoder.store.database import is_unreachable  # SQLAlchemy is loaded by then: an error came from it

    cause: BaseException | None = error
    while cause is not None:  # a QcoderError raised from the database error carries it as its cause
        if is_unreachable(cause):
            return True
        cause = cause.__cause__
    return False


class DbLane:
    """One daemon thread that runs the UI's database calls one after another, in the order asked.

    Why one thread: the Workbench and its session are not meant for two threads at once, and
    a change asked for after another must land after it. Why a daemon thread of its own (not
    a ``ThreadPoolExecutor``): a call stuck on a server that never answers must not keep the
    program from exiting. ``abandon`` leaves a stuck call behind: the calls queued after it
    are cancelled and later ones get a fresh thread.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] | None = None

    def submit(self, action: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        if self._queue is None:
            self._queue = queue.SimpleQueue()
            threading.Thread(target=_run_lane, args=(self._queue,), name="qcoder-db", daemon=True).start()
        self._queue.put((future, action))
        return future

    def abandon(self) -> None:
        """Leave the running call to its thread; cancel the calls waiting behind it."""
        lane, self._queue = self._queue, None
        if lane is None:
            return
        while True:
            try:
                item = lane.get_nowait()
            except queue.Empty:
                break
            if item is not None:
                item[0].cancel()
        lane.put(None)  # the thread ends once its stuck call returns

    def close(self) -> None:
        self.abandon()


def _run_lane(lane: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None]) -> None:
    while True:
        item = lane.get()
        if item is None:
            return
        future, action = item
        if not future.set_running_or_notify_cancel():
            continue
        try:
            value = action()
        except BaseException as error:  # handed to the UI thread with the result
            future.set_exception(error)
        else:
            future.set_result(value)


class OfflineGuard:
    """Tracks whether the server answers: offline after a call ran over or lost the line, probing until back."""

    def __init__(
        self,
        app: GuardHost,
        probe: Callable[[], object],
        where: str,
        *,
        probe_interval: float = PROBE_INTERVAL_S,
    ) -> None:
        self.app = app
        self.probe = probe  # a round trip to the server (raises when it does not answer)
        self.where = where  # host:port, for the messages
        self.probe_interval = probe_interval
        self.offline = False
        self.online_subtitle: str = ""
        self._probing = False
        self._timer: Any = None

    @property
    def refusal(self) -> str:
        return _("{offline}: the server at {where} does not answer; waiting for it to come back").format(
            offline=_(OFFLINE_SUBTITLE), where=self.where
        )

    def _from_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is closing (or this is the UI thread)
            self.app.call_from_thread(callback, *args)

    # ------------------------------------------------------------------ offline and back
    def go_offline(self) -> None:
        """Say so once, keep the screen as it is, and start probing for the server."""
        if self.offline:
            return
        self.offline = True
        self.online_subtitle = str(self.app.sub_title or "")
        offline = _(OFFLINE_SUBTITLE)
        self.app.sub_title = f"{offline} · {self.online_subtitle}" if self.online_subtitle else offline
        self.app.notify(
            _(
                "{offline}: cannot reach the server at {where}; the screen shows the last state read, "
                "and qcoder reconnects by itself"
            ).format(offline=offline, where=self.where),
            severity="warning",
            timeout=10,
        )
        if self._timer is None:
            self._timer = self.app.set_interval(self.probe_interval, self._tick, name="offline-probe")
        else:
            self._timer.resume()

    def _tick(self) -> None:
        if not self.offline or self._probing:
            return
        self._probing = True
        threading.Thread(target=self._probe, name="qcoder-db-probe", daemon=True).start()

    def _probe(self) -> None:
        try:
            self.probe()
        except Exception:
            self._from_thread(self._probed, False)
            return
        self._from_thread(self._probed, True)

    def _probed(self, answered: bool) -> None:
        self._probing = False
        if answered and self.offline:
            self.back_online()

    def back_online(self) -> None:
        self.offline = False
        if self._timer is not None:
            self._timer.pause()
        self.app.sub_title = self.online_subtitle
        self.app.notify(
            _("back online: the server at {where} answers again; re-read the project").format(where=self.where),
            timeout=5,
        )
        self.app.reload_views()

    def is_unreachable(self, error: BaseException) -> bool:
        """The error says the line to the server is gone (not a refusal the researcher can act on)."""
        return _is_unreachable(error)

    def notice_failure(self, error: BaseException) -> bool:
        """A worker elsewhere (live refresh) failed: go offline if the line is gone; True if so."""
        if _is_unreachable(error):
            self.go_offline()
            return True
        return False


def guard_for(app: GuardHost, project: Any) -> OfflineGuard | None:
    """The guard for ``project``'s app: one for a server project, None for a SQLite file."""
    if project.is_sqlite:
        return None
    from qcoder.store.database import server_address

    def probe() -> None:
        with project.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    return OfflineGuard(app, probe, server_address(project.url))
