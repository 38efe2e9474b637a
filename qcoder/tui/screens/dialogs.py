"""Small modal dialogs shared by the screens: ask for text, confirm, choose, edit text.

Each returns its answer through ``dismiss`` (None when cancelled with escape), so a
screen can ``push_screen(dialog, callback)`` and act only on a real answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, TextArea
from textual.widgets.option_list import Option

from qcoder.i18n import N_, _, language
from qcoder.tui.translate import TranslatedBindings

T = TypeVar("T")


class PromptScreen(TranslatedBindings, ModalScreen[str | None]):
    """One line of text (a name, a colour, a path)."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(
        self,
        title: str,
        value: str = "",
        placeholder: str = "",
        check: Callable[[str], str | None] | None = None,
        error: str = "",
    ) -> None:
        """``check``: what is wrong with an answer (None: nothing); said in the dialog, which keeps the text.

        ``error``: a problem with ``value`` to show from the start (found after the dialog closed).
        """
        super().__init__()
        self.title_text = title
        self.value = value
        self.placeholder = placeholder
        self.check = check
        self.error = error

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Label(self.error, classes="dialog-error", id="prompt-error")
            yield Label(_("enter: OK · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#prompt-error", Label).display = bool(self.error)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value != self.value:
            self.query_one("#prompt-error", Label).display = False

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.check(event.value) if self.check is not None else None
        if problem:
            error = self.query_one("#prompt-error", Label)
            error.update(problem)
            error.display = True
            return  # the typed text stays, to be corrected
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmScreen(TranslatedBindings, ModalScreen[bool]):
    """Yes or no, with the consequence spelled out in the message."""

    BINDINGS = [
        Binding("escape,n", "answer(False)", N_("No")),
        Binding("y", "answer(True)", N_("Yes")),
    ]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.message, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(_("Yes (y)"), id="yes", variant="error")
                yield Button(_("No (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ChoiceScreen(TranslatedBindings, ModalScreen[T | None], Generic[T]):
    """Pick one of a few labelled values (a level, a relation type, a memo)."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"))]

    def __init__(self, title: str, choices: Sequence[tuple[str, T]], selected: int = 0) -> None:
        super().__init__()
        self.title_text = title
        self.choices = list(choices)
        self.selected = selected

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield OptionList(*[Option(label, id=str(i)) for i, (label, _) in enumerate(self.choices)], id="choices")
            yield Label(_("enter: choose · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.choices:
            options.highlighted = min(self.selected, len(self.choices) - 1)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id or 0)][1])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextEditScreen(TranslatedBindings, ModalScreen[str | None]):
    """Multi-line text (a definition, a note, the storyline): ctrl+s saves."""

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save"), priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, title: str, text: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(self.title_text, classes="dialog-title")
            yield TextArea(self.text, id="edit-text", soft_wrap=True)
            yield Label(_("ctrl+s: save · escape: cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    def action_save(self) -> None:
        self.dismiss(self.query_one(TextArea).text)

    def action_cancel(self) -> None:
        self.dismiss(None)


def level_choices(levels: Sequence[Any]) -> list[tuple[str, int]]:
    if language() == "zh":
        return [(f"{level.rank} {level.name} ({level.name_en})", level.rank) for level in levels]
    return [(f"{level.rank} {level.name_en} ({level.name})", level.rank) for level in levels]
