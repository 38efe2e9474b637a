"""The qcoder terminal app: opens a project for one coder and hosts the screens.

``run_tui`` is what the CLI calls (``qcoder``, ``qcoder tui``, ``qcoder demo``);
``QcoderApp`` is what tests drive headless, and ``open_app`` builds it the way the CLI
does. The app keeps the one rule every screen follows (``AttemptApp``): run a Workbench
action through ``attempt_then``, which turns a ``QcoderError`` (or a database error) into a
one-line notification and re-reads the true state.

Launch: when ``first_look`` can read the opening screen with plain sqlite3, the app
shows it at once and loads the engine (SQLAlchemy, the project, the Workbench) in a
thread after the first frame — see ``engine.PendingWorkbench``. This module therefore
imports nothing of SQLAlchemy; a test keeps it that way.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen

from qcoder.errors import QcoderError
from qcoder.i18n import N_, _, choose_language, set_language
from qcoder.tui.attempt import WorkbenchHost
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.engine import PendingWorkbench, RestLoad
from qcoder.tui.file_watch import FileWatch, said_by_watch, watch_for
from qcoder.tui.keys import OrderedKeys
from qcoder.tui.live import DEFAULT_INTERVAL, LiveRefresh
from qcoder.tui.offline import guard_for
from qcoder.tui.screens.coding import CodingScreen
from qcoder.tui.translate import translate_bindings

if TYPE_CHECKING:
    from qcoder.coding.first_look import FirstLook
    from qcoder.coding.workbench import Workbench
    from qcoder.store.database import Project
    from qcoder.tui.screens.codebook import CodebookScreen


class RestReady(Message):
    """The background thread has read the rest of the first document."""

    def __init__(self, load: RestLoad) -> None:
        super().__init__()
        self.load = load


class EngineReady(Message):
    """The background thread has loaded the engine (or failed to)."""

    def __init__(self, pending: PendingWorkbench) -> None:
        super().__init__()
        self.pending = pending


class QcoderApp(OrderedKeys, WorkbenchHost):
    CSS_PATH = "qcoder.tcss"
    TITLE = "qcoder"
    BINDINGS = [
        Binding("question_mark", "help", N_("Keys"), key_display="?"),
        Binding("f1", "help", N_("Keys"), show=False),
        Binding("q", "quit", N_("Quit")),
    ]

    def __init__(
        self,
        project: Project | None,
        coder_name: str | None,
        remember: Callable[[str], None] | None = None,
        *,
        live: bool = True,
        live_interval: float = DEFAULT_INTERVAL,
        first_look: FirstLook | None = None,
        db: str | os.PathLike[str] | None = None,
        language: str = "en",
        where: dict[str, Any] | None = None,
        keep_where: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Open on ``project``; or, with ``first_look`` (read from ``db``) and no project, show it and load later.

        ``language``: the interface language (``open_app`` chooses it: ``--lang``, preference, project, locale).
        """
        self.language = set_language(language)  # before any screen is built: they translate as they are made
        self.where = where  # where this coder left off: document, statement, number keys (``CodingScreen.resume``)
        self.keep_where = keep_where
        super().__init__()
        translate_bindings(self)
        if project is None and first_look is None:
            raise ValueError("QcoderApp needs an open project or a first look")
        self._project = project
        self.first_look = first_look
        self._db = db
        self.coder_name = first_look.coder_name if first_look is not None and project is None else coder_name
        self.remember = remember
        self.workbench: Workbench | PendingWorkbench | None = None
        self.catalog: CodeCatalog | None = None
        self.coding: CodingScreen | None = None
        self.codebook: CodebookScreen | None = None
        self.live = LiveRefresh(self, live_interval, live)  # other coders' changes appear by themselves
        self.file_watch: FileWatch | None = None  # a SQLite project's file (``qcoder.tui.file_watch``)

    @property
    def project(self) -> Project:
        """The open project (right after a fast launch this waits for the engine to load)."""
        if self._project is None:
            assert isinstance(self.workbench, PendingWorkbench)
            self._project = self.workbench.ready().project
        return self._project

    @property
    def project_url(self) -> str:
        """The project's URL for messages, known without waiting for the engine."""
        if self._project is None and self.first_look is not None:
            return self.first_look.url
        return self.project.url

    # ------------------------------------------------------------------ start
    def screen_ready(self) -> bool:
        """Keys wait for the first screen (the coding screen, or the question who is coding)."""
        return len(self.screen_stack) > 1

    def keys_wait(self) -> bool:
        """Keys wait while a document they act on is being read (``attempt_then(hold_keys=True)``), and
        after a key kept until the rest of a fast launch's document arrives (End before it is in)."""
        if self.db_loading:
            return True
        coding = self.coding
        return coding is not None and coding.is_mounted and bool(coding.view.after_rest)

    def on_mount(self) -> None:
        if self._project is None:
            self.start_from_first_look()
            return
        self._show_notices(self._project.notices)
        self.offline_guard = guard_for(self, self._project)
        if self.coder_name:
            self.start(self.coder_name)
        else:
            self.ask_coder()

    def _show_notices(self, notices: list[str]) -> None:
        said = said_by_watch(self._project) if self._project is not None else None
        for notice in notices:
            if notice != said:  # the file watch says that one in the interface's language
                self.notify(notice, title=_("project"), timeout=10, markup=False)

    def _watch_files(self) -> None:
        """Once the project and the coder are known: warn about a synced folder, look for vanished -wal/-shm."""
        if self.file_watch is None and self._project is not None:
            self.file_watch = watch_for(self, self._project)

    def start_from_first_look(self) -> None:
        """Show the first look now; load the engine in a thread once that frame is drawn."""
        look = self.first_look
        assert look is not None
        pending = PendingWorkbench(self._db, look.coder_id, look.coder_name)
        self.workbench = pending
        self.sub_title = _("coder: {name}").format(name=self.coder_name)
        self.catalog = CodeCatalog(pending)  # type: ignore[arg-type]  # forwards to the Workbench
        self.coding = CodingScreen(pending, self.catalog, first_look=look)  # type: ignore[arg-type]
        self.coding.resume = self.where
        self.push_screen(self.coding)
        load = RestLoad(look.rest) if look.rest is not None else None
        if load is not None:
            self.coding.expect_rest(load)  # from now on, whatever needs the whole document waits for it
        self.live.start(seen=look.latest_event)
        self.call_after_refresh(self._finish_launch, pending, load)

    def _finish_launch(self, pending: PendingWorkbench, load: RestLoad | None) -> None:
        """After the first frame, in one thread: load the engine, then read the rest of the document.

        The engine first: coding the statement on screen is the likelier first wish than
        jumping to the end of a long document (which waits for the rest if it must). The
        thread only posts messages (it never waits for this one), so an action that needs
        a result first can wait for it here without a deadlock.
        """
        if load is not None and self.coding is not None:
            load.width = self.coding.view.text_width()

        def work() -> None:
            pending.load()
            self.post_message(EngineReady(pending))
            if load is not None:
                load.run()
                self.post_message(RestReady(load))

        threading.Thread(target=work, name="qcoder-launch", daemon=True).start()

    def on_rest_ready(self, message: RestReady) -> None:
        if self.coding is not None:
            self.coding.apply_rest(message.load)

    def on_engine_ready(self, message: EngineReady) -> None:
        pending = message.pending
        if pending.error is not None:
            self.notify(str(pending.error), severity="error", markup=False)
            return
        if self._project is None:
            self._project = pending.ready().project
        self._show_notices(self._project.notices)
        self._watch_files()

    def ask_coder(self) -> None:
        from qcoder.tui.screens.dialogs import PromptScreen  # a text-area theme and more: not for the first frame

        def answered(name: str | None) -> None:
            if name is None:
                self.exit()
            elif name.strip():
                self.start(name.strip(), remember=True)
            else:
                self.ask_coder()

        self.push_screen(PromptScreen(_("Who is coding? Your coder name (remembered for this project)")), answered)

    def start(self, coder_name: str, *, remember: bool = False) -> None:
        """Open the coding screen for this coder, the coder looked up (or joined) on the database lane.

        Keys typed meanwhile wait for the coding screen (``hold_keys``); a server that does not
        answer puts the workbench offline with the question answered, and the screen opens when
        it answers.
        """
        from qcoder.coding.workbench import Workbench

        project = self.project

        def open_coder() -> tuple[Workbench, Any]:
            workbench = Workbench(project, coder_name)
            return workbench, workbench.latest_event()  # live refresh shows what comes after this

        self.attempt_then(
            open_coder,
            lambda opened: self._started(*opened, remember),
            reload=False,
            failed=self._not_started,
            hold_keys=True,
        )

    def _not_started(self) -> None:
        """The coder could not be opened (said in one line already): ask again, unless the server is away."""
        if not self.is_offline:
            self.ask_coder()

    def _started(self, workbench: Workbench, seen: Any, remember: bool) -> None:
        self.workbench = workbench
        if remember and self.remember is not None:
            self.remember(self.workbench.coder_name)
        self.coder_name = self.workbench.coder_name
        self.sub_title = _("coder: {name}").format(name=self.coder_name)
        self.catalog = CodeCatalog(self.workbench)
        self.coding = CodingScreen(self.workbench, self.catalog)
        self.coding.resume = self.where
        self.push_screen(self.coding)
        self.live.start(seen=seen)
        self._watch_files()

    def close_project(self) -> None:
        """Release the database (after the app has exited), remembering where the coder was.

        An engine still loading is waited for.
        """
        if self.keep_where is not None and self.coding is not None:
            state = self.coding.where_state()
            if state:
                self.keep_where(state)
        pending = self.workbench
        if self._project is None and isinstance(pending, PendingWorkbench) and (pending.loaded or pending.loading):
            try:
                self._project = pending.ready().project
            except QcoderError:
                return  # it never opened: nothing to release
        if self._project is not None:
            self._project.close()

    # ------------------------------------------------------------------ the one rule (``AttemptApp.attempt_then``)
    def reload_views(self) -> None:
        """Re-read the true state on every main screen (after an error or a refresh)."""
        for screen in (self.coding, self.codebook):
            if screen is not None and screen.is_mounted:
                screen.reload_all()

    # ------------------------------------------------------------------ navigation
    def open_codebook(self, code_id: int | None = None) -> None:
        """The codebook screen over the coding screen (on ``code_id`` when given: a memo's code)."""
        from qcoder.tui.screens.codebook import CodebookScreen

        assert self.workbench is not None and self.catalog is not None
        self.codebook = CodebookScreen(self.workbench, self.catalog)  # type: ignore[arg-type]
        self.codebook.initial_code = code_id

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
            self.push_screen(ReportsScreen(self.workbench))  # type: ignore[arg-type]

    def open_agreement(self) -> None:
        """Ask which coders to compare (the two with most reviews ticked), then the reconcile screen."""
        from qcoder.tui.screens.coders import CoderChoiceScreen, rank_coders
        from qcoder.tui.screens.reconcile import ReconcileScreen  # numpy statistics: only when asked

        workbench = self.workbench
        assert workbench is not None

        def chosen(coders: list[str] | None) -> None:
            if coders:
                self.push_screen(ReconcileScreen(workbench, coders=coders))  # type: ignore[arg-type]

        def found(read: tuple[list[tuple[int, str]], list[Any]]) -> None:
            ranked = rank_coders((name for _, name in read[0]), read[1])
            if len(ranked) < 2:
                self.notify(_("agreement needs at least two coders in the project"), severity="warning")
                return
            self.push_screen(CoderChoiceScreen(ranked), chosen)

        self.attempt_then(lambda: (workbench.coders(), workbench.documents()), found, reload=False)

    def toggle_live(self) -> None:
        on = self.live.toggle()
        self.notify(
            _("live refresh on: others' changes appear within {seconds} s").format(seconds=f"{self.live.interval:g}")
            if on
            else _("live refresh off: r re-reads the project"),
            timeout=3,
        )

    def show_statement(self, document_id: int, sentence_id: int) -> None:
        """Back to the coding screen at a statement (from the codebook's comparison)."""
        self.close_codebook()
        if self.coding is not None:
            self.coding.jump(document_id, sentence_id)

    # ------------------------------------------------------------------ keys and palette
    def _key_nodes(self, screen: Screen[Any]) -> list[tuple[str, Any]]:
        nodes = list(screen.help_nodes()) if hasattr(screen, "help_nodes") else [(screen.title or _("Screen"), screen)]
        return nodes

    def action_help(self) -> None:
        from qcoder.tui.screens.help import HelpScreen, key_entries

        screen = self.screen
        translate_bindings(self)  # the palette's key joins after start-up
        entries = key_entries([*self._key_nodes(screen), (_("Everywhere"), self)])
        entries.append(_palette_entry(self))
        self.push_screen(HelpScreen(entries, screen.title or "qcoder"))

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from qcoder.tui.screens.help import key_entries

        for command in super().get_system_commands(screen):
            yield command._replace(title=_(command.title), help=_(command.help))
        if not hasattr(screen, "help_nodes"):
            return
        entries = key_entries(self._key_nodes(screen))
        titles = [entry.description for entry in entries]
        for entry in entries:
            title = entry.description if titles.count(entry.description) == 1 else f"{entry.description} {entry.keys}"
            yield SystemCommand(
                title, _("key: {keys}").format(keys=entry.keys), partial(self.run_action, entry.action, entry.node)
            )


