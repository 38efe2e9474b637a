"""The workbench's side of ``qcoder.i18n``: key descriptions and the palette's commands.

Textual copies a class's BINDINGS into every instance (``node._bindings``); the
descriptions there are English ids marked with ``N_`` (a class body runs before the
interface language is chosen), so each screen and widget translates its own copy when
built (``TranslatedBindings``), and the footer, the key list (``?``) and the command
palette all show the translation.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.dom import DOMNode

from qcoder.i18n import N_, _

# Textual's own palette entries (``App.get_system_commands``) and key descriptions that reach the
# key list and the palette, marked here for the catalog; ``translate_bindings`` and the app's
# ``get_system_commands`` translate them.
TEXTUAL_STRINGS = (
    N_("Theme"),
    N_("Change the current theme"),
    N_("Quit"),
    N_("Quit the application as soon as possible"),
    N_("Keys"),
    N_("Show help for the focused widget and a summary of available keys"),
    N_("Hide the keys and widget help panel"),
    N_("Screenshot"),
    N_("Save an SVG 'screenshot' of the current screen"),
    N_("Maximize"),
    N_("Maximize the focused widget"),
    N_("Minimize"),
    N_("Minimize the widget and restore to normal size"),
    N_("Focus Next"),
    N_("Focus Previous"),
    N_("Copy selected text"),
    N_("Quit the app and return to the command prompt."),
    N_("palette"),
    N_("Open the command palette"),
)


def translate_bindings(node: DOMNode) -> None:
    """Replace the node's key descriptions (and tooltips) by their translations."""
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            replace(
                binding,
                description=_(binding.description) if binding.description else binding.description,
                tooltip=_(binding.tooltip) if binding.tooltip else binding.tooltip,
            )
            for binding in bindings
        ]


class TranslatedBindings:
    """Mixin for a screen or widget: its key descriptions appear in the interface language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        assert isinstance(self, DOMNode)
        translate_bindings(self)
