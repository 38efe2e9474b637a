"""The project file's own dangers, shown in the workbench: a synced folder, ``-wal``/``-shm`` files that vanish.

Why: a sync client (Dropbox, OneDrive, 坚果云 …) copies a SQLite database while it is
written, or removes its ``-wal``/``-shm`` files, and the project is damaged. The command
line warns on stderr (``qcoder.store.file_care``, ``Project.vanished_files``); a researcher
who only ever opens the workbench would never see that, so it says the same in its header
line and in a notification — at once for a synced folder, and within ``CHECK_INTERVAL_S``
of a ``-wal``/``-shm`` file vanishing while the project is open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from qcoder.i18n import _
from qcoder.store.file_care import sync_folder, sync_folder_warning

CHECK_INTERVAL_S = 3.0  # how often the workbench looks for its -wal/-shm files (a few stat calls)
SUFFIXES = ("-wal", "-shm")


class WatchHost(Protocol):
    """What the watch needs of the app (``QcoderApp``)."""

    sub_title: Any

    def notify(self, message: str, *, severity: Any = "information", timeout: float | None = None) -> None: ...

    def set_interval(self, interval: float, callback: Any, *, name: str | None = None) -> Any: ...


class FileWatch:
    """Looks after one SQLite project file while the workbench has it open."""

    def __init__(self, app: WatchHost, path: Path, *, interval: float = CHECK_INTERVAL_S) -> None:
        self.app = app
        self.path = path
        self.interval = interval
        self.seen = {suffix for suffix in SUFFIXES if self._exists(suffix)}  # there once: missed if they go
        self.gone: list[str] = []  # the files found vanished (said once)
        self.folder: str | None = None
        self.timer: Any = None

    def _exists(self, suffix: str) -> bool:
        return Path(f"{self.path}{suffix}").exists()

    def start(self) -> None:
        """Warn now about a synced folder; from now on look for vanished files every ``interval``."""
        self.folder = sync_folder(self.path)
        if self.folder is not None:
            self._mark(_("⚠ synced folder {folder}").format(folder=self.folder))
            self.app.notify(
                _(
                    "warning: {name} is inside the synced folder “{folder}”; a sync program can copy the database "
                    "while it is being written or remove its -wal/-shm files, and damage it. Keep the project "
                    "outside synced folders and share it with `qcoder backup` copies or a PostgreSQL server"
                ).format(name=self.path.name, folder=self.folder),
                severity="warning",
                timeout=20,
            )
        self.timer = self.app.set_interval(self.interval, self.check, name="project-files")

    def check(self) -> bool:
        """Look for the -wal/-shm files seen before; warn (once) if any vanished. True if some did."""
        gone: list[str] = []
        for suffix in SUFFIXES:
            if self._exists(suffix):
                self.seen.add(suffix)
            elif suffix in self.seen:
                gone.append(suffix)
        if not gone or gone == self.gone:
            return bool(gone)
        self.gone = gone
        files = _(" and ").join(f"{self.path.name}{suffix}" for suffix in gone)
        self._mark(_("⚠ {files} vanished").format(files=files))
        self.app.notify(
            _(
                "warning: {files} vanished while the project was open (a sync or cleaning program?); recent changes "
                "may be lost — keep the project out of synced folders and run `qcoder db check`"
            ).format(files=files),
            severity="error",
            timeout=30,
        )
        return True

    def _mark(self, text: str) -> None:
        """The warning stays on the header line (after the coder's name)."""
        current = str(self.app.sub_title or "")
        self.app.sub_title = f"{current} · {text}" if current else text


def watch_for(app: WatchHost, project: Any) -> FileWatch | None:
    """A watch for a SQLite project's file (started), or None for a server project."""
    if not project.is_sqlite:
        return None
    from qcoder.store.sqlite_files import sqlite_path

    path = sqlite_path(project.url)
    if path is None:
        return None
    watch = FileWatch(app, path)
    watch.start()
    return watch


def said_by_watch(project: Any) -> str | None:
    """The project's own notice (English, for the command line) that the watch says instead, if any."""
    if not project.is_sqlite:
        return None
    from qcoder.store.sqlite_files import sqlite_path

    path = sqlite_path(project.url)
    return sync_folder_warning(path) if path is not None else None
