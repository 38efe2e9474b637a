"""Draw an answer from the database in the frame that follows it at once, not a paint slot later.

Why: Textual (8.2.8, pinned) draws a frame after every widget that changed has been through
its own message queue (its idle pass posts ``Update`` to the screen, the screen's idle pass
starts its update timer), and that timer keeps to a 60-frames-a-second grid: a change
ready just after a frame waits for the next slot, up to 16 ms. A committed toggle is the
feedback a researcher waits for after a key, and it arrives alone (one answer per key), so
its frame is drawn here as soon as its handler has changed the widgets: the same frame
Textual's timer would draw (``Screen._on_timer_update``), with the widgets marked for repaint
handed over as their idle pass would. Anything that needs a layout or scroll pass first, a
screen not in front, or a batch in progress is left to Textual's own pass.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.widget import Widget


def _waiting_for_layout(widget: Widget) -> bool:
    return bool(
        widget._layout_required
        or widget._scroll_required
        or widget._recompose_required
        or widget._refresh_styles_required
    )


def draw_now(app: App[Any]) -> bool:
    """Draw the current screen's pending repaints now; False when they are left to Textual's timer."""
    screen = app.screen
    if (
        app._batch_count
        or not screen.is_mounted
        or not screen.is_current
        or screen._layout_required
        or screen._scroll_required
        or screen._recompose_required
        or screen._layout_widgets
    ):
        return False
    changed: list[Widget] = []
    for widget in screen.walk_children(Widget, with_self=False):
        if _waiting_for_layout(widget) or not widget.is_mounted:
            return False
        if widget._repaint_required or widget._repaint_regions:
            changed.append(widget)
    if not changed and not screen._dirty_widgets and not screen._repaint_required:
        return False
    for widget in changed:
        widget._repaint_required = False  # its idle pass would hand it to the screen: done here
        if widget.display:
            screen._dirty_widgets.add(widget)
    screen._on_timer_update()
    return True
