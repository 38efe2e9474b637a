"""Memos on a statement, document, code, relation or the project, edited in place.

The list shows every coder's memos on the target; the text area edits the highlighted
one (or a new one). ctrl+s stores it through the Workbench at once: a memo shown as
saved is a memo in the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, TextArea
from textual.widgets.option_list import Option

from qcoder.coding.workbench import MemoInfo, Workbench
from qcoder.i18n import N_, _
from qcoder.tui.attempt import AttemptApp
from qcoder.tui.screens.dialogs import ConfirmScreen
from qcoder.tui.translate import TranslatedBindings

NEW = "new"
TYPES = ("theoretical", "code", "operational")
TYPE_LABELS = {"theoretical": N_("theoretical"), "code": N_("code"), "operational": N_("operational")}


def type_label(memo_type: str) -> str:
    """A memo type in the interface language (a type from elsewhere as it is)."""
    return _(TYPE_LABELS[memo_type]) if memo_type in TYPE_LABELS else memo_type


class MemoScreen(TranslatedBindings, ModalScreen[bool]):
    if TYPE_CHECKING:  # the type of the app that shows this screen (Textual's own idiom)
        app = getters.app(AttemptApp)

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save memo"), priority=True),
        Binding("ctrl+t", "cycle_type", N_("Memo type"), priority=True),
        Binding("ctrl+d", "delete", N_("Delete memo"), priority=True),
        Binding("escape", "close", N_("Close")),
    ]

    def __init__(
        self,
        workbench: Workbench,
        target: str,
        target_id: int | None,
        what: str,
        default_type: str = "theoretical",
        *,
        place: str = "",
    ) -> None:
        """``place``: ``below``/``above`` keeps the dialog off the statement it is about (in the lower/upper part)."""
        super().__init__()
        self.workbench = workbench
        self.target = target
        self.target_id = target_id
        self.what = what
        self.memo_type = default_type
        if place:
            self.add_class(place)

        self.memos: list[MemoInfo] = []
        self.editing: MemoInfo | None = None
        self.saved = False
        self.saving = False  # a save is on its way to the database (a second ctrl+s waits for it)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide memo"):
            yield Label(_("Memo on {what}").format(what=self.what), classes="dialog-title", id="memo-title")
            yield OptionList(id="memo-list")
            yield TextArea("", id="memo-text", soft_wrap=True)
            yield Label(_("ctrl+s: save · ctrl+t: type · ctrl+d: delete · escape: close"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.reload()
        self.query_one(TextArea).focus()

    def reload(self, select_id: int | None = None) -> None:
        """Read the memos on the database lane; shown when it answers (text typed meanwhile is kept)."""
        workbench, target, target_id = self.workbench, self.target, self.target_id
        before = self.query_one(TextArea).text

        def show(memos: list[MemoInfo]) -> None:
            if self.is_mounted:
                self._show(memos or [], select_id, typed=self.query_one(TextArea).text != before)

        self.app.attempt_then(lambda: workbench.memos(target, target_id), show)

    def _show(self, memos: list[MemoInfo], select_id: int | None, *, typed: bool) -> None:
        self.memos = memos
        options = []
        for memo in self.memos:
            first = memo.text.strip().splitlines()[0] if memo.text.strip() else _("(empty)")
            label = Text(f"[{type_label(memo.type)}] ", style="bold")
            label.append(f"{memo.coder or '?'}: ", style="dim")
            label.append(first[:60])
            options.append(Option(label, id=str(memo.id)))
        options.append(Option(Text(_("+ new memo"), style="bold"), id=NEW))
        option_list = self.query_one(OptionList)
        option_list.set_options(options)
        index = len(options) - 1
        mine = [i for i, m in enumerate(self.memos) if m.coder == self.workbench.coder_name]
        if select_id is not None:
            index = next((i for i, m in enumerate(self.memos) if m.id == select_id), index)
        elif mine:
            index = mine[-1]
        if typed:  # the researcher typed while the memos were read: their text stays, as a new memo
            self.editing = None
            option_list.highlighted = len(options) - 1
            self._title()
            return
        option_list.highlighted = index
        self._edit(index)

    def _edit(self, index: int | None) -> None:
        self.editing = self.memos[index] if index is not None and index < len(self.memos) else None
        text = self.editing.text if self.editing else ""
        if self.editing:
            self.memo_type = self.editing.type
        self.query_one(TextArea).text = text
        self._title()

    def _title(self) -> None:
        state = _("editing {coder}'s memo").format(coder=self.editing.coder or "?") if self.editing else _("new memo")
        if self.editing and self.editing.edited_by and self.editing.edited_by != self.editing.coder:
            state += _(", last saved by {coder} at {time}").format(
                coder=self.editing.edited_by, time=self.editing.updated_at
            )
        self.query_one("#memo-title", Label).update(
            _("Memo on {what} — {state} [{type}]").format(what=self.what, state=state, type=type_label(self.memo_type))
        )

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        current = self.memos.index(self.editing) if self.editing in self.memos else len(self.memos)
        if index != current:  # a late echo of our own highlight must not wipe typed text
            self._edit(index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._edit(event.option_index)
        self.query_one(TextArea).focus()

    def action_cycle_type(self) -> None:
        position = TYPES.index(self.memo_type) if self.memo_type in TYPES else -1
        self.memo_type = TYPES[(position + 1) % len(TYPES)]
        self._title()

    def action_save(self) -> None:
        text = self.query_one(TextArea).text
        editing = self.editing
        if editing is None and not text.strip():
            self.notify(_("write something first"), severity="warning")
            return
        if self.saving:
            return  # the save before is still on its way
        workbench, memo_type, target, target_id = self.workbench, self.memo_type, self.target, self.target_id

        def saved(memo_id: int) -> None:
            self.saving = False
            self.saved = True
            self.notify(_("memo saved"), timeout=2)
            if self.is_mounted:
                self.reload(select_id=memo_id)

        def refused() -> None:  # (e.g. a colleague saved first): the typed text stays in the editor
            self.saving = False

        def action() -> int:
            if editing is None:
                return workbench.add_memo(text, type_=memo_type, target=target, target_id=target_id)
            workbench.update_memo(editing.id, text=text, type_=memo_type, expected_version=editing.version)
            return editing.id

        self.saving = self.app.attempt_then(action, saved, reload=editing is None, failed=refused)

    def action_delete(self) -> None:
        editing = self.editing
        if editing is None:
            return

        def answer(yes: bool | None) -> None:
            def delete() -> bool:
                self.workbench.delete_memo(editing.id, expected_version=editing.version)
                return True

            if yes:

                def deleted(_done: bool) -> None:
                    self.saved = True
                    self.notify(_("memo deleted"), timeout=2)
                    if self.is_mounted:
                        self.reload()

                def kept() -> None:
                    if self.is_mounted:
                        self.reload()

                self.app.attempt_then(delete, deleted, failed=kept)

        self.app.push_screen(
            ConfirmScreen(_("Delete {coder}'s memo on {what}?").format(coder=editing.coder or "?", what=self.what)),
            answer,
        )

    def action_close(self) -> None:
        self.dismiss(self.saved)
