"""A one-line status widget that repaints without a layout pass, and draws its line cheaply.

``Label.update`` asks the whole screen to lay out again (its size may change); the
document title and recent-codes bar change on every cursor move, so they use this
fixed-height line instead and keep a key press down to one small repaint.

Drawing: Textual turns the Text into its own Content and renders that on every change,
which cost more than the rest of a cursor move's frame. A line that fits is drawn here
from the Text's own segments instead, each style mapped once to the style Textual gives
it in this widget (found by letting Textual draw one character in that style), so the
line is the same cells in the same styles; a line that does not fit (Textual wraps it)
or anything unusual goes through Textual as before.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(StatusLine.auto_links, False)  # no links in a status line: no link styling pass
        self._text = Text("")
        self._line: tuple[object, Strip] | None = None  # (what it was drawn for, the line)
        self._styles_key: object = None
        self._drawn_styles: dict[Style, Style | None] = {}  # a Text's style → how Textual draws it here

    @property
    def text(self) -> Text:
        return self._text

    def set(self, text: Text | str) -> None:
        text = Text(text) if isinstance(text, str) else text
        if text.plain != self._text.plain or text.spans != self._text.spans or text.style != self._text.style:
            self._text = text
            self._line = None
            self.refresh()

    def render(self) -> Text:
        return self._text

    def render_line(self, y: int) -> Strip:
        if y == 0 and not self.BLANK:
            line = self._quick_line()
            if line is not None:
                return line
        return super().render_line(y)

    def _quick_line(self) -> Strip | None:
        """The first line drawn from the Text's segments, or None where Textual must draw it."""
        text = self._text
        width = self.size.width
        visual_style = self.visual_style
        key = (visual_style, width, self.text_selection is None)
        if self._line is not None and self._line[0] == key:
            return self._line[1]
        if visual_style != self._styles_key:  # CSS or theme changed
            self._drawn_styles.clear()
            self._styles_key = visual_style
        if (
            not text.plain
            or "\n" in text.plain
            or cell_len(text.plain) > width
            or text.justify not in (None, "default", "left")
            or self.text_selection is not None
            or self.styles.content_align != ("left", "top")
            or self.styles.text_align not in ("start", "left")
        ):
            return None
        console = self.app.console
        # ``Text.render`` leaves out the Text's own style when it has no spans (rich applies it elsewhere)
        pieces = text.render(console, end="") if text.spans else [Segment(text.plain, console.get_style(text.style))]
        segments: list[Segment] = []
        offset = 0
        for segment in pieces:
            style = self._drawn_style(segment.style or Style.null())
            if style is None or segment.control:
                return None
            # where the segment starts in the text, as Textual marks it (for selecting text with the mouse)
            segments.append(Segment(segment.text, style + Style.from_meta({"offset": (offset, 0)})))
            offset += len(segment.text)
        line = Strip(segments)
        self._line = (key, line)
        return line

    def _drawn_style(self, style: Style) -> Style | None:
        """How Textual draws a character of ``style`` in this widget (None: not one plain segment)."""
        if style in self._drawn_styles:
            return self._drawn_styles[style]
        drawn: Style | None = None
        if not style.link and not style._meta:
            probe = Text("x", style=style)
            strips = Visual.to_strips(self, visualize(self, probe), 1, 1, self.visual_style)
            pieces = [segment for segment in (strips[0] if strips else []) if segment.text]
            if len(pieces) == 1 and pieces[0].text == "x" and not pieces[0].control and pieces[0].style:
                found = pieces[0].style
                meta = dict(found.meta)
                if meta.pop("offset", None) == (0, 0) and not meta and not found.link:
                    drawn = found.clear_meta_and_links()
        self._drawn_styles[style] = drawn
        return drawn
