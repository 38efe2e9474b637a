"""What a fast launch leaves to do once the first frame is on screen.

When the first screen came from ``first_look`` (plain sqlite3, the first statements of
the first document), two pieces of work remain, done in one thread after that frame:
the rest of the opened document (``RestLoad``: read from the same snapshot, its lines
wrapped), then the engine (``PendingWorkbench``: SQLAlchemy, the project, the real
``Workbench``). Reading and moving need neither. Anything that does — the End key, a
toggle pressed in the first half second, a live-refresh check — waits for that piece
(or does it, if the thread has not reached it), so no keystroke is lost and every
action is still committed before it is shown.

The thread never waits for the UI thread: it posts messages, and whichever of the
message or a waiting action comes first applies the result.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from qcoder.errors import QcoderError
from qcoder.i18n import N_, _
from qcoder.store.errors import one_line

if TYPE_CHECKING:
    import numpy as np

    from qcoder.coding.first_look import RestOfDocument
    from qcoder.coding.reads import Codings
    from qcoder.coding.records import StatementRow
    from qcoder.coding.workbench import Workbench

T = TypeVar("T")


class Once(Generic[T]):
    """A piece of work run at most once, by whichever thread gets to it first; the others wait."""

    def __init__(self, work: Callable[[], T], describe: str) -> None:
        self._work = work
        self._describe = describe
        self._lock = threading.Lock()
        self._started = False
        self._done = threading.Event()
        self._value: T | None = None
        self._error: QcoderError | None = None

    @property
    def started(self) -> bool:
        return self._started

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def error(self) -> QcoderError | None:
        return self._error if self._done.is_set() else None

    def run(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        try:
            self._value = self._work()
        except QcoderError as error:
            self._error = error
        except Exception as error:
            self._error = QcoderError(f"{_(self._describe)}: {one_line(error)}")
        finally:
            self._done.set()

    def result(self) -> T:
        """The work's result, doing the work here if no thread has started it; raises its error."""
        self.run()
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


class PendingWorkbench:
    """Stands in for the Workbench until ``load`` has built it; forwards every other use to it."""

    def __init__(self, db: str | os.PathLike[str] | None, coder_id: int, coder_name: str) -> None:
        self.coder_id = coder_id
        self.coder_name = coder_name
        self._db = db
        self._once: Once[Workbench] = Once(self._open, N_("cannot open the project"))

    def _open(self) -> Workbench:
        from qcoder.coding.workbench import Workbench
        from qcoder.store.database import open_project

        return Workbench(open_project(self._db, create=False), self.coder_name)

    @property
    def loaded(self) -> bool:
        return self._once.done

    @property
    def loading(self) -> bool:
        """Started (by the launch thread or a waiting action) and not finished yet."""
        return self._once.started and not self._once.done

    @property
    def error(self) -> QcoderError | None:
        return self._once.error

    def load(self) -> None:
        self._once.run()

    def ready(self) -> Workbench:
        """The real Workbench, waiting for (or doing) the load."""
        return self._once.result()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # never forward private names (copying, a half-built object)
            raise AttributeError(name)
        return getattr(self.ready(), name)


class RestLoad:
    """The rest of the first document: its statements, this coder's codings and wrapped line counts."""

    def __init__(self, rest: RestOfDocument) -> None:
        self.rest = rest
        # The text width to count wrapped lines for, set (on the UI thread) before the
        # background thread starts; 0 leaves the counting to the view.
        self.width = 0
        self._once: Once[tuple[list[StatementRow], Codings, np.ndarray | None]] = Once(
            self._read, N_("could not read the rest of the document")
        )

    def _read(self) -> tuple[list[StatementRow], Codings, np.ndarray | None]:
        rows, codings = self.rest.read()
        if self.width <= 0:
            return rows, codings, None
        from qcoder.tui.layout import count_all_lines

        return rows, codings, count_all_lines([row.text for row in rows], self.width)

    def run(self) -> None:
        self._once.run()

    @property
    def done(self) -> bool:
        """Read (or failed): ``result`` answers at once."""
        return self._once.done

    def result(self) -> tuple[list[StatementRow], Codings, np.ndarray | None]:
        return self._once.result()
