"""The document view: every statement with its ID and code chips, drawn line by line.

One ScrollView using Textual's Line API: ``render_line`` builds only the visible lines
from a precomputed wrap layout (see ``layout.py``), so a 50,000-statement document opens
and scrolls as fast as a short one. Widgets per statement (ListView, OptionList,
DataTable) take seconds at that size.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import NamedTuple, Self

import numpy as np
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBar
from textual.strip import Strip

from qcoder.coding.records import StatementRow
from qcoder.i18n import N_
from qcoder.tui.catalog import CodeCatalog
from qcoder.tui.layout import WrapLayout
from qcoder.tui.translate import TranslatedBindings
from qcoder.tui.words import next_boundary, previous_boundary, word_boundaries, word_end, word_start

Pairs = list[tuple[int, int]]  # (code id, coder id)
Quotes = dict[int, dict[int, tuple[int, int]]]  # sentence id → code id → quote span (this coder's)
# asks for a statement's stored tokens; answers later through the callback (None: they cannot be read now)
TokenReader = Callable[[int, Callable[[str | None], None]], None]
TOKENS_KEPT = 512  # statements whose tokens the view keeps (read once per document, not once per selection)
# Lines of context a cursor move keeps in view above and below the cursor's statement (vim's
# ``scrolloff``): reading down a transcript, the next statement's start stays in sight, and the
# chip line a first code adds appears in that room instead of scrolling every line of the view.
SCROLL_MARGIN = 3


class WordSelection(NamedTuple):
    """Words being selected inside one statement: ``[min(anchor, end), max(anchor, end))`` code points."""

    position: int  # the statement's position in the view
    boundaries: list[int]  # where its words start and end
    anchor: int
    end: int

    @property
    def span(self) -> tuple[int, int]:
        return min(self.anchor, self.end), max(self.anchor, self.end)


class LineStyles(NamedTuple):
    """The styles one frame draws with, resolved once per frame instead of once per line.

    Textual's ``rich_style`` walks every ancestor's CSS on each call; looking it up for
    each of the 40 visible lines cost more than drawing them.
    """

    base: Style
    cursor: Style
    selection: Style
    marker: Style
    label_style: Style
    heading: Style
    chip: Style
    chip_other: Style
    words: Style
    quote: Style

    def row(self, style: Style) -> tuple[Style, Style, Style]:
        """(marker, label, heading) styles on a row's background."""
        return style + self.marker, style + self.label_style, style + self.heading


