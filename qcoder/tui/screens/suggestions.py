"""Suggestions for the statement under the cursor: in-vivo codes, similar statements, suggested codes.

jieba loads its dictionary on first use (about a second), and the similarity index and
the coder's model take seconds on a large project, so all of them are computed in thread
workers behind a loading indicator: the workbench's keys keep answering meanwhile.

* ``SuggestionScreen`` (i): in-vivo phrases; the coding screen turns one into a code.
* ``SimilarScreen`` (s): the most similar statements with their codes; enter goes there.
* ``SuggestionQueueScreen`` (S): the queue of suggested codes; one key accepts, rejects, skips.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, LoadingIndicator, OptionList
from textual.widgets.option_list import Option

from qcoder.coding.suggest import Suggestion, suggest
from qcoder.i18n import N_, _
from qcoder.store.errors import user_message
from qcoder.tui.attempt import AttemptApp
from qcoder.tui.translate import TranslatedBindings

if TYPE_CHECKING:
    from qcoder.coding.similar import SimilarStatement
    from qcoder.coding.suggest_model import CodeSuggestion
    from qcoder.coding.suggest_queue import QueueItem, SuggestionQueue
    from qcoder.coding.workbench import Workbench
    from qcoder.store.database import Project


class SuggestionScreen(TranslatedBindings, ModalScreen[str | None]):
    BINDINGS = [
        Binding("escape", "cancel", N_("Cancel")),
        *[Binding(str(n), f"pick({n})", N_("Take a suggestion"), show=False) for n in range(1, 10)],
    ]

    def __init__(self, label: str, text: str, existing: Iterable[str]) -> None:
        super().__init__()
        self.label = label
        self.text = text
        self.existing = list(existing)
        self.suggestions: list[Suggestion] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("In-vivo codes for {label}").format(label=self.label), classes="dialog-title")
            yield LoadingIndicator(id="suggest-loading")
            yield OptionList(id="suggest-options")
            yield Label(_("enter or 1–9: make it a code (and a dictionary word) · escape"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.compute()

    @work(thread=True, exclusive=True)
    def compute(self) -> None:
        try:
            found = suggest(self.text, self.existing)
        except Exception as error:
            self.app.call_from_thread(self.notify, _("no suggestions: {error}").format(error=error), severity="error")
            found = []
        self.app.call_from_thread(self.show, found)

    def show(self, found: list[Suggestion]) -> None:
        self.suggestions = found
        self.query_one(LoadingIndicator).display = False
        options = self.query_one(OptionList)
        options.display = True
        items = []
        for number, suggestion in enumerate(found, start=1):
            label = Text(f"{number} ", style="bold")
            label.append(suggestion.phrase)
            label.append("  " + (_("quoted") if suggestion.source == "quoted" else _("keyword")), style="dim")
            items.append(Option(label, id=str(number - 1)))
        options.set_options(items or [Option(Text(_("no suggestions for this statement"), style="dim"), disabled=True)])

        if items:
            options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self.suggestions[int(event.option.id)].phrase)

    def action_pick(self, number: int) -> None:
        if 1 <= number <= len(self.suggestions):
            self.dismiss(self.suggestions[number - 1].phrase)

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------- similar statements
class SimilarScreen(TranslatedBindings, ModalScreen[tuple[int, int] | None]):
    """The statements most like the one under the cursor, with their codes (constant comparison).

    The index (TF-IDF over words and character n-grams) is built in a thread worker; enter
    jumps to the chosen statement.
    """

    BINDINGS = [Binding("escape", "cancel", N_("Close"))]

    def __init__(self, project: Project, label: str) -> None:
        super().__init__()
        self.project = project
        self.label = label
        self.found: list[SimilarStatement] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(_("Statements similar to {label}").format(label=self.label), classes="dialog-title")
            yield Label("", id="similar-text")
            yield LoadingIndicator(id="similar-loading")
            yield OptionList(id="similar-options")
            yield Label(_("enter: go to the statement · escape"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.compute()

    @work(thread=True, exclusive=True)
    def compute(self) -> None:
        from qcoder.coding.similar import similar_statements

        def read() -> tuple[str, str, list[SimilarStatement]]:
            with self.project.session() as session:
                return similar_statements(session, self.label, limit=12)

        try:
            _label, text, found = read()
        except Exception as error:
            self.app.call_from_thread(
                self.notify, _("no similar statements: {error}").format(error=error), severity="error"
            )
            _label, text, found = self.label, "", []
        self.app.call_from_thread(self.show, text, found)

    def show(self, text: str, found: list[SimilarStatement]) -> None:
        if not self.is_attached:  # closed while the index was being built
            return
        self.found = found
        self.query_one("#similar-text", Label).update(Text(text, style="italic"))
        self.query_one(LoadingIndicator).display = False
        options = self.query_one(OptionList)
        options.display = True
        items = []
        for k, item in enumerate(found):
            line = Text(f"{item.similarity:.2f} ", style="bold")
            line.append(f"{item.label} ")
            line.append(item.text)
            if item.codes:
                line.append("\n      " + "; ".join(f"{code} ({who})" for who, code in item.codes), style="dim")
            items.append(Option(line, id=str(k)))
        options.set_options(
            items or [Option(Text(_("no statement shares a word with it"), style="dim"), disabled=True)]
        )
        if items:
            options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            item = self.found[int(event.option.id)]
            self.dismiss((item.document_id, item.sentence_id))

    def action_cancel(self) -> None:
        self.dismiss(None)


# ---------------------------------------------------------------------- the suggestion queue
class SuggestionQueueScreen(TranslatedBindings, ModalScreen[int]):
    """One uncoded statement at a time with the model's suggested codes; the coder decides each.

    a / enter / 1-3 accept (a coding of this coder, undoable with u), x rejects (remembered),
    n skips, l switches to least-certain-first. The model trains in a thread worker, so the
    workbench stays responsive; dismissed with the number of codings accepted.
    """

    if TYPE_CHECKING:  # the type of the app that shows this screen (Textual's own idiom)
        app = getters.app(AttemptApp)

    BINDINGS = [
        Binding("escape", "close", N_("Close")),
        Binding("a", "accept", N_("Accept")),
        *[Binding(str(n), f"accept_number({n})", N_("Accept a suggestion"), show=False) for n in range(1, 4)],
        Binding("x", "reject", N_("Reject")),
        Binding("n", "skip", N_("Skip")),
        Binding("l", "toggle_order", N_("Least certain first")),
        Binding("u", "undo", N_("Undo")),
    ]

    def __init__(self, workbench: Workbench, after: int | None = None) -> None:
        super().__init__()
        self.workbench = workbench
        self.after = after
        self.queue: SuggestionQueue | None = None
        self.order = "reading"
        self.item: QueueItem | None = None
        self.offered: list[CodeSuggestion] = []
        self.accepted = 0
        self.sending = False  # a decision is on its way to the database: the queue waits for it
        self.last_accepted: QueueItem | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(
                _("Suggested codes for {coder}").format(coder=self.workbench.coder_name), classes="dialog-title"
            )
            yield Label(_("training on your codings…"), id="queue-status")
            yield LoadingIndicator(id="queue-loading")
            yield Label("", id="queue-statement")
            yield OptionList(id="queue-options")
            yield Label(
                _("a/enter/1-3 accept · x reject · n skip · l least certain first · u undo · escape"),
                classes="dialog-hint",
            )

    def on_mount(self) -> None:
        self.query_one(OptionList).display = False
        self.train()

    @work(thread=True, exclusive=True)
    def train(self) -> None:
        from qcoder.coding.suggest_queue import SuggestionQueue  # scikit-learn loads here, in the worker

        try:
            queue = SuggestionQueue(self.workbench).train()
        except Exception as error:
            message = user_message(error) or _("training failed: {error}").format(error=error)
            self.app.call_from_thread(self.failed, message)
            return
        self.app.call_from_thread(self.ready, queue)

    def failed(self, message: str) -> None:
        if not self.is_attached:  # closed while the model was training
            return
        self.query_one(LoadingIndicator).display = False
        self.query_one("#queue-status", Label).update(message)

    def ready(self, queue: SuggestionQueue) -> None:
        if not self.is_attached:  # closed while the model was training
            return
        self.queue = queue
        self.query_one(LoadingIndicator).display = False
        self.advance()

    def advance(self) -> None:
        """Show the next statement of the queue (or say the queue is empty)."""
        if self.queue is None:
            return
        items = self.queue.items(self.order, self.after)
        order = _("least certain first") if self.order == "uncertain" else _("reading order, confident only")
        status = self.query_one("#queue-status", Label)
        options = self.query_one(OptionList)
        if not items:
            self.item, self.offered = None, []
            status.update(
                _("no more suggestions ({order}); accepted {accepted}").format(order=order, accepted=self.accepted)
            )
            self.query_one("#queue-statement", Label).update("")
            options.display = False
            return
        self.item = items[0]
        self.after = self.item.sentence_id
        self.offered = self.queue.suggestions(self.item)
        status.update(
            _("{count} statements in the queue ({order}); accepted {accepted}").format(
                count=len(items), order=order, accepted=self.accepted
            )
        )
        self.query_one("#queue-statement", Label).update(Text(f"{self.item.label} {self.item.text}"))
        threshold = self.queue.settings.threshold
        lines = []
        for number, suggestion in enumerate(self.offered, start=1):
            line = Text(f"{number} ", style="bold")
            line.append(suggestion.code_name, style="bold" if suggestion.probability >= threshold else "")
            line.append(f"  {suggestion.probability:.2f}")
            if suggestion.words:
                line.append(f"  ← {', '.join(suggestion.words)}", style="dim")
            lines.append(Option(line, id=str(number - 1)))
        options.set_options(lines)
        options.display = True
        if lines:
            options.highlighted = 0
        options.focus()

    def _chosen(self) -> CodeSuggestion | None:
        if not self.offered:
            return None
        index = self.query_one(OptionList).highlighted or 0
        return self.offered[min(index, len(self.offered) - 1)]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self._accept(self.offered[int(event.option.id)])

    def action_accept(self) -> None:
        chosen = self._chosen()
        if chosen is not None:
            self._accept(chosen)

    def action_accept_number(self, number: int) -> None:
        if 1 <= number <= len(self.offered):
            self._accept(self.offered[number - 1])

    def _sent(self) -> None:
        self.sending = False

    def _accept(self, suggestion: CodeSuggestion) -> None:
        """Code the statement on the database lane; the next one is offered once it is committed."""
        queue, item = self.queue, self.item
        if queue is None or item is None or self.sending:
            return

        def added(codings: list[int]) -> None:
            self.sending = False
            self.accepted += len(codings)
            self.last_accepted = item
            self.notify(_("{label}: coded {code}").format(label=item.label, code=suggestion.code_name), timeout=2)
            if self.is_mounted:
                self.advance()

        self.sending = self.app.attempt_then(
            lambda: queue.accept(item, suggestion), added, reload=False, failed=self._sent
        )

    def action_reject(self) -> None:
        queue, item, chosen = self.queue, self.item, self._chosen()
        if queue is None or item is None or chosen is None or self.sending:
            return

        def turn_down() -> bool:
            queue.reject(item, chosen)
            return True

        def turned_down(_done: bool) -> None:
            self.sending = False
            self.notify(
                _("{label}: {code} rejected (remembered)").format(label=item.label, code=chosen.code_name), timeout=2
            )
            if self.is_mounted:
                self.advance()

        self.sending = self.app.attempt_then(turn_down, turned_down, reload=False, failed=self._sent)

    def action_skip(self) -> None:
        if self.queue is not None and self.item is not None and not self.sending:
            self.queue.skip(self.item)
            self.advance()

    def action_toggle_order(self) -> None:
        if self.sending:
            return  # the queue moves on once the decision sent is committed
        self.order = "uncertain" if self.order == "reading" else "reading"
        self.advance()

    def action_undo(self) -> None:
        if self.sending:
            return
        workbench = self.workbench

        def undone(done: str) -> None:
            self.sending = False
            if not done:
                self.notify(_("nothing to undo"), severity="warning")
                return
            if self.queue is not None and self.last_accepted is not None:
                self.queue.done.discard(self.last_accepted.sentence_id)  # offered again
                self.after = self.last_accepted.sentence_id
                self.last_accepted = None
                self.accepted = max(self.accepted - 1, 0)
            self.notify(_("{verb}: {step}").format(verb=_("undo"), step=done), timeout=2)
            if self.is_mounted:
                self.advance()

        self.sending = self.app.attempt_then(lambda: workbench.undo() or "", undone, reload=False, failed=self._sent)

    def action_close(self) -> None:
        self.dismiss(self.accepted)
