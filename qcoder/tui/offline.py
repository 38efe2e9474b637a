"""Offline guard: the workbench keeps working when its PostgreSQL server stops answering.

Why: every database call from a screen used to run on the UI thread, so a server that
accepted connections and never answered froze the whole workbench, even ``q``. With a
guard, a call runs in a worker thread and the UI waits at most ``CALL_TIMEOUT_S``; a call
that runs over, or fails because the line to the server is gone, puts the workbench
*offline*: the screen keeps what it last showed, the header says "offline — changes are
not saved", every further action is refused at once without touching the database, and
a probe in a worker thread asks the server every ``PROBE_INTERVAL_S`` until it answers —
then the views are re-read and the workbench is back online by itself.

Only server projects get a guard: a SQLite file has its own bounded busy timeout, and
its calls stay on the UI thread as before.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from qcoder.errors import QcoderError
from qcoder.i18n import N_, _

T = TypeVar("T")

CALL_TIMEOUT_S = 5.0  # the longest the UI waits for one database call before going offline
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


class OfflineGuard:
    """Runs the UI's database calls with a timeout and tracks whether the server answers."""

    def __init__(
        self,
        app: GuardHost,
        probe: Callable[[], object],
        where: str,
        *,
        timeout: float = CALL_TIMEOUT_S,
        probe_interval: float = PROBE_INTERVAL_S,
    ) -> None:
        self.app = app
        self.probe = probe  # a round trip to the server (raises when it does not answer)
        self.where = where  # host:port, for the messages
        self.timeout = timeout
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

    def call(self, action: Callable[[], T]) -> T:
        """``action()`` in a worker thread; ``Offline`` if the guard is offline, the call runs over or the line fails."""
        if self.offline:
            raise Offline(self.refusal)
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["value"] = action()
            except BaseException as error:  # handed to the UI thread, raised there
                box["error"] = error
            finally:
                done.set()
                if box.get("late"):
                    self._late(box)

        threading.Thread(target=work, name="qcoder-db-call", daemon=True).start()
        if not done.wait(self.timeout):
            box["late"] = True
            if done.is_set():  # finished just now, after all
                box.pop("late")
            else:
                self.go_offline()
                raise Offline(self.refusal)
        error = box.get("error")
        if error is not None:
            if _is_unreachable(error):
                self.go_offline()
                raise Offline(self.refusal) from error
            raise error
        return box["value"]

    def _late(self, box: dict[str, Any]) -> None:
        """A call that ran over did finish after all: show the true state once online again."""
        if "error" not in box:
            self._from_thread(self.app.notify, _("the server answered late: the last change was saved after all"))

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
