"""The export dialog of the reports screen: which report, which format, which file.

Only formats valid for the chosen report are offered (the saturation curve as svg/png, the
diagram as mermaid/dot/md, tables as text … docx). The file name follows the choices
(``qcoder-tables.docx`` in the current directory) until the researcher types their own;
a name whose extension asks for another format is refused rather than silently rewritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from qcoder.analysis.report import FORMATS, KINDS, format_for_path
from qcoder.i18n import N_, _
from qcoder.tui.translate import TranslatedBindings

KIND_LABELS = {
    "hierarchy": N_("hierarchy — count chain, code tree, warnings"),
    "tables": N_("tables — categories, main categories, relations, storyline"),
    "frequencies": N_("frequencies — per code and coder"),
    "matrix": N_("matrix — codes × documents"),
    "cooccurrence": N_("co-occurrence — codes on the same statement"),
    "saturation": N_("saturation — curve and held-out check"),
    "words": N_("words — frequent words per code"),
    "diagram": N_("diagram — the hierarchy as a picture"),
}
SUFFIXES = {"text": "txt", "mermaid": "mmd"}


@dataclass(frozen=True)
class ExportRequest:
    kind: str
    fmt: str
    path: Path


def default_format(kind: str) -> str:
    """Word for tables (ready for the paper), Mermaid for the diagram."""
    return "mermaid" if kind == "diagram" else "docx"


def default_path(kind: str, fmt: str) -> str:
    return f"qcoder-{kind}.{SUFFIXES.get(fmt, fmt)}"


def check_request(kind: str, fmt: str, typed: str, cwd: Path) -> ExportRequest | str:
    """The export to run, or why not (one line): an empty name, or an extension for another format."""
    name = typed.strip()
    if not name:
        return _("give a file name")
    path = Path(name).expanduser()
    if not path.suffix:
        path = path.with_name(f"{path.name}.{SUFFIXES.get(fmt, fmt)}")
    asked = format_for_path(path)
    if asked is not None and asked != fmt:
        return _("{name} is a .{suffix} file but the format is {format}: change one of them").format(
            name=path.name, suffix=path.suffix.lstrip("."), format=fmt
        )
    return ExportRequest(kind, fmt, path if path.is_absolute() else cwd / path)


class ExportDialog(TranslatedBindings, ModalScreen[ExportRequest | None]):
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, kind: str = "tables") -> None:
        super().__init__()
        self.kind = kind if kind in KINDS else "tables"
        self.fmt = default_format(self.kind)
        self.auto_path = default_path(self.kind, self.fmt)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="export-dialog"):
            yield Label(_("Export a report"), classes="dialog-title")
            with Horizontal(classes="field"):
                yield Label(_("report"), classes="field-label")
                yield Select(
                    [(_(KIND_LABELS[k]), k) for k in KINDS], value=self.kind, allow_blank=False, id="export-kind"
                )
            with Horizontal(classes="field"):
                yield Label(_("format"), classes="field-label")
                yield Select(self._format_options(), value=self.fmt, allow_blank=False, id="export-format")
            yield Label(_("file (relative names go to {folder})").format(folder=Path.cwd()), classes="field-note")
            yield Input(self.auto_path, id="export-path")
            yield Label(_("enter in the file name: export · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()

    def _format_options(self) -> list[tuple[str, str]]:
        return [(fmt, fmt) for fmt in FORMATS[self.kind]]

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        if event.value is Select.NULL:
            return
        if event.select.id == "export-kind" and event.value != self.kind:
            self.kind = str(event.value)
            keep = self.fmt if self.fmt in FORMATS[self.kind] else default_format(self.kind)
            formats = self.query_one("#export-format", Select)
            formats.set_options(self._format_options())
            formats.value = keep
            self._set_format(keep)
        elif event.select.id == "export-format":
            self._set_format(str(event.value))

    def _set_format(self, fmt: str) -> None:
        """Follow the choices in the file name, unless the researcher typed their own name."""
        self.fmt = fmt
        path = self.query_one("#export-path", Input)
        if path.value == self.auto_path:
            self.auto_path = default_path(self.kind, fmt)
            path.value = self.auto_path

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        checked = check_request(self.kind, self.fmt, event.value, Path.cwd())
        if isinstance(checked, str):
            self.notify(checked, severity="warning", markup=False)
            return
        self.dismiss(checked)

    def action_cancel(self) -> None:
        self.dismiss(None)
