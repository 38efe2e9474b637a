"""The coding screen: documents and code tree beside the document view.

Every action calls the Workbench first and only then updates the view from what the
database says (re-reading the touched statements), so a chip on screen is a coding
in the project. A failed action is one notification, followed by a re-read of the
true state.
"""

from __future__ import annotations

import bisect
import gc
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Header, Label, OptionList

from qcoder.coding.records import CodeInfo, ComparisonRow, DocumentSummary, MemoEntry, StatementRow
from qcoder.errors import QcoderError
from qcoder.i18n import N_, _
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.compositor import RowCompositor
from qcoder.tui.screens.base import WorkbenchScreen
from qcoder.tui.widgets.code_tree import CodeTree
from qcoder.tui.widgets.document_list import DocumentList
from qcoder.tui.widgets.document_view import DocumentView, Pairs
from qcoder.tui.widgets.status_line import StatusLine

if TYPE_CHECKING:
    from qcoder.coding.first_look import FirstLook
    from qcoder.coding.workbench import Workbench
    from qcoder.corpus.search import Hit
    from qcoder.tui.engine import RestLoad
    from qcoder.tui.live import CodingState
    from qcoder.tui.screens.picker import PickResult

SAVING_AFTER_S = 0.15  # a change not committed by then shows "saving…" on the title line until it is

# The dialogs (picker, memo, search, comparison, suggestions, import) are imported when
# first opened: the coding screen has to be on screen fast, and they are not on it.