class DocumentView(TranslatedBindings, ScrollView, can_focus=True):
    """Statements of one document; a cursor, an optional range selection, code chips."""

    COMPONENT_CLASSES = {
        "document-view--label",
        "document-view--cursor",
        "document-view--selection",
        "document-view--chip",
        "document-view--chip-other",
        "document-view--heading",
        "document-view--marker",
        "document-view--words",
        "document-view--quote",
    }

    DEFAULT_CSS = """
    DocumentView {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        overflow-y: scroll;  /* the scrollbar is always there: text never wraps under it */
        scrollbar-size-vertical: 1;
    }
    DocumentView > .document-view--label { color: $text-muted; }
    DocumentView > .document-view--cursor { background: $primary 35%; }
    DocumentView:blur > .document-view--cursor { background: $primary 15%; }
    DocumentView > .document-view--selection { background: $accent 25%; }
    DocumentView > .document-view--chip { color: $text-success; text-style: bold; }
    DocumentView > .document-view--chip-other { color: $text-muted; text-style: italic; }
    DocumentView > .document-view--heading { text-style: bold; color: $text-accent; }
    DocumentView > .document-view--marker { color: $accent; text-style: bold; }
    DocumentView > .document-view--words { background: $warning 60%; text-style: bold; }
    DocumentView > .document-view--quote { text-style: underline; }
    """

    BINDINGS = [
        Binding("down,j", "move(1)", N_("Down"), show=False),
        Binding("up,k", "move(-1)", N_("Up"), show=False),
        Binding("shift+down,J", "extend(1)", N_("Extend down"), show=False),
        Binding("shift+up,K", "extend(-1)", N_("Extend up"), show=False),
        Binding("pagedown", "page(1)", N_("Page down"), show=False),
        Binding("pageup", "page(-1)", N_("Page up"), show=False),
        Binding("home,g", "edge(0)", N_("First"), show=False),
        Binding("end,G", "edge(1)", N_("Last"), show=False),
        Binding("v", "toggle_range", N_("Range"), tooltip=N_("Start/stop selecting a range of statements")),
        Binding("escape", "clear_range", N_("Clear range"), show=False),
        Binding(
            "e",
            "words",
            N_("Select words"),
            show=False,
            tooltip=N_("Select words inside the statement to code as a quote"),
        ),
        Binding("right,l", "word_step(1)", N_("Next word"), show=False),
        Binding("left,h", "word_step(-1)", N_("Previous word"), show=False),
        Binding("shift+right,L", "char_step(1)", N_("Next character"), show=False),
        Binding("shift+left,H", "char_step(-1)", N_("Previous character"), show=False),
        Binding("space", "word_restart", N_("Start at the last word"), show=False),
        Binding("enter", "quote", N_("Code the words…"), show=False),
    ]

    # only while words are being selected; otherwise these keys go on to the screen
    _WORD_ACTIONS = frozenset({"word_step", "char_step", "word_restart", "quote"})

    class QuoteChosen(Message):
        """Enter on selected words: code ``span`` (code points into the statement) as a quote."""

        def __init__(self, view: DocumentView, sentence_id: int, span: tuple[int, int]) -> None:
            super().__init__()
            self.view = view
            self.sentence_id = sentence_id
            self.span = span

    class CursorMoved(Message):
        """The cursor or the selection changed (posted when no ``cursor_changed`` callback is set)."""

        def __init__(self, view: DocumentView, index: int) -> None:
            super().__init__()
            self.view = view
            self.index = index

    def __init__(self, catalog: CodeCatalog, *, name: str | None = None, id: str | None = None) -> None:
        super().__init__(name=name, id=id)
        self.set_reactive(DocumentView.auto_links, False)  # no links in statements: kept strips need no hover styling
        self.catalog = catalog
        self.statements: Sequence[StatementRow] = ()
        self.codings: dict[int, Pairs] = {}
        self.coder_id = -1
        self.cursor = 0
        self.selection_anchor: int | None = None
        self.visual = False
        self._index_of: dict[int, int] = {}
        self._gutter = 10
        self.layout_: WrapLayout | None = None
        self._styles: LineStyles | None = None
        self.memo_ids: set[int] = set()  # statements that carry a memo: marked ✎ after their label
        self.quotes: Quotes = {}  # this coder's quoted codings: their words are underlined
        self.words: WordSelection | None = None  # words being selected in the cursor's statement
        # where a statement's words are: its stored tokens, asked of the screen (which reads them on the
        # database lane and answers by callback); never waited for — the selection starts by characters
        self.read_tokens: TokenReader | None = None
        self._token_cache: dict[int, str] = {}  # sentence id → its tokens, read for this document
        self._asking: set[int] = set()  # statements whose tokens are being read
        self._recut: int | None = None  # the selection's statement, started by characters: re-cut when they come
        self._snap = False  # that selection was started by the keys: widen it to whole words then
        self._press: tuple[int, int] | None = None  # (statement, character) where the mouse button went down
        self._dragged = False  # the last press selected characters: its click does not move the cursor
        self._styles_key: tuple[object, ...] = ()
        # Drawn lines, kept across frames: (statement index, line within it) → row state → strip.
        # A key press that scrolls the view draws again only the lines it changed, not all
        # of them (see ``render_lines``); ``refresh`` forgets what it repaints. A line is kept
        # in each row state it was drawn in (cursor on it or not, selected or not): a cursor
        # move finds both of its statements already drawn as they now look, except the
        # statement the cursor reaches for the first time.
        self._strips: dict[tuple[int, int], dict[tuple[bool, bool, bool], Strip]] = {}
        self._keep_strips = False  # set while a refresh only moves lines (scroll, a chip line came or went)
        # Called at once when the cursor or the selection changes, instead of posting CursorMoved:
        # what it updates (the screen's title line) is drawn in the same frame as the view. The
        # message reached the screen only after the view's frame, and the title's change then
        # took a second frame one timer tick later (and held the next key's frame for that tick).
        self.cursor_changed: Callable[[], None] | None = None
        # Set while the statements after the first screen are still being read (fast launch):
        # called by whatever needs the whole document (End, a statement not yet loaded) with
        # ``wait``; True once the rest is in. A key never waits for it on the UI thread: it is
        # kept in ``after_rest`` (and the keys after it wait, in order) until the rest arrives.
        self.complete: Callable[[bool], bool] | None = None
        self.after_rest: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ data
    def load(
        self,
        statements: Sequence[StatementRow],
        codings: dict[int, Pairs],
        coder_id: int,
        cursor: int = 0,
        *,
        label_width: int = 0,
    ) -> None:
        """Show a document; keeps nothing from the previous one.

        ``label_width``: room for labels still to come (``extend``), so the text keeps its width.
        """
        self.complete = None
        self.after_rest = []
        self.statements = statements
        self.codings = codings
        self.coder_id = coder_id
        self._index_of = {row.id: i for i, row in enumerate(statements)}
        width = max(max((len(row.label) for row in statements), default=8), label_width)
        self._gutter = width + 2
        self.selection_anchor = None
        self.visual = False
        self.words = None
        self._token_cache.clear()
        self._recut = None
        self.cursor = min(max(cursor, 0), max(len(statements) - 1, 0))
        self.layout_ = None
        if self.scrollable_content_region.width:  # not yet sized: on_resize lays out once, at the real width
            self._lay_out()
        self._cursor_moved()

    def _lay_out(self) -> None:
        self.layout_ = WrapLayout(
            [row.text for row in self.statements],
            [bool(self.codings.get(row.id)) for row in self.statements],
            self._text_width(),
        )
        self._update_virtual_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self._scroll_cursor_into_view()
        self.refresh()

    def extend(
        self, rows: Sequence[StatementRow], codings: dict[int, Pairs], text_lines: np.ndarray | None, width: int
    ) -> None:
        """Append the statements read after the first screen; the cursor and scroll stay where they are.

        ``text_lines`` are their wrapped line counts at text ``width`` (counted off the UI
        thread); they are counted again here only if the view's width changed meanwhile.
        """
        start = len(self.statements)
        self.statements = [*self.statements, *rows]
        self._index_of.update((row.id, start + i) for i, row in enumerate(rows))
        self.codings.update(codings)
        gutter = max(self._gutter, max((len(row.label) for row in rows), default=0) + 2)
        if self.layout_ is None:
            self._gutter = gutter
            return
        if gutter != self._gutter:  # longer labels than foreseen: the text is narrower now
            self._gutter = gutter
            text_lines = None
            self.layout_.set_width(self._text_width())
        self.layout_.extend(
            [row.text for row in rows],
            [bool(codings.get(row.id)) for row in rows],
            text_lines if width == self.layout_.width else None,
        )
        self._update_virtual_size()
        self._scroll_cursor_into_view()
        self.refresh()

    def whole(self, *, wait: bool = True) -> bool:
        """Make sure every statement of the document is loaded; False if a fast launch's rest is still being read
        and ``wait`` is False (a key's action is then kept for ``rest_arrived`` instead of waiting)."""
        return self.complete is None or self.complete(wait)

    def _after_rest(self, action: Callable[[], None]) -> bool:
        """Whether ``action`` (a key's) must wait for the rest of the document: then it is kept for ``rest_arrived``."""
        if self.whole(wait=False):
            return False
        self.after_rest.append(action)
        return True

    def rest_arrived(self) -> None:
        """The rest of the document is in (or could not be read): the keys kept for it run now, in order."""
        kept, self.after_rest = self.after_rest, []
        for action in kept:
            action()

    def set_codings(self, codings: dict[int, Pairs]) -> None:
        """Replace all chips (after a refresh or undo): layout adjusts only chip lines.

        ``codings`` cover the whole document, so a fast launch's rest is taken in first:
        its own codings must not be laid over these afterwards.
        """
        self.whole()
        self.codings = codings
        if self.layout_ is not None:
            self.layout_.set_chips([bool(codings.get(row.id)) for row in self.statements])
            self._update_virtual_size()
        self.refresh()

    def update_statements(self, changed: dict[int, Pairs], sentence_ids: Sequence[int]) -> None:
        """Chips of some statements re-read from the database (``changed`` holds their truth)."""
        relayout = False
        for sid in sentence_ids:
            pairs = changed.get(sid, [])
            if pairs:
                self.codings[sid] = pairs
            else:
                self.codings.pop(sid, None)
            index = self._index_of.get(sid)
            if index is not None and self.layout_ is not None:
                relayout |= self.layout_.set_chip(index, bool(pairs))
        if self.layout_ is None:
            return
        # Repainted: the text columns only. The scrollbar beside them repaints itself when its thumb
        # moves (``_update_scrollbar``); a region over it redrew the whole bar on every toggle.
        width, top, height = self.scrollable_content_region.width, int(self.scroll_offset.y), self.size.height
        if relayout:  # a chip line came or went: the lines below it moved, those above did not
            indices = [i for i in (self._index_of.get(sid) for sid in sentence_ids) if i is not None]
            for index in indices:
                self._forget_statement(index)
            self._update_virtual_size()
            top = int(self.scroll_offset.y)
            row = max(self.layout_.first_line(min(indices, default=0)) - top, 0)
            if row < height:
                self._keep_strips = True  # the lines that only moved keep their strips
                try:
                    self.refresh(Region(0, row, width, height - row))
                finally:
                    self._keep_strips = False
            self._scroll_cursor_into_view()  # the chip line that came is the feedback: never below the view
        else:
            for sid in sentence_ids:
                index = self._index_of.get(sid)
                if index is not None:
                    start = self.layout_.first_line(index)
                    self.refresh(Region(0, start - top, width, self.layout_.line_count(index)))

    def set_memos(self, sentence_ids: set[int]) -> None:
        """Mark the statements that carry a memo (any coder's)."""
        if sentence_ids != self.memo_ids:
            self.memo_ids = sentence_ids
            self.refresh()

    def bring_to_top(self) -> bool:
        """Scroll the cursor's statement to the top line; False if the document's end keeps it in the lower half.

        A dialog about the statement then opens below it (True) or above it (False), never over it.
        """
        if self.layout_ is None or not self.statements:
            return True
        first = self.layout_.first_line(self.cursor)
        self.scroll_to(y=first, animate=False, immediate=True)
        self.refresh()
        row = first - int(self.scroll_target_y)
        return row + self.layout_.line_count(self.cursor) <= max(1, self.scrollable_content_region.height) // 2

    def index_of(self, sentence_id: int) -> int | None:
        if sentence_id not in self._index_of:
            self.whole()
        return self._index_of.get(sentence_id)

    @property
    def current(self) -> StatementRow | None:
        return self.statements[self.cursor] if self.statements else None

    def selection_range(self) -> tuple[int, int]:
        if self.selection_anchor is None:
            return self.cursor, self.cursor
        return min(self.selection_anchor, self.cursor), max(self.selection_anchor, self.cursor)

    def selected_ids(self) -> list[int]:
        if not self.statements:
            return []
        first, last = self.selection_range()
        return [row.id for row in self.statements[first : last + 1]]

    def mine(self, sentence_id: int) -> list[int]:
        return [cid for cid, coder in self.codings.get(sentence_id, []) if coder == self.coder_id]

    # ------------------------------------------------------------------ movement
    def go_to(self, index: int, *, extend: bool = False) -> None:
        if not self.statements:
            return
        if index >= len(self.statements) and self._after_rest(lambda: self.go_to(index, extend=extend)):
            return
        index = min(max(index, 0), len(self.statements) - 1)
        if self.words is not None:
            self._end_words()
        before = self.selection_range()
        if extend or self.visual:
            if self.selection_anchor is None:
                self.selection_anchor = self.cursor
        else:
            self.selection_anchor = None
        self.cursor = index
        after = self.selection_range()
        if not self._scroll_cursor_into_view(SCROLL_MARGIN):
            # only the rows' state (cursor, selection) changed, not what they hold: kept strips stay
            self._keep_strips = True
            try:
                self._refresh_span(min(before[0], after[0]), max(before[1], after[1]))
            finally:
                self._keep_strips = False
        self._cursor_moved()

    # keys whose binding runs as soon as the view gets the key (see ``handle_key``)
    _AT_ONCE = frozenset({"move", "extend", "page", "edge"})

    async def handle_key(self, event: events.Key) -> bool:
        """A cursor key, or a screen key its screen names, runs its binding here, not after the key
        has bubbled up to the app.

        Textual runs a focused widget's (non-priority) binding when the key reaches the app,
        after it went through the queue of each container between: four queues on the coding
        screen, a fifth of a cursor move. When the binding the app would run first for this
        key is one of the view's own cursor actions, or one its screen lists in
        ``AT_ONCE_ACTIONS`` (the coding screen: the number keys that toggle a code — the
        containers between have no key handlers to miss), it runs now and the key stops
        here; any other key goes on as before.
        """
        screen = self.screen
        for namespace, bindings in screen._modal_binding_chain:
            for binding in bindings.key_to_bindings.get(event.key, ()):
                if binding.priority:
                    continue
                action = binding.action.split("(", 1)[0]
                at_once = (namespace is self and action in self._AT_ONCE) or (
                    namespace is screen and action in getattr(screen, "AT_ONCE_ACTIONS", ())
                )
                if at_once and await self.app.run_action(binding.action, namespace):
                    event.stop()
                    return True
                return await super().handle_key(event)
        return await super().handle_key(event)

    def _cursor_moved(self) -> None:
        """Tell ``cursor_changed`` at once (or, without one, post ``CursorMoved``)."""
        if self.cursor_changed is not None:
            self.cursor_changed()
        else:
            self.post_message(self.CursorMoved(self, self.cursor))

    def action_move(self, delta: int) -> None:
        self.go_to(self.cursor + delta)

    def action_extend(self, delta: int) -> None:
        self.go_to(self.cursor + delta, extend=True)

    def action_page(self, direction: int) -> None:
        if self.layout_ is None or not self.statements:
            return
        height = max(1, self.scrollable_content_region.height)
        top = self.layout_.first_line(self.cursor)
        target = min(max(top + direction * height, 0), max(self.layout_.total - 1, 0))
        # paging past what is loaded: the rest of the document first
        if direction > 0 and target >= self.layout_.total - 1 and self._after_rest(lambda: self.action_page(direction)):
            return
        index, _ = self.layout_.locate(target)
        if index == self.cursor:
            index += direction
        self.go_to(index)

    def action_edge(self, end: int) -> None:
        if end and self._after_rest(lambda: self.action_edge(end)):
            return
        self.go_to(len(self.statements) - 1 if end else 0)

    def action_toggle_range(self) -> None:
        if self.visual:
            self.visual = False
        else:
            self.visual = True
            self.selection_anchor = self.cursor
        self.refresh()
        self._cursor_moved()

    def action_clear_range(self) -> None:
        if self.words is not None:
            self._end_words()
            return
        self.visual = False
        if self.selection_anchor is not None:
            self.selection_anchor = None
            self.refresh()
            self._cursor_moved()

    # ------------------------------------------------------------------ words (quote spans)
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self._WORD_ACTIONS:
            return self.words is not None
        return True

    def set_quotes(self, quotes: Quotes) -> None:
        """This coder's quote spans in the document (their words are underlined, the chip shows them)."""
        self.quotes = quotes
        self.refresh()

    def drop_quotes(self, sentence_ids: Sequence[int], code_id: int) -> None:
        """A toggle added or removed whole-statement codings: their quotes, if any, are gone."""
        for sid in sentence_ids:
            spans = self.quotes.get(sid)
            if spans is not None and spans.pop(code_id, None) is not None:
                if not spans:
                    del self.quotes[sid]
                index = self._index_of.get(sid)
                if index is not None:
                    self._refresh_statement(index)

    def action_words(self) -> None:
        """Start selecting words in the cursor's statement (the first word selected)."""
        row = self.current
        if row is None or not row.text:
            return
        self.selection_anchor = None
        self.visual = False
        boundaries, known = self._word_boundaries(row)
        self.words = WordSelection(self.cursor, boundaries, 0, next_boundary(boundaries, 0))
        self._words_changed()
        if not known:
            self._await_tokens(row.id, snap=True)

    def _word_boundaries(self, row: StatementRow) -> tuple[list[int], bool]:
        """Where the statement's words are, and whether its tokens are known (False: every character a word)."""
        tokens = self._token_cache.get(row.id)
        return word_boundaries(row.text, tokens or ""), tokens is not None

    def _await_tokens(self, sentence_id: int, *, snap: bool) -> None:
        """Ask for the statement's tokens: the selection on it is re-cut on word boundaries when they come.

        Why not wait for them: a server that never answers (or a locked file) would freeze the keys.
        """
        self._recut, self._snap = sentence_id, snap
        if self.read_tokens is None or sentence_id in self._asking:
            return
        self._asking.add(sentence_id)
        self.read_tokens(sentence_id, lambda tokens: self._tokens_read(sentence_id, tokens))

    def _tokens_read(self, sentence_id: int, tokens: str | None) -> None:
        """A statement's tokens came (None: they could not be read; the selection goes on by characters).

        The selection is re-cut only if it is still the one started on that statement: the keys pressed
        meanwhile stay applied (by characters), and a selection the keys widened is widened to whole words —
        its anchor back to the start of the word it falls in, its end on to the end of its word. A mouse drag
        keeps exactly the characters dragged over, as it does when the tokens were known at once.
        """
        self._asking.discard(sentence_id)
        if tokens is None:
            return  # asked again the next time words are selected in it
        if len(self._token_cache) >= TOKENS_KEPT:
            self._token_cache.clear()
        self._token_cache[sentence_id] = tokens
        words = self.words
        if (
            words is None
            or self._recut != sentence_id
            or words.position >= len(self.statements)
            or self.statements[words.position].id != sentence_id
        ):
            return
        self._recut = None
        boundaries = word_boundaries(self.statements[words.position].text, tokens)
        anchor, end = words.anchor, words.end
        if self._snap:
            if end >= anchor:
                anchor, end = word_start(boundaries, anchor), word_end(boundaries, end)
            else:
                anchor, end = word_end(boundaries, anchor), word_start(boundaries, end)
        self.words = words._replace(boundaries=boundaries, anchor=anchor, end=end)
        self._words_changed()

    def selected_words(self) -> tuple[int, tuple[int, int]] | None:
        """(sentence id, span) of the words being selected, if any."""
        if self.words is None or self.words.position >= len(self.statements):
            return None
        return self.statements[self.words.position].id, self.words.span

    def _move_words(self, end: int) -> None:
        words = self.words
        if words is None:
            return
        self.words = words._replace(end=min(max(end, 0), words.boundaries[-1]))
        self._words_changed()

    def action_word_step(self, direction: int) -> None:
        if self.words is not None:
            step = next_boundary if direction > 0 else previous_boundary
            self._move_words(step(self.words.boundaries, self.words.end))

    def action_char_step(self, direction: int) -> None:
        if self.words is not None:
            self._move_words(self.words.end + direction)

    def action_word_restart(self) -> None:
        """Keep only the word just reached: the selection starts there."""
        words = self.words
        if words is None:
            return
        if words.end > words.anchor:
            start = previous_boundary(words.boundaries, words.end)
            self.words = words._replace(anchor=start)
        else:
            self.words = words._replace(anchor=next_boundary(words.boundaries, words.end))
        self._words_changed()

    def action_quote(self) -> None:
        chosen = self.selected_words()
        if chosen is None:
            return
        sentence_id, span = chosen
        if span[0] == span[1]:
            self.app.bell()
            return
        self.post_message(self.QuoteChosen(self, sentence_id, span))

    def _end_words(self) -> None:
        words, self.words = self.words, None
        self._recut = None
        if words is not None:
            self._refresh_statement(words.position)
        self.post_message(self.CursorMoved(self, self.cursor))

    def _words_changed(self) -> None:
        if self.words is not None:
            self._refresh_statement(self.words.position)
        self.post_message(self.CursorMoved(self, self.cursor))

    def _character_at(self, x: int, y: int) -> tuple[int, int] | None:
        """(statement index, code point) under a point of the view's content; None off the text."""
        if self.layout_ is None or not self.statements:
            return None
        line = y + int(self.scroll_offset.y)
        if not 0 <= line < self.layout_.total:
            return None
        index, within = self.layout_.locate(line)
        spans = self.layout_.spans(index)
        if within >= min(len(spans), int(self.layout_.text_lines[index])):
            return None
        start, end = spans[within]
        text = self.statements[index].text
        cells = x - self._gutter
        if cells < 0:
            return index, start
        for position in range(start, end):
            cells -= cell_len(text[position])
            if cells < 0:
                return index, position
        return index, max(start, end - 1)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        offset = event.get_content_offset(self)
        self._press = None if offset is None else self._character_at(offset.x, offset.y)
        self._dragged = False

    def on_mouse_move(self, event: events.MouseMove) -> None:
        """Dragging inside a statement selects its characters (as words selected with the keys are)."""
        if self._press is None:
            return
        offset = event.get_content_offset(self)
        at = None if offset is None else self._character_at(offset.x, offset.y)
        index, first = self._press
        if at is None or at[0] != index or (at[1] == first and not self._dragged):
            return
        if not self._dragged:
            self._dragged = True
            self.capture_mouse()
            self.focus()
            if self.cursor != index:
                self.go_to(index)
            row = self.statements[index]
            boundaries, known = self._word_boundaries(row)
            self.words = WordSelection(index, boundaries, first, first)
            if not known:
                self._await_tokens(row.id, snap=False)
        current = at[1]
        anchor, end = (first, current + 1) if current >= first else (first + 1, current)
        if self.words is not None:
            self.words = self.words._replace(anchor=anchor, end=end)
            self._words_changed()

    def on_mouse_up(self, _event: events.MouseUp) -> None:
        if self._press is not None and self._dragged:
            self.release_mouse()
        self._press = None

    async def _on_click(self, event: events.Click) -> None:
        if self._dragged:  # the end of a drag that selected characters: they stay selected
            self._dragged = False
            return
        offset = event.get_content_offset(self)
        if offset is None or self.layout_ is None or not self.statements:
            return
        line = offset.y + int(self.scroll_offset.y)
        if line >= self.layout_.total:
            return
        index, _ = self.layout_.locate(line)
        self.focus()
        self.go_to(index, extend=event.shift)

    def _scroll_cursor_into_view(self, margin: int = 0) -> bool:
        """Scroll so the cursor's statement is visible, with ``margin`` lines of context above and below it
        where the view has room (a cursor move: ``SCROLL_MARGIN``); True if the view scrolled."""
        if self.layout_ is None or not self.statements:
            return False
        first = self.layout_.first_line(self.cursor)
        last = first + self.layout_.line_count(self.cursor) - 1
        height = max(1, self.scrollable_content_region.height)
        margin = max(0, min(margin, (height - (last - first + 1)) // 2))  # a tall statement: less context
        top = int(self.scroll_offset.y)
        bottom = max(self.layout_.total - height, 0)  # the view never scrolls past the document's end
        if first - margin < top:
            new_top = max(first - margin, 0)
        elif last + margin >= top + height:
            new_top = min(max(first if last - first >= height else last + margin - height + 1, 0), bottom)
        else:
            return False
        if new_top == top:  # at the document's start or end: no more room for context
            return False
        self.scroll_to(y=new_top, animate=False, immediate=True)
        self._repaint_moved()
        return True

    # ------------------------------------------------------------------ layout
    def text_width(self) -> int:
        """Cells per line for statement text at the view's current size (what the layout wraps to)."""
        return self._text_width()

    def _text_width(self) -> int:
        width = self.scrollable_content_region.width or self.size.width or 80
        return max(4, width - self._gutter)

    def _update_virtual_size(self) -> None:
        total = self.layout_.total if self.layout_ is not None else 0
        size = Size(self.scrollable_content_region.width, total)
        if size == self.virtual_size:
            return
        if size.width == self.virtual_size.width and self.virtual_size.height:
            # Only the number of lines changed (a chip line came or went): the widget keeps
            # its size, so update the scrollbar and skip the whole-screen layout pass that
            # assigning the reactive would start (that pass was most of a toggle's cost).
            # The caller repaints the lines that moved.
            self.set_reactive(DocumentView.virtual_size, size)
            self._update_scrollbar(size.height)
        else:
            self.virtual_size = size

    def _update_scrollbar(self, virtual_height: int) -> None:
        """The scrollbar's part of ``_scroll_update``, repainted only if its thumb moved a cell.

        The thumb of a 100,000-line document moves one eighth of a cell every few hundred
        lines: redrawing the whole bar for each line that comes or goes was a third of a toggle.
        """
        self._refresh_scrollbars()
        if self.show_vertical_scrollbar and self.styles.scrollbar_size_vertical:
            bar = self.vertical_scrollbar
            before = _thumb(bar)
            bar.set_reactive(ScrollBar.window_virtual_size, virtual_height)
            bar.set_reactive(ScrollBar.window_size, self.container_size.height - self.scrollbar_size_horizontal)
            if _thumb(bar) != before:
                bar.refresh()
        self.scroll_y = self.validate_scroll_y(self.scroll_y)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolled: the lines move (kept strips are reused), the scrollbar repaints only if its thumb moved."""
        if self.show_vertical_scrollbar:
            bar = self.vertical_scrollbar
            before = _thumb(bar)
            bar.set_reactive(ScrollBar.position, bar.validate_position(new_value))
            if _thumb(bar) != before:
                bar.refresh()
        if round(old_value) != round(new_value):
            self._repaint_moved()

    def _repaint_below(self, index: int) -> None:
        """Repaint from statement ``index`` to the bottom of the view (the lines there moved down or up)."""
        if self.layout_ is None:
            self._repaint_moved()
            return
        row = max(self.layout_.first_line(index) - int(self.scroll_offset.y), 0)
        height = self.size.height
        if row < height:
            self._keep_strips = True
            try:
                self.refresh(Region(0, row, self.size.width, height - row))
            finally:
                self._keep_strips = False

    def _repaint_moved(self) -> None:
        """Repaint the whole view when lines only moved: the strips drawn for them are still right."""
        self._keep_strips = True
        try:
            self.refresh()
        finally:
            self._keep_strips = False

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        """Forget the kept strips of what is repainted (all of them without ``regions``), then refresh."""
        if repaint and not self._keep_strips:
            if regions and self.layout_ is not None:
                top = int(self.scroll_offset.y)
                for region in regions:
                    line = max(region.y + top, 0)
                    end = min(region.bottom + top, self.layout_.total)
                    while line < end:
                        index, _within = self.layout_.locate(line)
                        self._forget_statement(index)
                        line = self.layout_.first_line(index) + self.layout_.line_count(index)
            else:
                self._strips.clear()
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _forget_statement(self, index: int) -> None:
        """Drop the kept strips of one statement (its text lines and its chip line, present or not)."""
        if self.layout_ is None or not self._strips:
            return
        for within in range(int(self.layout_.text_lines[index]) + 1):
            self._strips.pop((index, within), None)

    def on_resize(self, _event: events.Resize) -> None:
        if self.layout_ is None:
            if self.statements and self.scrollable_content_region.width:
                self._lay_out()
            return
        if self.layout_.set_width(self._text_width()):
            self._update_virtual_size()
            self._scroll_cursor_into_view()
        self._update_virtual_size()
        self.refresh()

    def _refresh_statement(self, index: int) -> None:
        self._refresh_span(index, index)

    def _refresh_span(self, first: int, last: int) -> None:
        if self.layout_ is None:
            return
        start = self.layout_.first_line(first)
        end = self.layout_.first_line(last) + self.layout_.line_count(last)
        self.refresh(Region(0, start - int(self.scroll_offset.y), self.size.width, end - start))

    # ------------------------------------------------------------------ drawing
    def render_lines(self, crop: Region) -> list[Strip]:
        """The visible lines: kept strips where a line is drawn as before, new ones only for the rest.

        Textual keeps a widget's lines by their row on screen, so a scroll by one line drew
        every line again; here they are kept by (statement, line within it) and the row
        state (cursor, selection) they were drawn with. A new line of the view as styled (no
        border, padding, tint, hatch or opacity) is its ``render_line``: all the styles cache's
        ``render_line`` would do to it is copy it; otherwise that ``render_line`` styles it.
        """
        # once per frame, and only when what they depend on changed: see LineStyles
        app = self.app
        key = (app.theme, app.ansi_color, app.app_focus, self.has_focus, self.region.size, self.content_region.size)
        if self._styles is None or key != self._styles_key:
            self._styles = self._line_styles()
            self._styles_key = key
            self._strips.clear()
        styles = self.styles
        if self.BLANK or self.layout_ is None or styles.gutter or styles.outline or self.auto_links:
            return super().render_lines(crop)  # not the plain box drawn below (never for the view as styled)
        base_background, background = self.background_colors
        size, content_size = self.region.size, self.content_region.size
        draw = self._styles_cache.render_line
        direct = (
            self.opacity == 1.0
            and styles.text_opacity == 1.0
            and not styles.tint.a
            and not (styles.has_rule("hatch") and styles.hatch != "none")
            and size == content_size
        )
        inner = self._styles_cache.get_inner_outer(base_background, background)[0].rich_style
        content_width = content_size.width
        filters = self.get_line_filters()
        opacity, ansi_theme, native_ansi = self.opacity, app.ansi_theme, app.native_ansi_color
        layout, kept = self.layout_, self._strips
        if len(kept) > 4000:  # bounded: a long scroll does not keep the whole document
            kept.clear()
        first, last = self.selection_range()
        top = int(self.scroll_offset.y)
        total = layout.total if self.statements else 0
        # the statements on these lines: the first one searched for, the rest followed line by line
        base, starts = 0, [0]
        if crop.y + top < total:
            base, _within = layout.locate(crop.y + top)
            starts = layout.offsets[base : base + crop.height + 2].tolist()  # where those statements start
        at = 0  # the line is in statement ``base + at``
        strips: list[Strip] = []
        for y in crop.line_range:
            line = y + top
            strip: Strip | None = None
            if line < total:
                while at + 1 < len(starts) and line >= starts[at + 1]:
                    at += 1
                index, within = base + at, line - starts[at]
                selected = first <= index <= last
                state = (index == self.cursor, selected, selected and self.selection_anchor is not None)
                drawn = kept.get((index, within))
                if drawn is None:
                    drawn = kept[index, within] = {}
                strip = drawn.get(state)
                if strip is not None:
                    pass
                elif direct:
                    strip = self.render_line(y)
                    if strip.cell_length != content_width:
                        strip = strip.adjust_cell_length(content_width, inner)
                    drawn[state] = strip
                else:
                    strip = draw(
                        styles, y, size, content_size, styles.padding, base_background, background,
                        self.render_line, None, None, opacity, ansi_theme, native_ansi,
                    )  # fmt: skip
                    drawn[state] = strip
            else:
                strip = draw(
                    styles, y, size, content_size, styles.padding, base_background, background,
                    self.render_line, None, None, opacity, ansi_theme, native_ansi,
                )  # fmt: skip
            for line_filter in filters:
                strip = strip.apply_filter(line_filter, background)
            strips.append(strip)
        if crop.column_span != (0, size.width):
            x1, x2 = crop.column_span
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None  # CSS, theme or pseudo-classes changed: resolve the styles again

    def _line_styles(self) -> LineStyles:
        component = self.get_component_rich_style
        return LineStyles(
            base=self.rich_style,
            cursor=component("document-view--cursor"),
            selection=component("document-view--selection"),
            marker=component("document-view--marker"),
            label_style=component("document-view--label"),
            heading=component("document-view--heading"),
            chip=component("document-view--chip"),
            chip_other=component("document-view--chip-other"),
            words=component("document-view--words"),
            quote=component("document-view--quote"),
        )

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        styles = self._styles or self._line_styles()
        base = styles.base
        layout = self.layout_
        line = y + int(self.scroll_offset.y)
        if layout is None or not self.statements or line >= layout.total:
            return Strip.blank(width, base)
        index, within = layout.locate(line)
        row = self.statements[index]
        first, last = self.selection_range()
        style = base
        if index == self.cursor:
            style = base + styles.cursor
        elif first <= index <= last:
            style = base + styles.selection
        marker = " "
        if first <= index <= last and (self.selection_anchor is not None or index == self.cursor):
            marker = "▌"
        marker_style, label_style, heading_style = styles.row(style)
        if within:
            label = ""
        elif row.id in self.memo_ids:
            label = row.label.ljust(self._gutter - 2) + "✎"  # this statement has a memo
        else:
            label = row.label
        segments = [Segment(marker, marker_style), Segment(label.ljust(self._gutter - 1), label_style)]

        text_lines = int(layout.text_lines[index])
        if within < text_lines:
            spans = layout.spans(index)
            piece = spans[within] if within < len(spans) else (0, 0)
            text_style = heading_style if row.kind == "heading" else style
            words = self.words if self.words is not None and self.words.position == index else None
            quoted = self.quotes.get(row.id)
            if words is None and not quoted:
                segments.append(Segment(row.text[piece[0] : piece[1]], text_style))
            else:
                segments.extend(self._marked_segments(row.text, piece, text_style, styles, words, quoted))
        else:
            segments.extend(self._chip_segments(row.id, style, width - self._gutter, styles))
        return Strip(segments).adjust_cell_length(width, style)

    @staticmethod
    def _marked_segments(
        text: str,
        piece: tuple[int, int],
        style: Style,
        styles: LineStyles,
        words: WordSelection | None,
        quoted: dict[int, tuple[int, int]] | None,
    ) -> list[Segment]:
        """One line of a statement with its quoted words underlined and the words being selected lit."""
        start, end = piece
        marks: list[tuple[int, int, Style]] = [(s, e, styles.quote) for s, e in (quoted or {}).values()]
        if words is not None:
            marks.append((*words.span, styles.words))
        cuts = {start, end}
        for s, e, _style in marks:
            cuts.update(c for c in (s, e) if start < c < end)
        segments = []
        ordered = sorted(cuts)
        for left, right in itertools.pairwise(ordered):
            piece_style = style
            for s, e, mark in marks:
                if s <= left and right <= e:
                    piece_style = piece_style + mark
            segments.append(Segment(text[left:right], piece_style))
        return segments

    def _chip_segments(self, sentence_id: int, style: Style, width: int, styles: LineStyles) -> list[Segment]:
        pairs = self.codings.get(sentence_id, [])
        mine = [cid for cid, coder in pairs if coder == self.coder_id]
        others = [(cid, coder) for cid, coder in pairs if coder != self.coder_id]
        chip = style + styles.chip
        other = style + styles.chip_other
        pieces: list[tuple[str, Style]] = []
        quoted = self.quotes.get(sentence_id, {})
        text = self.statements[self._index_of[sentence_id]].text if quoted and sentence_id in self._index_of else ""
        for cid in mine:
            code = self.catalog.codes.get(cid)
            colour = Style(color=code.colour) if code is not None and code.colour else Style()
            span = quoted.get(cid)
            if span is None:
                pieces.append((f"[{self.catalog.name(cid)}]", chip + colour))
            else:  # a quote: its words after the name
                words = text[span[0] : span[1]]
                shown = words if len(words) <= 12 else words[:11] + "…"
                pieces.append((f"[{self.catalog.name(cid)} “{shown}”]", chip + colour))
        for cid, coder in others:
            pieces.append((f"({self.catalog.name(cid)}·{self.catalog.coders.get(coder, '?')})", other))
        segments: list[Segment] = []
        used = 0
        for number, (text, piece_style) in enumerate(pieces):
            cells = Segment(text, piece_style).cell_length + 1
            rest = len(pieces) - number - 1
            if used + cells > width - (6 if rest else 0) and segments:
                segments.append(Segment(f"…+{len(pieces) - number}", chip))
                break
            segments.append(Segment(text, piece_style))
            segments.append(Segment(" ", style))
            used += cells
        return segments


def _thumb(bar: ScrollBar) -> tuple[int, ...]:
    """Where a vertical scrollbar's thumb is drawn, in eighths of a cell (``ScrollBarRender.render_bar``'s sums)."""
    size = bar.size.height
    virtual = math.ceil(bar.window_virtual_size)
    window = math.ceil(bar.window_size if bar.window_size < bar.window_virtual_size else 0)
    if not (window and size and virtual and size != virtual):
        return (size, virtual, window)
    thumb = max(1, window / (virtual / size))
    position = (size - thumb) * (bar.position / (virtual - window))
    start = int(position * 8)
    return (size, start, start + math.ceil(thumb * 8))
