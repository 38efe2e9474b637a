"""Draw a one-line Rich Text as Textual would, from the Text's own segments.

Why: Textual turns a Rich Text into its own Content and renders that on every change —
for a status line or a list entry whose counts change on each coding, more than the rest
of the line's drawing. A line that fits is drawn here instead: each style is mapped once
to the style Textual gives it in that widget over that base style (found by letting
Textual draw one character in it), so the line is the same cells in the same styles,
with the character offsets Textual marks for selecting text with the mouse. Anything
unusual (wrapping, tabs, control characters, links) is left to Textual: ``segments``
then answers None.
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.style import Style as VisualStyle
from textual.visual import Visual, visualize
from textual.widget import Widget

_SPECIAL = re.compile("[\x00-\x1f\x7f-\x9f]")  # tabs, line breaks, other control characters


def _plain_line(plain: str) -> bool:
    """No characters Textual treats specially in a line (one search: a title is drawn on every cursor move)."""
    return _SPECIAL.search(plain) is None


class QuickText:
    """One widget's memo of how Textual draws each style over each base style."""

    def __init__(self) -> None:
        self._drawn: dict[tuple[VisualStyle, Style], Style | None] = {}

    def forget(self) -> None:
        """CSS or theme changed: styles are worked out again."""
        self._drawn.clear()

    def segments(self, widget: Widget, text: Text, base: VisualStyle, width: int) -> list[Segment] | None:
        """The line's segments as Textual draws ``text`` in ``widget`` over ``base``; None: let Textual draw it."""
        plain = text.plain
        if (
            not plain
            or cell_len(plain) > width
            or text.justify not in (None, "default", "left")
            or not _plain_line(plain)
        ):
            return None
        console = widget.app.console
        # ``Text.render`` leaves out the Text's own style when it has no spans (rich applies it elsewhere)
        pieces = text.render(console, end="") if text.spans else [Segment(plain, console.get_style(text.style))]
        segments: list[Segment] = []
        offset = 0
        for segment in pieces:
            style = self._drawn_style(widget, base, segment.style or Style.null())
            if style is None or segment.control:
                return None
            # where the segment starts in the text, as Textual marks it (for selecting text with the mouse)
            segments.append(Segment(segment.text, style + Style.from_meta({"offset": (offset, 0)})))
            offset += len(segment.text)
        return segments

    def _drawn_style(self, widget: Widget, base: VisualStyle, style: Style) -> Style | None:
        """How Textual draws a character of ``style`` in ``widget`` over ``base`` (None: not one plain segment)."""
        key = (base, style)
        if key in self._drawn:
            return self._drawn[key]
        drawn: Style | None = None
        if not style.link and not style._meta:
            probe = Text("x", style=style)
            strips = Visual.to_strips(widget, visualize(widget, probe), 1, 1, base)
            pieces = [segment for segment in (strips[0] if strips else []) if segment.text]
            if len(pieces) == 1 and pieces[0].text == "x" and not pieces[0].control and pieces[0].style:
                found = pieces[0].style
                meta = dict(found.meta)
                if meta.pop("offset", None) == (0, 0) and not meta and not found.link:
                    drawn = found.clear_meta_and_links()
        self._drawn[key] = drawn
        return drawn
