"""A compositor that draws only the rows a frame updates: a cursor move costs the lines it changed.

Why: Textual's compositor (8.2.8, pinned) asks every widget whose *clip* touches the
frame's dirty box to render its whole visible region — on the coding screen that is the
header, the footer, the sidebar and four containers (40 lines each) for a move that
changed two lines of the document view, about half of a move's drawing. It then keeps
only the lines of the dirty box and writes only what lies inside it
(``ChopsUpdate`` skips pieces outside its spans). So here a widget is asked only for the
rows of its visible region inside the box, over its full width (the cuts between widgets
stay where Textual puts them), and a widget entirely outside the box not at all: every
piece written to the terminal is the same as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


class RowCompositor(Compositor):
    """``Compositor`` whose partial updates render only the widgets and rows inside the update's box."""

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if not crop:
            yield from super()._get_renders(crop)
            return
        top, bottom = crop.y, crop.bottom
        for widget, (region, clip) in self.visible_widgets.items():
            x, y, width, height = region.intersection(clip)
            if not (width and height) or not crop.overlaps(Region(x, y, width, height)):
                continue  # nothing of it is written this frame
            first, last = max(y, top), min(y + height, bottom)
            rows = Region(x, first, width, last - first)
            # ``_render_chops`` lays the strips over region ∩ clip: passing ``rows`` as the clip keeps them aligned
            yield region, rows, widget.render_lines(Region(x - region.x, first - region.y, width, last - first))
