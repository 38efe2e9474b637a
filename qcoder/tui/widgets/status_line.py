"""A one-line status widget that repaints without a layout pass, and draws its line cheaply.

``Label.update`` asks the whole screen to lay out again (its size may change); the
document title and recent-codes bar change on every cursor move, so they use this
fixed-height line instead and keep a key press down to one small repaint. A line that
fits is drawn from the Text's own segments (``QuickText``), not through Textual's Content;
a line that does not fit (Textual wraps it) or anything unusual goes through Textual.
"""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from qcoder.tui.widgets.quick_text import QuickText


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.set_reactive(StatusLine.auto_links, False)  # no links in a status line: no link styling pass
        self._text = Text("")
        self._line: tuple[object, Strip] | None = None  # (what it was drawn for, the line)
        self._quick = QuickText()

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
        width = self.size.width
        visual_style = self.visual_style
        key = (visual_style, width, self.text_selection is None)
        if self._line is not None and self._line[0] == key:
            return self._line[1]
        if (
            self.text_selection is not None
            or self.styles.content_align != ("left", "top")
            or self.styles.text_align not in ("start", "left")
        ):
            return None
        segments = self._quick.segments(self, self._text, visual_style, width)
        if segments is None:
            return None
        line = Strip(segments)
        self._line = (key, line)
        return line

    def notify_style_update(self) -> None:
        self._quick.forget()
        self._line = None
        super().notify_style_update()
