"""Import a file into the project without freezing the screen.

The import pipeline (decode, clean, split, jieba) can take seconds on a large file, so it
runs in a thread worker in its own transaction while a loading indicator shows; the
dialog closes with the result, and the coding screen then re-reads the documents.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, LoadingIndicator
from textual.worker import Worker, WorkerState

from qcoder.i18n import N_, _
from qcoder.store.database import Project
from qcoder.store.errors import one_line, user_message
from qcoder.tui.translate import TranslatedBindings


def run_import(project: Project, path: Path, coder_id: int | None) -> Any:
    """Run the import pipeline on one file (stored in one transaction); returns its ImportResult."""
    from qcoder.corpus.importer import import_path  # the pipeline loads jieba: only when asked
    from qcoder.store.settings import pipeline_options

    with project.session() as session:
        options = pipeline_options(session)
    return import_path(project, path, options=options, coder_id=coder_id)


def removed_note(result: Any, examples: int = 3) -> str:
    """What the cleaning deleted as page furniture or letterhead, so the coder can check it."""
    removed = result.removed_lines
    if not removed:
        return ""
    total = sum(n for _, n in removed)
    shown = ", ".join(f"{line[:20] + '…' if len(line) > 21 else line} ×{n}" for line, n in removed[:examples])
    more = _(" and {count} more").format(count=len(removed) - examples) if len(removed) > examples else ""
    message = (
        _("; removed {count} line of page furniture: {shown}{more} (qcoder import --dry-run lists them)")
        if total == 1
        else _("; removed {count} lines of page furniture: {shown}{more} (qcoder import --dry-run lists them)")
    )
    return message.format(count=total, shown=shown, more=more)


class ImportScreen(TranslatedBindings, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, project: Project, coder_id: int | None) -> None:
        super().__init__()
        self.project = project
        self.coder_id = coder_id
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Import a file (txt, docx, …) into the project"), classes="dialog-title")
            yield Input(placeholder=_("path to the file"), id="import-path")
            yield LoadingIndicator(id="import-loading")
            yield Label(_("enter: import · escape: cancel"), classes="dialog-hint", id="import-status")

    def on_mount(self) -> None:
        self.query_one(LoadingIndicator).display = False
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.running or not event.value.strip():
            return
        self.running = True
        self.query_one(LoadingIndicator).display = True
        self.query_one(Input).disabled = True
        self.query_one("#import-status", Label).update(
            _("importing {name} …").format(name=Path(event.value.strip()).name)
        )
        self.run_import(Path(event.value.strip()).expanduser())

    @work(thread=True, exclusive=True, group="import", exit_on_error=False)
    def run_import(self, path: Path) -> tuple[bool, str]:
        """(True, what was imported) or (False, why not): the worker itself always succeeds."""
        try:
            result = run_import(self.project, path, self.coder_id)
        except Exception as error:
            message = user_message(error, self.project.url)
            return False, message if message is not None else _("import failed: {error}").format(error=one_line(error))
        if result.status == "duplicate":
            return True, _("{name} is already in the project as {label}").format(name=path.name, label=result.label)
        return True, _("imported {name} as {label}: {count} statements").format(
            name=path.name, label=result.label, count=result.statements
        ) + removed_note(result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Close only once the worker has finished (see TaskScreen: closing from inside it marks it cancelled)."""
        if event.worker.group != "import" or event.state != WorkerState.SUCCESS:
            return
        result = event.worker.result
        if result is None:  # a successful worker returns (ok, value)
            return
        ok, message = result
        if ok:
            self.dismiss(message)
        else:
            self.failed(message)

    def failed(self, message: str) -> None:
        self.running = False
        self.query_one(LoadingIndicator).display = False
        self.query_one(Input).disabled = False
        self.query_one(Input).focus()
        self.query_one("#import-status", Label).update(message)
        self.notify(message, severity="error")

    def action_cancel(self) -> None:
        if not self.running:
            self.dismiss(None)
