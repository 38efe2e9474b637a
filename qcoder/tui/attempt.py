"""The one rule every screen's action follows: run it through ``attempt``.

Why a base class of its own: a screen calls ``self.app.attempt(...)`` whichever app hosts
it — the workbench (``QcoderApp``) or the smallest app a test shows one screen in — and a
failure it can explain (a ``QcoderError``, a database error) becomes one notification line
worded by ``qcoder.store.errors.user_message``, the same words the command line prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.screen import Screen

from qcoder.store.errors import user_message
from qcoder.tui.offline import Offline, OfflineGuard
from qcoder.tui.visible import clean_update

T = TypeVar("T")


class AttemptApp(App[None]):
    """An app whose screens run their actions through ``attempt``."""

    action_count = 0  # calls through ``attempt``: a live re-read started before one is stale
    offline_guard: OfflineGuard | None = None  # a server project's: calls in a worker, with a timeout

    @property
    def is_offline(self) -> bool:
        """The server does not answer: keep the screen as it is, refuse edits (``qcoder.tui.offline``)."""
        return self.offline_guard is not None and self.offline_guard.offline

    @property
    def offline_refusal(self) -> str:
        """The line an edit refused while offline shows."""
        return self.offline_guard.refusal if self.offline_guard is not None else ""

    @property
    def project_url(self) -> str:
        """The project named in database errors ("" when there is none to name)."""
        return ""

    def _display(self, screen: Screen[Any], renderable: Any) -> None:
        """Every update on its way to the terminal: control characters in text become placeholders."""
        super()._display(screen, clean_update(renderable))

    def attempt(self, action: Callable[[], T], *, reload: bool = True) -> T | None:
        """Run a Workbench call; on failure notify in one line, re-read (``reload``), and return None."""
        self.action_count += 1
        guard = self.offline_guard
        try:
            return action() if guard is None else guard.call(action)
        except Offline as error:  # nothing was done; the screen keeps the last state it read
            self.notify(str(error), severity="warning", markup=False)
            return None
        except Exception as error:
            message = user_message(error, self.project_url)
            if message is None:
                raise  # a bug, not a failure the researcher can act on
        self.notify(message, severity="error", markup=False)
        if reload:
            self.reload_views()
        return None

    def reload_views(self) -> None:
        """Re-read the true state on every main screen (after an error or a refresh)."""


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
