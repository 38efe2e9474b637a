"""The code picker: type a few letters (or pinyin initials), pick a code or create one.

Ranking comes from ``qcoder.coding.picker`` (typing-order matches before fuzzy ones).
Codes already on the selected statements carry a ✓ and picking one removes it, so the
same dialog codes and uncodes. The last entry creates a new code with the typed name
at the chosen level (ctrl+l cycles the level). The picker only answers; the coding
screen performs the Workbench action.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from qcoder.coding.picker import FUZZY, match_tier
from qcoder.i18n import N_, _
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.translate import TranslatedBindings

NEW = "new"
NONE = "none"
LIMIT = 60


@dataclass(frozen=True)
class PickResult:
    code_id: int | None = None  # an existing code
    new_name: str | None = None  # or a code to create
    level: int = 0


class PickerScreen(TranslatedBindings, ModalScreen[PickResult | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel")),
        Binding("down", "cursor(1)", N_("Next"), show=False, priority=True),
        Binding("up", "cursor(-1)", N_("Previous"), show=False, priority=True),
        Binding("ctrl+n", "create", N_("New code"), priority=True),
        Binding("ctrl+l", "cycle_level", N_("Level of new code"), priority=True),
    ]

    def __init__(
        self,
        catalog: CodeCatalog,
        title: str,
        *,
        present: Collection[int] = (),
        allowed: Collection[int] | None = None,
        allow_create: bool = True,
        level: int = 0,
        none_label: str | None = None,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.title_text = title
        self.present = set(present)
        self.allowed = allowed
        self.allow_create = allow_create
        self.level = level
        self.none_label = none_label  # an extra first entry answering "no code" (e.g. no parent)
        self.matches: list[int] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(placeholder=_("code name, pinyin initials (cxlht → 创新联合体)…"), id="picker-input")
            yield OptionList(id="picker-options")
            hint = _("enter: toggle ✓ · ↑↓: move · escape: cancel")
            if self.allow_create:
                hint += _(" · ctrl+n: new code · ctrl+l: its level")
            yield Label(hint, classes="dialog-hint")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one(Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def _fill(self, query: str) -> None:
        codes = self.catalog.find(query, self.allowed, limit=LIMIT)
        self.matches = [code.id for code in codes]
        options: list[Option] = []
        if self.none_label:
            options.append(Option(Text(self.none_label, style="italic"), id=NONE))
        for code in codes:
            label = Text("✓ " if code.id in self.present else "  ", style="bold green")
            label.append(self.catalog.name(code.id), style=code.colour or "")  # the path where names repeat
            label.append(f"  {self.catalog.level_name(code.level)} {code.mine}/{code.codings}", style="dim")
            slot = self.catalog.slot_of(code.id)
            if slot is not None:
                label.append(f"  [{slot}]", style="dim")

            options.append(Option(label, id=str(code.id)))
        name = query.strip()
        highlight = 1 if self.none_label and name and codes else 0
        if self.allow_create and name:
            exists = any(c.name == name and c.level == self.level for c in self.catalog.codes.values())
            if not exists:
                # Only loose (fuzzy) matches: enter should create what was typed, not grab a look-alike.
                loose = not codes or (match_tier(name, codes[0].name) or (FUZZY, 0))[0] >= FUZZY
                options.append(Option(self._new_label(name), id=NEW))
                if loose:
                    highlight = len(options) - 1
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        if options:
            option_list.highlighted = highlight

    def _new_label(self, name: str) -> Text:
        label = Text("+ ", style="bold")
        label.append(_("new code “{name}” ").format(name=name))
        label.append(_("at {level} (ctrl+l)").format(level=self.catalog.level_name(self.level)), style="dim")
        return label

    def action_cursor(self, delta: int) -> None:
        option_list = self.query_one(OptionList)
        if delta > 0:
            option_list.action_cursor_down()
        else:
            option_list.action_cursor_up()

    def action_cycle_level(self) -> None:
        if self.catalog.levels:
            self.level = (self.level + 1) % len(self.catalog.levels)
        self._fill(self.query_one(Input).value)
        self.notify(_("new codes go to level {level}").format(level=self.catalog.level_name(self.level)), timeout=2)

    def action_create(self) -> None:
        name = self.query_one(Input).value.strip()
        if not self.allow_create:
            return
        if not name:
            self.notify(_("type the new code's name first"), severity="warning")

            return
        self.dismiss(PickResult(new_name=name, level=self.level))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._choose(self.query_one(OptionList).highlighted)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_index)

    def _choose(self, index: int | None) -> None:
        option_list = self.query_one(OptionList)
        if index is None or index >= option_list.option_count:
            if self.query_one(Input).value.strip():
                self.action_create()
            return
        option = option_list.get_option_at_index(index)
        if option.id == NEW:
            self.action_create()
        elif option.id == NONE:
            self.dismiss(PickResult())
        else:
            self.dismiss(PickResult(code_id=int(option.id or 0)))

    def action_cancel(self) -> None:
        self.dismiss(None)