def _palette_entry(app: App[Any]) -> Any:
    from qcoder.tui.screens.help import KeyEntry

    return KeyEntry("ctrl+p", _("Command palette: every action by name"), "command_palette", app, _("Everywhere"))


def _project_language(path: Path | None, project: Project | None) -> str | None:
    """The project's ``language`` setting, read with plain sqlite3 when the project is not open yet."""
    if project is not None:
        from qcoder.store.settings import get_setting

        with project.session() as session:
            return str(get_setting(session, "language"))
    if path is None or not path.exists():
        return None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = connection.execute("SELECT value FROM settings WHERE key = 'language'").fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    if row is None:
        return "zh"  # the default of a new project (``store.settings.DEFAULTS``)
    try:
        return str(json.loads(row[0]))
    except (TypeError, ValueError):
        return str(row[0])


def open_app(
    db: str | os.PathLike[str] | None, coder: str | None, *, live: bool = True, language: str | None = None
) -> QcoderApp:
    """The app as ``qcoder tui`` opens it, with the coder settled (asked once, remembered per project).

    A SQLite project at this schema, for a coder it knows, opens on a ``first_look`` and
    loads the engine behind the first frame; any other project is opened (created,
    upgraded after a backup, or refused with one line) before the app starts.
    """
    from qcoder.coding.first_look import first_look
    from qcoder.store.location import project_value, server_url, sqlite_file, sqlite_url
    from qcoder.store.preferences import EVERY_PROJECT, remember_coder, remembered, remembered_coder
    from qcoder.store.preferences import remember as remember_preference

    path = sqlite_file(db)
    login: str | None = None
    if path is not None:
        url = sqlite_url(path)
    elif server := server_url(project_value(db)):  # a PostgreSQL URL, spelled without loading SQLAlchemy
        url, login = server.url, server.username
    else:
        from qcoder.store.database import resolve_url

        url = resolve_url(db)
        login = _login(url)
    name = coder or remembered_coder(url) or login
    if coder:
        remember_coder(url, coder)

    def remember(chosen: str) -> None:
        remember_coder(url, chosen)

    if language:
        remember_preference(EVERY_PROJECT, "language", language)  # ``--lang`` is kept for next time
    preference = remembered(EVERY_PROJECT, "language")
    where = remembered(url, "where")
    where = where if isinstance(where, dict) else None

    def keep_where(state: dict[str, Any]) -> None:
        remember_preference(url, "where", state)

    document = where.get("document") if where else None
    look = first_look(db, name, document_id=document if isinstance(document, int) else None) if name else None
    if look is not None:
        chosen = choose_language(language, preference, _project_language(path, None))
        return QcoderApp(
            None,
            name,
            remember,
            live=live,
            first_look=look,
            db=db,
            language=chosen,
            where=where,
            keep_where=keep_where,
        )
    from qcoder.store.database import open_project

    project = open_project(db)
    chosen = choose_language(language, preference, _project_language(None, project))
    return QcoderApp(project, name, remember, live=live, language=chosen, where=where, keep_where=keep_where)


def _login(url: str) -> str | None:
    """On a server, the login: a team member codes as no one else (``qcoder.store.team``)."""
    if url.startswith("sqlite"):
        return None
    from sqlalchemy.engine import make_url

    return make_url(url).username


def run_tui(db: str | None, coder: str | None, language: str | None = None) -> None:
    """Open the project for the coder and run the workbench until the researcher quits."""
    app = open_app(db, coder, language=language)
    try:
        app.run()
    finally:
        app.close_project()
