"""A compositor that draws only what a frame shows: a cursor move costs the lines it changed.

Why: Textual's compositor (8.2.8, pinned) asks every widget whose *clip* touches the
frame's dirty box to render its whole visible region — on the coding screen that is the
header, the footer, the sidebar and four containers (40 lines each) for a move that
changed two lines of the document view, about half of a move's drawing. It then keeps
only the lines of the dirty box, lets the front-most widget win each piece of a line,
and writes only what lies inside the box (``ChopsUpdate`` skips pieces outside its
spans). So here, in the box's rows:

* a widget is asked only for the rows of its visible region inside the box, over its
  full width (the cuts between widgets stay where Textual puts them);
* a widget entirely outside the box, or hidden there behind widgets in front of it (the
  screen and the containers behind the document view), is not asked at all.

Every piece written to the terminal is the same as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip


def _outside(area: Region, cover: Region) -> list[Region]:
    """The parts of ``area`` that ``cover`` does not cover (up to four rectangles)."""
    inside = area.intersection(cover)
    if not inside:
        return [area]
    x, y, width, _height = area
    parts = [
        Region(x, y, width, inside.y - y),  # above
        Region(x, inside.bottom, width, area.bottom - inside.bottom),  # below
        Region(x, inside.y, inside.x - x, inside.height),  # left
        Region(inside.right, inside.y, area.right - inside.right, inside.height),  # right
    ]
    return [part for part in parts if part]


def _hidden(area: Region, covers: list[Region]) -> bool:
    """Whether the widgets in front (``covers``) cover all of ``area``."""
    left = [area]
    for cover in covers:
        left = [part for piece in left for part in _outside(piece, cover)]
        if not left:
            return True
    return False


class RowCompositor(Compositor):
    """``Compositor`` whose partial updates render only the widgets and rows seen inside the update's box."""

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        if not crop:
            yield from super()._get_renders(crop)
            return
        top, bottom = crop.y, crop.bottom
        covers: list[Region] = []  # what the widgets already drawn (in front) cover of the box's rows
        for widget, (region, clip) in self.visible_widgets.items():  # front to back
            x, y, width, height = region.intersection(clip)
            if not (width and height) or not crop.overlaps(Region(x, y, width, height)):
                continue  # nothing of it is written this frame
            first, last = max(y, top), min(y + height, bottom)
            rows = Region(x, first, width, last - first)
            if _hidden(rows.intersection(crop), covers):
                continue  # all of it that is written lies behind widgets in front
            covers.append(rows)
            # ``_render_chops`` lays the strips over region ∩ clip: passing ``rows`` as the clip keeps them aligned
            yield region, rows, widget.render_lines(Region(x - region.x, first - region.y, width, last - first))
