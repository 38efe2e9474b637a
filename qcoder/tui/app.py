"""The qcoder terminal app: opens a project for one coder and hosts the screens.

``run_tui`` is what the CLI calls (``qcoder``, ``qcoder tui``, ``qcoder demo``);
``QcoderApp`` is what tests drive headless. The app owns the one rule every screen
follows: run a Workbench action through ``attempt``, which turns a ``QcoderError``
(or a database error) into a one-line notification and re-reads the true state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.database import Project, describe_db_error, open_project
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.live import DEFAULT_INTERVAL, LiveRefresh
from qcoder.tui.screens.codebook import CodebookScreen
from qcoder.tui.screens.coders import CoderChoiceScreen, rank_coders
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.screens.dialogs import PromptScreen
from qcoder.tui.screens.help import HelpScreen, key_entries

T = TypeVar("T")


class QcoderApp(App[None]):
    CSS_PATH = "qcoder.tcss"
    TITLE = "qcoder"
    BINDINGS = [
        Binding("question_mark", "help", "Keys", key_display="?"),
        Binding("f1", "help", "Keys", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, project: Project, coder_name: str | None,
                 remember: Callable[[str], None] | None = None, *,
                 live: bool = True, live_interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__()
        self.project = project
        self.coder_name = coder_name
        self.remember = remember
        self.workbench: Workbench | None = None
        self.catalog: CodeCatalog | None = None
        self.coding: CodingScreen | None = None
        self.codebook: CodebookScreen | None = None
        self.live = LiveRefresh(self, live_interval, live)  # other coders' changes appear by themselves
        self.action_count = 0  # calls through ``attempt``: a live re-read started before one is stale

    # ------------------------------------------------------------------ start
    def on_mount(self) -> None:
        for notice in self.project.notices:
            self.notify(notice, title="project", timeout=10, markup=False)
        if self.coder_name:
            self.start(self.coder_name)
        else:
            self.ask_coder()

    def ask_coder(self) -> None:
        def answered(name: str | None) -> None:
            if name is None:
                self.exit()
            elif name.strip():
                self.start(name.strip(), remember=True)
            else:
                self.ask_coder()

        self.push_screen(PromptScreen("Who is coding? Your coder name (remembered for this project)"), answered)

    def start(self, coder_name: str, *, remember: bool = False) -> None:
        try:
            self.workbench = Workbench(self.project, coder_name)
        except QcoderError as error:
            self.notify(str(error), severity="error", markup=False)
            self.ask_coder()
            return
        if remember and self.remember is not None:
            self.remember(self.workbench.coder_name)
        self.coder_name = self.workbench.coder_name
        self.sub_title = f"coder: {self.coder_name}"
        self.catalog = CodeCatalog(self.workbench)
        self.coding = CodingScreen(self.workbench, self.catalog)
        self.push_screen(self.coding)
        self.live.start()

    # ------------------------------------------------------------------ the one rule
    def attempt(self, action: Callable[[], T], *, reload: bool = True) -> T | None:
        """Run a Workbench call; on failure notify in one line, re-read, and return None."""
        self.action_count += 1
        try:
            return action()
        except QcoderError as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        except SQLAlchemyError as error:
            message = describe_db_error(error, self.project.url)
        self.notify(message, severity="error", markup=False)
        if reload:
            self.reload_views()
        return None

    def reload_views(self) -> None:
        """Re-read the true state on every main screen (after an error or a refresh)."""
        for screen in (self.coding, self.codebook):
            if screen is not None and screen.is_mounted:
                screen.reload_all()

    # ------------------------------------------------------------------ navigation
    def open_codebook(self) -> None:
        assert self.workbench is not None and self.catalog is not None
        self.codebook = CodebookScreen(self.workbench, self.catalog)
        self.push_screen(self.codebook)

    def close_codebook(self) -> None:
        if self.codebook is not None and self.screen is self.codebook:
            self.pop_screen()
        self.codebook = None
        if self.coding is not None:
            self.coding.reload_all()

    def open_reports(self) -> None:
        """The reports screen over the current one (R / F4 on the coding and codebook screens)."""
        from qcoder.tui.screens.reports import ReportsScreen  # the analyses load when first asked for

        assert self.workbench is not None
        if not isinstance(self.screen, ReportsScreen):
            self.push_screen(ReportsScreen(self.workbench))

    def open_agreement(self) -> None:
        """Ask which coders to compare (the two with most reviews ticked), then the reconcile screen."""
        from qcoder.tui.screens.reconcile import ReconcileScreen  # numpy statistics: only when asked

        workbench = self.workbench
        assert workbench is not None
        found = self.attempt(lambda: (workbench.coders(), workbench.documents()), reload=False)
        if found is None:
            return
        ranked = rank_coders((name for _, name in found[0]), found[1])
        if len(ranked) < 2:
            self.notify("agreement needs at least two coders in the project", severity="warning")
            return

        def chosen(coders: list[str] | None) -> None:
            if coders:
                self.push_screen(ReconcileScreen(workbench, coders=coders))

        self.push_screen(CoderChoiceScreen(ranked), chosen)

    def toggle_live(self) -> None:
        on = self.live.toggle()
        self.notify(f"live refresh on: others' changes appear within {self.live.interval:g} s" if on
                    else "live refresh off: r re-reads the project", timeout=3)

    def show_statement(self, document_id: int, sentence_id: int) -> None:
        """Back to the coding screen at a statement (from the codebook's comparison)."""
        self.close_codebook()
        if self.coding is not None:
            self.coding.jump(document_id, sentence_id)

    # ------------------------------------------------------------------ keys and palette
    def _key_nodes(self, screen: Screen[Any]) -> list[tuple[str, Any]]:
        nodes = list(screen.help_nodes()) if hasattr(screen, "help_nodes") else [(screen.title or "Screen", screen)]
        return nodes

    def action_help(self) -> None:
        screen = self.screen
        entries = key_entries([*self._key_nodes(screen), ("Everywhere", self)])
        entries.append(_palette_entry(self))
        self.push_screen(HelpScreen(entries, screen.title or "qcoder"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if not hasattr(screen, "help_nodes"):
            return
        entries = key_entries(self._key_nodes(screen))
        titles = [entry.description for entry in entries]
        for entry in entries:
            title = entry.description if titles.count(entry.description) == 1 else f"{entry.description} {entry.keys}"
            yield SystemCommand(title, f"key: {entry.keys}", partial(self.run_action, entry.action, entry.node))


def _palette_entry(app: App[Any]) -> Any:
    from qcoder.tui.screens.help import KeyEntry

    return KeyEntry("ctrl+p", "Command palette: every action by name", "command_palette", app, "Everywhere")


def run_tui(db: str | None, coder: str | None) -> None:
    """Open the project, settle who is coding (asked once, remembered per project), run."""
    from qcoder.store.preferences import remember_coder, remembered_coder

    project = open_project(db)
    try:
        name = coder or remembered_coder(project.url)
        if coder:
            remember_coder(project.url, coder)
        app = QcoderApp(project, name, remember=lambda chosen: remember_coder(project.url, chosen))
        app.run()
    finally:
        project.close()
