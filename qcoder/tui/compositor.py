"""A compositor that draws only what a frame shows: a change costs the rows it changed.

Why: Textual's compositor (8.2.8, pinned) joins a frame's dirty regions into one box and
asks every widget whose *clip* touches that box to render its whole visible part of it —
a toggle that changes one row of the document view, one row of the code tree, the title
line and a label far apart renders the header, both lists, the sidebar and the document
view for every row between them, more than half of its drawing. It then keeps only the
rows the dirty regions touch, lets the front-most widget win each piece of a line, and
writes only what lies inside the dirty regions (``ChopsUpdate`` skips pieces outside its
spans). So here:

* a widget is asked only for the rows where its visible region meets a dirty region,
  over its full width (the cuts between widgets stay where Textual puts them);
* a widget that meets no dirty region, or meets them only behind widgets in front of it
  (the screen and the containers behind the document view), is not asked at all.

Every piece written to the terminal is the same as before: a written cell lies in a dirty
region, and the front-most widget there is asked for that cell's row.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
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
    """``Compositor`` whose partial updates render only the widgets and rows inside the update's dirty regions."""

    _updating: list[Region] | None = None  # the dirty regions of the partial update being rendered

    def render_partial_update(self) -> ChopsUpdate | None:
        """Textual's partial update, with its dirty regions kept for ``_get_renders``."""
        self._updating = list(self._dirty_regions)
        try:
            return super().render_partial_update()
        finally:
            self._updating = None

    def _get_renders(self, crop: Region | None = None) -> Iterable[tuple[Region, Region, list[Strip]]]:
        dirty = self._updating
        if not crop or not dirty:
            yield from super()._get_renders(crop)
            return
        dirty = [region.intersection(crop) for region in dirty]
        covers: list[Region] = []  # the rows the widgets already drawn (in front) were asked for
        for widget, (region, clip) in self.visible_widgets.items():  # front to back
            area = region.intersection(clip)
            if not area:
                continue
            first, last = -1, -1  # the rows of it that some dirty region shows, past the widgets in front
            for changed in dirty:
                seen = area.intersection(changed)
                if seen and not _hidden(seen, covers):
                    first = seen.y if first < 0 else min(first, seen.y)
                    last = max(last, seen.bottom)
            if first < 0:
                continue  # nothing of it is written this frame
            rows = Region(area.x, first, area.width, last - first)
            covers.append(rows)
            # ``_render_chops`` lays the strips over region ∩ clip: passing ``rows`` as the clip keeps them aligned
            yield (
                region,
                rows,
                widget.render_lines(Region(area.x - region.x, first - region.y, area.width, last - first)),
            )
