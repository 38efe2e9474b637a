"""Every key of the current screen in one list (``?``), built from the live bindings.

The same table feeds the command palette (see ``app.py``), so a key added to a
screen's BINDINGS shows up in both places without a second list to keep in sync.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from qcoder.i18n import N_, _
from qcoder.tui.translate import TranslatedBindings


@dataclass(frozen=True)
class KeyEntry:
    keys: str
    description: str
    action: str
    node: DOMNode
    group: str


def _pretty(key: str) -> str:
    return {"question_mark": "?", "slash": "/", "space": _("space"), "escape": "esc"}.get(key, key)


def key_entries(nodes: Iterable[tuple[str, DOMNode]]) -> list[KeyEntry]:
    """(keys, description, action) per distinct action of the given nodes, in binding order."""
    entries: list[KeyEntry] = []
    for group, node in nodes:
        actions: dict[tuple[str, str], list[str]] = {}
        for key, binding in node._bindings:
            if not binding.description:
                continue
            keys = actions.setdefault((binding.action, binding.description), [])
            display = binding.key_display or _pretty(key)
            if display not in keys:
                keys.append(display)
        for (action, description), keys in actions.items():
            entries.append(KeyEntry(" ".join(keys), description, action, node, group))
    return entries


class HelpScreen(TranslatedBindings, ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "close", N_("Close"))]

    def __init__(self, entries: list[KeyEntry], title: str) -> None:
        super().__init__()
        self.entries = entries
        self.title_text = title

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
        table.add_column("keys", style="bold", no_wrap=True)
        table.add_column("what")
        rows: dict[tuple[str, str], list[str]] = {}  # (group, description) → keys: 1 … 9 on one row
        for entry in self.entries:
            rows.setdefault((entry.group, entry.description), []).append(entry.keys)
        group = None
        for (entry_group, description), keys in rows.items():
            if entry_group != group:
                group = entry_group
                table.add_row(f"[reverse] {group} [/]", "")
            table.add_row(" ".join(keys), description)
        with Vertical(classes="dialog wide tall"):
            yield Label(
                _("Keys — {screen}  (ctrl+p: command palette)").format(screen=self.title_text), classes="dialog-title"
            )
            with VerticalScroll(id="help-scroll"):
                yield Static(table, id="help-table")
            yield Label(_("escape: close"), classes="dialog-hint")

    def action_close(self) -> None:
        self.dismiss(None)