class CodingScreen(WorkbenchScreen):
    # run as soon as the document view gets the key (``DocumentView.handle_key``): a toggle is not
    # delayed by the key's trip through the containers' queues
    AT_ONCE_ACTIONS = frozenset({"recent"})
    BINDINGS = [
        Binding("enter,space", "pick", N_("Code…"), tooltip=N_("Code the selected statements (picker)")),
        *[Binding(str(n), f"recent({n})", N_("Toggle recent code"), show=False) for n in range(1, 10)],
        Binding("n", "next_uncoded", N_("Next uncoded")),
        Binding("i", "suggest", N_("In-vivo codes")),
        Binding("s", "similar", N_("Similar statements"), show=False),
        Binding("S", "suggestion_queue", N_("Suggested codes"), show=False),
        Binding("m", "memo('sentence')", N_("Statement memo")),
        Binding("M", "memo('document')", N_("Document memo"), show=False),
        Binding("P", "memo('project')", N_("Project memo"), show=False),
        Binding("w,f6", "memo_browser", N_("All memos"), show=False),
        Binding("u", "undo", N_("Undo")),
        Binding("ctrl+r,U", "redo", N_("Redo"), show=False),
        Binding("slash", "search", N_("Search"), key_display="/"),
        Binding("c", "compare", N_("Compare")),
        Binding("o", "toggle_others", N_("Others' codes"), show=False),
        Binding("x", "review", N_("Reviewed"), show=False),
        Binding("r,f5", "refresh", N_("Refresh"), show=False),
        Binding("right_square_bracket", "document(1)", N_("Next document"), show=False, key_display="]"),
        Binding("left_square_bracket", "document(-1)", N_("Previous document"), show=False, key_display="["),
        Binding("b,f3", "codebook", N_("Codebook")),
        Binding("I", "import_file", N_("Import file"), show=False),
        Binding("R,f4", "reports", N_("Reports"), show=False),
        Binding("A", "agreement", N_("Agreement / reconcile"), show=False),
        Binding("L", "toggle_live", N_("Live refresh on/off"), show=False),
    ]

    def __init__(self, workbench: Workbench, catalog: CodeCatalog, first_look: FirstLook | None = None) -> None:
        super().__init__(workbench, catalog)
        self._compositor = RowCompositor()  # a frame renders only the rows it updates (see compositor.py)
        self.first_look = first_look  # shown on mount instead of reading the project
        self.rest: RestLoad | None = None  # the rest of the open document, while it is being read
        self.documents: list[DocumentSummary] = []
        self.document_id: int | None = None
        self.statements: list[StatementRow] = []
        self.attributes: dict[int, dict[str, str]] = {}  # the open document's statement attributes (speaker …)
        self.ordinals: list[int] = []
        self.show_others = False
        self.resume: dict[str, Any] | None = None  # where this coder left off last time (set by the app)
        self.ordinal = 0  # the cursor's statement (kept for ``where_state`` after the screen is gone)
        self.opening = 0  # documents asked for so far: only the last one asked is shown (``_open``)
        self.pending = 0  # changes sent to the database and not yet confirmed
        self.saving_shown = False  # the title line says "saving…" (``_saving``)
        self._pending_since = 0.0  # ``time.monotonic()`` when ``pending`` last went from 0 to 1
        self._saving_timer: Any = None  # armed while a change may yet need "saving…" (``_show_saving``)
        self._recent_shown: list[tuple[int, str]] | None = None  # what the recent bar shows (``_recent_bar``)

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="coding-main"):
            with Vertical(id="sidebar"):
                yield Label(_("Documents"), classes="pane-title")
                yield DocumentList(id="documents")
                yield Label(_("Codes (mine/all)"), classes="pane-title")
                yield CodeTree(self.catalog, id="code-tree")
            with Vertical(id="document-pane"):
                yield StatusLine(id="document-title", classes="pane-title")
                yield DocumentView(self.catalog, id="document")
                yield StatusLine(id="recent-bar")
        yield Footer(show_command_palette=False)  # docked over the keys it would hide some; ? lists ctrl+p

    @property
    def view(self) -> DocumentView:
        return self.query_one(DocumentView)

    def on_mount(self) -> None:
        self.title = _("qcoder · coding")
        self.view.read_tokens = self._tokens
        self.view.cursor_changed = self._cursor_changed  # the title line changes in the move's own frame
        if self.resume:
            keys = self.resume.get("keys")
            if isinstance(keys, list):
                self.catalog.restore_slots([k if isinstance(k, str) else None for k in keys])
        if self.first_look is not None:
            self._show_first_look(self.first_look)
            self.first_look = None
        else:
            self.reload_all(hold_keys=True)  # keys typed while the screen opens act on what it shows
        self._resume()
        self.view.focus()

    def _resume(self) -> None:
        """Back to the document and statement this coder left (when they still exist)."""
        resume, self.resume = self.resume, None
        if not resume:
            return
        document, ordinal = resume.get("document"), resume.get("ordinal")
        if not isinstance(document, int) or not any(doc.id == document for doc in self.documents):
            return

        def there() -> None:
            if isinstance(ordinal, int) and ordinal > 1:
                self.view.go_to(self._index_of_ordinal(ordinal))
            self._recent_bar()

        if document != self.document_id:
            self._open(document, then=lambda: self._listed(there))
        else:
            there()

    def where_state(self) -> dict[str, Any] | None:
        """Where the coder is (document, statement, what is on the number keys), to come back to it."""
        if self.document_id is None:
            return None
        return {"document": self.document_id, "ordinal": self.ordinal, "keys": list(self.catalog.slots)}

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < 70, "narrow")  # the sidebar gives the text room

    def help_nodes(self) -> list[tuple[str, object]]:

        return [(_("Coding screen"), self), (_("Document view"), self.view)]

    # ------------------------------------------------------------------ reading
    def reload_all(self, *, hold_keys: bool = False) -> None:
        """Re-read everything from the database (refresh key, after an error, after undo), shown when it answers.

        The read runs on the database lane (``AttemptApp.attempt_then``): keys go on meanwhile,
        and a read that fails or never answers leaves the last state read on screen.
        """
        app = self.app
        if app.is_offline:  # keep the last state read until the server answers again
            return
        workbench = self.workbench

        def read() -> tuple[tuple[Any, Any, Any], list[DocumentSummary]]:
            return (workbench.levels(), workbench.codes(), workbench.coders()), workbench.documents()

        app.attempt_then(read, self._reloaded, reload=False, hold_keys=hold_keys)

    def _reloaded(self, found: tuple[tuple[Any, Any, Any], list[DocumentSummary]]) -> None:
        (levels, codes, coders), documents = found
        self.catalog.assign(levels, codes, coders)
        self.code_tree.populate()
        self.documents = documents
        known = {doc.id for doc in self.documents}
        if self.document_id not in known:
            self.document_id = self.documents[0].id if self.documents else None
        self.query_one(DocumentList).show(self.documents, self.document_id)
        self._open(self.document_id, keep_cursor=True, statements=True)
        self._recent_bar()

    def _listed(self, then: Callable[[], None] | None = None) -> None:
        """The document list shows the open document (after ``_open`` answered), then ``then``."""
        self.query_one(DocumentList).show(self.documents, self.document_id)
        if then is not None:
            then()

    def _show_first_look(self, look: FirstLook) -> None:
        """Show what ``first_look`` read, exactly as ``reload_all`` would have shown it."""
        self.catalog.assign(look.levels, look.codes, look.coders)
        self.code_tree.populate()
        self.documents = look.documents
        self.document_id = look.document_id
        self.query_one(DocumentList).show(self.documents, self.document_id)
        self.statements = look.statements
        self.ordinals = [row.ordinal for row in self.statements]
        doc = self.document
        # room for the labels of statements still to come (D01-S50000 is wider than D01-S2000)
        label_width = len(f"{doc.label}-S{doc.statements:03d}") if doc is not None else 0
        self.view.load(self.statements, look.codings, look.coder_id, label_width=label_width)
        if self.rest is not None:
            self._wait_for_rest(self.rest)
        self._title()
        self._recent_bar()

    def expect_rest(self, load: RestLoad) -> None:
        """The rest of the open document is being read: anything that needs it waits for it."""
        self.rest = load
        if self.first_look is None and self.is_attached:  # already showing the first look
            self._wait_for_rest(load)

    def _wait_for_rest(self, load: RestLoad) -> None:
        self.view.complete = lambda wait: self._take_rest(load, wait)

    def _take_rest(self, load: RestLoad, wait: bool) -> bool:
        """Append the rest if it has been read (or, with ``wait``, once it is): whether it is in now."""
        if not wait and not load.done:
            return False
        self.apply_rest(load)
        return True

    def apply_rest(self, load: RestLoad) -> None:
        """Append the rest of the document (when it has been read, or at once if something needs it)."""
        if self.rest is not load:
            return  # applied already, or the document was re-read meanwhile
        self.rest = None
        self.view.complete = None
        try:
            rows, codings, lines = load.result()
        except QcoderError as error:
            self.view.after_rest = []  # keys kept for the rest: it is not coming; the document is re-read
            self.notify(str(error), severity="error", markup=False)
            self.reload_all()
            return
        self.view.extend(rows, codings, lines, load.width)
        self.statements = list(self.view.statements)
        self.ordinals.extend(row.ordinal for row in rows)
        self._title()
        _settle()
        self.view.rest_arrived()

    def _open(
        self,
        document_id: int | None,
        *,
        keep_cursor: bool = False,
        statements: bool = True,
        cursor: int = 0,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Open a document: everything it shows is read in one call on the database lane, shown when it answers.

        ``then`` runs once it is on screen (go to a statement, show it in the list). Of two
        opens asked for before the first answered, only the later one is shown.
        """
        view = self.view
        if self.app.is_offline and self.statements:  # keep the document on screen until the server is back
            self.notify(self.app.offline_refusal, severity="warning", markup=False)
            return
        self.opening += 1
        if document_id is None:
            self.statements, self.ordinals = [], []
            view.load([], {}, self.workbench.coder_id)
            self._title()
            if then is not None:
                then()
            return
        self.rest = None  # a fast launch's rest of the document, if still coming, is read in full below
        workbench, all_coders, asked = self.workbench, self.show_others, self.opening
        need_rows = statements or document_id != self.document_id

        def read() -> tuple[list[StatementRow] | None, dict[int, Pairs], Any, set[int], dict[int, dict[str, str]]]:
            rows = workbench.statements(document_id) if need_rows else None
            return (
                rows,
                workbench.document_codings(document_id, all_coders=all_coders),
                workbench.document_quotes(document_id),
                workbench.memo_statements(document_id),
                workbench.statement_attributes(document_id),
            )

        def show(found: tuple[list[StatementRow] | None, dict[int, Pairs], Any, set[int], dict[int, Any]]) -> None:
            if asked != self.opening:
                return  # another document was asked for since
            rows, codings, quotes, memos, attributes = found
            current = view.current
            keep = current.ordinal if keep_cursor and current and document_id == self.document_id else None
            if rows is not None:
                self.statements = rows
                self.ordinals = [row.ordinal for row in rows]
            self.document_id = document_id
            at = self._index_of_ordinal(keep) if keep is not None else cursor
            view.load(self.statements, codings, workbench.coder_id, cursor=at)
            view.set_quotes(quotes or {})
            view.set_memos(memos or set())
            self.attributes = attributes or {}
            self._title()
            _settle()
            if then is not None:
                then()

        self.app.attempt_then(read, show, reload=False, hold_keys=True)

    def _read_memo_marks(self) -> None:
        """Which statements of the open document carry a memo (the view marks them ✎)."""
        document_id = self.document_id
        if document_id is None:
            self.view.set_memos(set())
            return

        def show(found: set[int]) -> None:
            if document_id == self.document_id:
                self.view.set_memos(found or set())

        self.app.attempt_then(lambda: self.workbench.memo_statements(document_id), show, reload=False)

    def _attribute_text(self, sentence_id: int) -> str:
        """The statement's own attributes as the title line shows them: 受访者 · 00:01:30 · p. 3."""
        shown: list[str] = []
        for key, value in self.attributes.get(sentence_id, {}).items():
            if key == "level" or not value:  # a heading's level shows as the heading itself
                continue
            if key in ("speaker", "time"):
                shown.append(value)
            elif key == "page":
                shown.append(_("p. {page}").format(page=value))
            elif key == "row":
                shown.append(_("row {row}").format(row=value))
            else:
                shown.append(f"{key}: {value}")
        return " · ".join(shown)

    def _read_quotes(self) -> None:
        """This coder's quote spans in the open document (the view underlines their words)."""
        document_id = self.document_id
        if document_id is None:
            self.view.set_quotes({})
            return

        def show(found: Any) -> None:
            if document_id == self.document_id:
                self.view.set_quotes(found or {})

        self.app.attempt_then(lambda: self.workbench.document_quotes(document_id), show, reload=False)

    def _tokens(self, sentence_id: int, then: Callable[[str | None], None]) -> None:
        """Read a statement's stored words on the database lane (the view selects words in it): ``then(tokens)``
        when they come, ``then(None)`` if they cannot be read — the view goes on selecting by characters.

        Offline or busy, nothing is asked (and nothing said: selecting words changes nothing; coding them is
        refused in its turn).
        """
        if self.app.offline_refusal:
            then(None)
            return
        workbench = self.workbench
        self.app.attempt_then(
            lambda: workbench.statement_tokens(sentence_id), then, reload=False, failed=lambda: then(None)
        )

    def _index_of_ordinal(self, ordinal: int) -> int:
        if self.ordinals and ordinal > self.ordinals[-1]:
            self.view.whole()  # a statement not loaded yet (fast launch)
        index = bisect.bisect_left(self.ordinals, ordinal)
        return min(index, max(len(self.ordinals) - 1, 0))

    @property
    def document(self) -> DocumentSummary | None:
        return next((doc for doc in self.documents if doc.id == self.document_id), None)

    def _title(self) -> None:
        doc = self.document
        label = self.query_one("#document-title", StatusLine)
        if doc is None:
            label.set(_("no document — press I to import a file"))
            return
        text = Text(f"{doc.label} ", style="bold")
        view = self.view
        chosen = view.selected_words()
        if chosen is not None and view.current is not None:
            start, end = chosen[1]
            words = view.current.text[start:end]
            text.append(f"{view.current.label.split('-')[-1]} ", style="bold")
            text.append(_("words: "), style="bold reverse")
            text.append(f"“{words if len(words) <= 30 else words[:29] + '…'}” ", style="bold")
            text.append(_("←/→ word · shift+←/→ character · space start here · enter code · esc cancel"), style="dim")
            label.set(text)
            return
        if view.current is not None:
            first, last = view.selection_range()
            text.append(f"{view.current.label.split('-')[-1]} ", style="bold")
            about = self._attribute_text(view.current.id)
            if about:
                text.append(f"[{about}] ", style="italic")
            if last > first:
                text.append(_("({count} selected) ").format(count=last - first + 1), style="bold reverse")
        text.append(_("{coded}/{total} coded").format(coded=doc.coded_by_me, total=doc.statements))
        text.append(
            _(" ✓reviewed") if doc.reviewed_by_me else _(" unreviewed"), style="green" if doc.reviewed_by_me else "dim"
        )
        if self.show_others:
            text.append(_(" · all coders"), style="italic")
        text.append(f" · {doc.shown_name}", style="dim")
        if self.saving_shown:  # shown as done only once the database has it
            text.append(_(" · saving…"), style="bold yellow")
        label.set(text)

    def _recent_bar(self) -> None:
        slots = [(slot, self.catalog.name(code_id)) for slot, code_id in self.catalog.recent_slots()]
        any_recent = bool(slots)  # ``catalog.recent``, without looking through the codes again
        slots.append((0, "recent" if any_recent else ""))  # which heading the bar starts with
        if slots == self._recent_shown:  # the same keys and names (nearly every toggle): nothing to redo
            return
        self._recent_shown = slots
        text = Text(_("recent: ") if any_recent else _("recent codes appear here for keys 1–9"), style="dim")
        for slot, name in slots[:-1]:
            text.append(f"{slot}", style="bold reverse")
            text.append(f" {name}  ")
        self.query_one("#recent-bar", StatusLine).set(text)

    def _cursor_changed(self) -> None:
        current = self.view.current
        self.ordinal = current.ordinal if current is not None else 0
        self._title()

    def on_document_view_cursor_moved(self, _event: DocumentView.CursorMoved) -> None:
        self._cursor_changed()  # posted by the view where it does not call ``cursor_changed`` (words)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if isinstance(event.option_list, DocumentList) and event.option.id is not None:
            document_id = int(event.option.id)
            if document_id != self.document_id:
                self._open(document_id)
            self.view.focus()

    # ------------------------------------------------------------------ coding
    def _after_coding(
        self,
        sentence_ids: Sequence[int],
        code_ids: Sequence[int],
        *,
        recount: bool = False,
        truth: dict[int, Pairs] | None = None,
    ) -> None:
        """Show the stored state of the touched statements, and the codes' counts that follow from it.

        The statements are re-read from the database (the truth, whatever the action
        returned) unless ``truth`` already holds what the action's own transaction read
        back; a code's counts change by exactly the difference in this coder's codings on
        them, so they are adjusted without another query unless ``recount``.
        """
        counting = [cid for cid in code_ids if recount or cid not in self.catalog.codes]
        if truth is not None and not counting:
            self._show_coding(sentence_ids, code_ids, truth, {})
            return
        workbench, all_coders, known = self.workbench, self.show_others, truth

        def read() -> tuple[dict[int, Pairs], dict[int, CodeInfo]]:
            found = known if known is not None else workbench.sentence_codes(sentence_ids, all_coders=all_coders)
            return found, {cid: workbench.code(cid) for cid in counting}

        self.app.attempt_then(
            read,
            lambda found: self._show_coding(sentence_ids, code_ids, *found),
            reload=False,
            failed=self.reload_all,
        )

    def _show_coding(
        self,
        sentence_ids: Sequence[int],
        code_ids: Sequence[int],
        truth: dict[int, Pairs],
        counted: dict[int, CodeInfo],
    ) -> None:
        """``_after_coding`` once the stored state is read: chips, the document's and the codes' counts."""
        view = self.view
        had = sum(1 for sid in sentence_ids if view.mine(sid))
        before = {cid: sum(1 for sid in sentence_ids if cid in view.mine(sid)) for cid in code_ids}
        view.update_statements(truth, sentence_ids)
        has = sum(1 for sid in sentence_ids if view.mine(sid))
        doc = self.document
        if doc is not None and has != had:
            updated = replace(doc, coded_by_me=doc.coded_by_me + has - had)
            self.documents = [updated if d.id == doc.id else d for d in self.documents]
            self.query_one(DocumentList).update_document(updated)
        for code_id in code_ids:
            known = self.catalog.codes.get(code_id)
            if code_id in counted:
                code: CodeInfo | None = counted[code_id]
            elif known is None:
                code = None
            else:
                delta = sum(1 for sid in sentence_ids if code_id in view.mine(sid)) - before[code_id]
                code = replace(known, mine=known.mine + delta, codings=known.codings + delta) if delta else None
            if code is not None:
                self.catalog.update(code)
                self.code_tree.update_code(code)
        self._title()
        self._recent_bar()

    def toggle_code(self, code_id: int) -> None:
        """Toggle on the database lane; the chip appears or goes (the feedback) only once it is committed.

        Until then the title line says "saving…"; a toggle that fails or is refused changes
        nothing on screen and says why in one line.
        """
        ids = self.view.selected_ids()
        if not ids:
            return
        workbench, all_coders = self.workbench, self.show_others

        def done(result: tuple[Any, dict[int, Pairs]]) -> None:
            self._saved()
            self.catalog.use(code_id)
            self.view.drop_quotes(ids, code_id)  # whole-statement codings now, or none
            self._after_coding(ids, [code_id], truth=result[1])

        self._saving()
        self.app.attempt_then(
            lambda: workbench.toggle_and_read(ids, code_id, all_coders=all_coders), done, failed=self._saved
        )

    def _saving(self) -> None:
        """A change is on its way: "saving…" shows if it is not committed within ``SAVING_AFTER_S``.

        (A change committed sooner shows as done in one frame, without a "saving…" frame before it.)
        One timer serves many quick changes: a timer per change costs as much as half the toggle itself.
        """
        self.pending += 1
        if self.pending == 1:
            self._pending_since = time.monotonic()
            if self._saving_timer is None:
                self._saving_timer = self.set_timer(SAVING_AFTER_S, self._show_saving, name="saving")

    def _show_saving(self) -> None:
        self._saving_timer = None
        if not self.pending or self.saving_shown:
            return
        left = self._pending_since + SAVING_AFTER_S - time.monotonic()
        if left > 0.001:  # the change waiting now began after the one the timer was armed for
            self._saving_timer = self.set_timer(left, self._show_saving, name="saving")
            return
        self.saving_shown = True
        self._title()

    def _saved(self) -> None:
        self.pending = max(self.pending - 1, 0)
        if not self.pending and self.saving_shown:
            self.saving_shown = False
            self._title()

    def create_code(self, name: str, level: int, sentence_ids: Sequence[int]) -> None:
        def created(code: CodeInfo) -> None:
            self._saved()
            self._coded_with_new(
                code,
                sentence_ids,
                _("new code {name} ({level})").format(name=code.name, level=self.catalog.level_name(code.level)),
            )

        workbench = self.workbench
        self._saving()
        self.app.attempt_then(
            lambda: workbench.create_code(name, level, code_sentences=sentence_ids), created, failed=self._saved
        )

    def _coded_with_new(self, code: CodeInfo, sentence_ids: Sequence[int], message: str) -> None:
        """Show a code just created on the selected statements: in the tree, the recent keys and the chips."""
        self.catalog.update(code)
        self.catalog.use(code.id)
        self.code_tree.populate()
        self._after_coding(sentence_ids, [code.id], recount=True)
        self.notify(message, timeout=2)

    def action_pick(self) -> None:
        ids = self.view.selected_ids()
        if not ids:
            return
        present = set(self.view.mine(ids[0]))
        for sid in ids[1:]:
            present &= set(self.view.mine(sid))
        what = (
            self.view.current.label
            if len(ids) == 1 and self.view.current
            else _("{count} statements").format(count=len(ids))
        )

        def picked(result: PickResult | None) -> None:
            if result is None:
                return
            if result.code_id is not None:
                self.toggle_code(result.code_id)
            elif result.new_name:
                self.create_code(result.new_name, result.level, ids)

        from qcoder.tui.screens.picker import PickerScreen

        self.app.push_screen(PickerScreen(self.catalog, _("Code {what}").format(what=what), present=present), picked)

    def on_document_view_quote_chosen(self, event: DocumentView.QuoteChosen) -> None:
        """Enter on selected words: pick a code (or name a new one) and code the words as a quote."""
        row = self.view.current
        if row is None or row.id != event.sentence_id:
            return
        sentence_id, span = event.sentence_id, event.span
        words = row.text[span[0] : span[1]]
        present = set(self.view.mine(sentence_id))

        workbench = self.workbench

        def picked(result: PickResult | None) -> None:
            if result is None:
                return
            if result.code_id is not None:
                from qcoder.coding.codings import UNCHECKED  # the engine loads after the first frame

                code_id = result.code_id

                def coded(changed: bool) -> None:
                    self._saved()
                    self.catalog.use(code_id)
                    self._after_coding([sentence_id], [code_id])
                    quoted(changed, self.catalog.name(code_id))

                # re-quoting a coding on screen: refused if it was removed or re-quoted elsewhere since
                shown = self.view.quotes.get(sentence_id, {}).get(code_id) if code_id in present else UNCHECKED
                self._saving()
                self.app.attempt_then(
                    lambda: workbench.code_quote(sentence_id, code_id, span, expected=shown), coded, failed=self._saved
                )
            elif result.new_name:
                new_name, level = result.new_name, result.level
                occurrence = _occurrence(row.text, words, span[0])

                def name_it() -> tuple[bool, tuple[Any, Any, Any]]:
                    done = workbench.quote_named(sentence_id, new_name, words, occurrence=occurrence, level=level)
                    return done[1], (workbench.levels(), workbench.codes(), workbench.coders())

                def named(found: tuple[bool, tuple[Any, Any, Any]]) -> None:
                    self._saved()
                    changed, state = found
                    self.catalog.assign(*state)
                    self.code_tree.populate()
                    code = next(
                        (
                            c
                            for c in self.catalog.codes.values()
                            if new_name in (c.name, self.catalog.path(c.id)) and c.level == level
                        ),
                        None,
                    )
                    if code is not None:
                        self.catalog.use(code.id)
                    self._after_coding([sentence_id], [], recount=True)
                    quoted(changed, new_name)

                self._saving()
                self.app.attempt_then(name_it, named, failed=self._saved)

        def quoted(changed: bool, name: str) -> None:
            self.view.action_clear_range()  # the words are coded: leave word selection
            self._read_quotes()
            if changed:
                self.notify(_("quoted “{words}” as {code}").format(words=words, code=name), timeout=2)
            else:
                self.notify(_("“{words}” was already quoted as {code}").format(words=words, code=name), timeout=2)

        from qcoder.tui.screens.picker import PickerScreen

        title = _("Code the words “{words}” in {label}").format(words=words[:40], label=row.label)
        self.app.push_screen(PickerScreen(self.catalog, title, present=present), picked)

    def action_recent(self, slot: int) -> None:
        code = self.catalog.recent_code(slot)
        if code is None:
            self.notify(
                _("no recent code on {slot} yet: code something with enter first").format(slot=slot),
                severity="warning",
            )
            return
        self.toggle_code(code.id)

    def action_suggest(self) -> None:
        row = self.view.current
        if row is None:
            return
        ids = self.view.selected_ids()
        names = [code.name for code in self.catalog.codes.values()]

        def accepted(phrase: str | None) -> None:
            if not phrase:
                return
            from qcoder.coding import suggest

            def accepted_code(code: CodeInfo) -> None:
                self._coded_with_new(
                    code, ids, _("in-vivo code {name}; added to the user dictionary").format(name=code.name)
                )

            workbench = self.workbench
            self.app.attempt_then(lambda: suggest.accept(workbench, phrase, ids), accepted_code)

        from qcoder.tui.screens.suggestions import SuggestionScreen

        self.app.push_screen(SuggestionScreen(row.label, row.text, names), accepted)

    def action_similar(self) -> None:
        row = self.view.current
        if row is None:
            return

        def chosen(target: tuple[int, int] | None) -> None:
            if target is not None:
                self.jump(*target)

        from qcoder.tui.screens.suggestions import SimilarScreen

        self.app.push_screen(SimilarScreen(self.workbench.project, row.label), chosen)

    def action_suggestion_queue(self) -> None:
        row = self.view.current

        def closed(accepted: int | None) -> None:
            self.reload_all()  # show the codings accepted (and anything undone) in the queue

        from qcoder.tui.screens.suggestions import SuggestionQueueScreen

        self.app.push_screen(SuggestionQueueScreen(self.workbench, row.id if row else None), closed)

    def action_next_uncoded(self) -> None:
        row = self.view.current
        if row is None or self.document_id is None:
            return
        document_id, ordinal, workbench = self.document_id, row.ordinal, self.workbench

        def found(next_ordinal: int) -> None:
            if document_id != self.document_id:
                return  # another document was opened meanwhile
            if not next_ordinal:
                self.notify(_("every statement in this document carries one of your codes"))
                return
            self.view.go_to(self._index_of_ordinal(next_ordinal))

        self.app.attempt_then(
            lambda: workbench.next_uncoded(document_id, ordinal) or 0, found, reload=False, hold_keys=True
        )

    # ------------------------------------------------------------------ other actions
    def action_memo(self, target: str) -> None:
        from qcoder.tui.screens.memo import MemoScreen

        row, doc = self.view.current, self.document
        if target == "sentence":
            if row is None:
                return
            below = self.view.bring_to_top()  # the dialog opens below (or above) the statement it is about
            screen = MemoScreen(
                self.workbench,
                "sentence",
                row.id,
                _("statement {label}").format(label=row.label),
                place="below" if below else "above",
            )

        elif target == "document":
            if doc is None:
                return
            screen = MemoScreen(self.workbench, "document", doc.id, _("document {label}").format(label=doc.label))
        else:
            screen = MemoScreen(self.workbench, "project", None, _("the project"))
        self.app.push_screen(screen, self._memo_closed)

    def _memo_closed(self, saved: bool | None) -> None:
        if saved:
            self._read_memo_marks()

    def action_memo_browser(self) -> None:
        from qcoder.tui.screens.memo_browser import MemoBrowserScreen

        self.app.push_screen(MemoBrowserScreen(self.workbench), self.go_to_memo)

    def go_to_memo(self, entry: MemoEntry | None) -> None:
        """Jump to what a memo is on: its statement or document here, its code in the codebook, else open it."""
        if entry is None:
            return
        from qcoder.tui.screens.memo import MemoScreen

        if entry.sentence_id is not None and entry.document_id is not None:
            self.jump(entry.document_id, entry.sentence_id)
        elif entry.document_id is not None:
            self._open(entry.document_id, then=self._listed)
            self.view.focus()
        elif entry.code_id is not None:
            self.app.open_codebook(entry.code_id)

        elif entry.relation_id is not None:
            what = _("relation {name}").format(name=entry.target_label)
            self.app.push_screen(MemoScreen(self.workbench, "relation", entry.relation_id, what))

        else:
            self.app.push_screen(MemoScreen(self.workbench, "project", None, _("the project")))

    def action_search(self) -> None:
        from qcoder.tui.screens.search import SearchScreen

        self.app.push_screen(SearchScreen(self.workbench), self._jump_hit)

    def _jump_hit(self, hit: Hit | None) -> None:
        if hit is not None:
            self.jump(hit.document_id, hit.sentence_id)

    def jump(self, document_id: int, sentence_id: int) -> None:
        """Go to a statement anywhere in the project (search hit, comparison row)."""

        def there() -> None:
            index = self.view.index_of(sentence_id)
            if index is not None:
                self.view.go_to(index)

        if document_id != self.document_id:
            self._open(document_id, then=lambda: self._listed(there))
        else:
            there()
        self.view.focus()

    def action_compare(self) -> None:
        focused_tree = self.focused is self.code_tree
        code_id = self.code_tree.selected_code_id if focused_tree else None
        if code_id is not None:
            self.compare(code_id)
            return

        def picked(result: PickResult | None) -> None:
            if result is not None and result.code_id is not None:
                self.compare(result.code_id)

        from qcoder.tui.screens.picker import PickerScreen

        self.app.push_screen(PickerScreen(self.catalog, _("Compare statements of code…"), allow_create=False), picked)

    def compare(self, code_id: int) -> None:
        def chosen(row: ComparisonRow | None) -> None:
            if row is not None:
                self.jump(row.document_id, row.sentence_id)

        from qcoder.tui.screens.comparison import ComparisonScreen

        self.app.push_screen(ComparisonScreen(self.workbench, code_id, self.catalog.name(code_id)), chosen)

    def action_toggle_others(self) -> None:
        self.show_others = wanted = not self.show_others
        document_id = self.document_id

        def show(codings: dict[int, Pairs]) -> None:
            if document_id == self.document_id and self.show_others == wanted:
                self.view.set_codings(codings or {})
                self._title()

        def back() -> None:
            if self.show_others == wanted:
                self.show_others = not wanted
                self._title()

        self._title()
        if document_id is not None:
            workbench = self.workbench
            asked = self.app.attempt_then(
                lambda: workbench.document_codings(document_id, all_coders=wanted), show, reload=False, failed=back
            )
            if not asked:
                return
        self.notify(_("showing all coders' codes") if self.show_others else _("showing your codes only"), timeout=1.5)

    def action_review(self) -> None:
        doc = self.document
        if doc is None:
            return
        wanted = not doc.reviewed_by_me
        uncoded = doc.statements - doc.coded_by_me
        if wanted and uncoded > 0:
            from qcoder.tui.screens.dialogs import ConfirmScreen

            def answered(yes: bool | None) -> None:
                if yes:
                    self._review(doc, wanted)

            self.app.push_screen(
                ConfirmScreen(
                    _(
                        "{label} has {count} statements without your codes. Mark it reviewed anyway? A reviewed "
                        "document counts in agreement: there an uncoded statement means “none of these codes”."
                    ).format(label=doc.label, count=uncoded)
                ),
                answered,
            )
            return
        self._review(doc, wanted)

    def _review(self, doc: DocumentSummary, wanted: bool) -> None:
        workbench = self.workbench

        def mark() -> list[DocumentSummary]:
            workbench.review(doc.id, wanted)
            return workbench.documents()

        def marked(documents: list[DocumentSummary]) -> None:
            self._saved()
            self.documents = documents or self.documents
            self.query_one(DocumentList).show(self.documents, self.document_id)
            self._title()
            self.notify(
                (_("{label} marked reviewed") if wanted else _("{label} marked not reviewed")).format(label=doc.label),
                timeout=2,
            )

        self._saving()
        self.app.attempt_then(mark, marked, failed=self._saved)

    def show_changes(self, state: CodingState | None) -> bool:
        if state is None or state.document_id != self.document_id:
            return False  # read for another document: the next check reads again
        self.show_state(state)
        return True

    def show_state(self, state: CodingState) -> None:
        """Other coders' changes (read by live refresh): tree, documents and chips; the cursor stays."""
        if not self.catalog.same_as(state.levels, state.codes, state.coders):
            self.catalog.assign(state.levels, state.codes, state.coders)
            self.code_tree.populate()
            self.view.refresh()  # chips name codes and coders: drawn again with the new names and colours
        if state.documents != self.documents:
            if self.document_id not in {doc.id for doc in state.documents}:
                self.reload_all()  # the open document is gone: start over
                return
            listing = self.query_one(DocumentList)
            if [doc.id for doc in state.documents] == [doc.id for doc in self.documents]:
                for known, doc in zip(self.documents, state.documents):
                    if doc != known:
                        listing.update_document(doc)  # keeps the list's highlight
            else:
                listing.show(state.documents, self.document_id)
            self.documents = state.documents
        if state.codings != self.view.codings:
            self.view.set_codings(state.codings)
        self._title()

    def action_document(self, delta: int) -> None:
        ids = [doc.id for doc in self.documents]
        if self.document_id not in ids:
            return
        position = (ids.index(self.document_id) + delta) % len(ids)
        self._open(ids[position], then=self._listed)

    def action_codebook(self) -> None:
        self.app.open_codebook()

    def action_import_file(self) -> None:
        def done(message: str | None) -> None:
            if message:
                self.notify(message)
                self.reload_all()

        from qcoder.tui.screens.importer import ImportScreen

        self.app.push_screen(ImportScreen(self.workbench.project, self.workbench.coder_id), done)


def _settle() -> None:
    """A document is in: keep its rows out of the cyclic garbage collector's full passes.

    Its statements, codings and layout are tens of thousands of objects that live as long as
    the document is open; a full pass walked them all every few key presses (several ms, in
    the middle of a key's frame). Frozen objects are still freed by reference counting when
    the document closes; only cycles among them would wait.
    """
    gc.freeze()


def _occurrence(text: str, words: str, start: int) -> int:
    """Which occurrence (1-based, overlapping ones counted) of ``words`` in ``text`` starts at ``start``."""
    count, at = 0, text.find(words)
    while 0 <= at < start:
        count += 1
        at = text.find(words, at + 1)
    return count + 1
