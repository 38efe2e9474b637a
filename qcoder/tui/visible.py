"""Nothing a project holds reaches the terminal as a control sequence: the workbench's last line of defence.

Why at the output: text from outside (documents, code and coder names, memos) gets visible
placeholders when it enters a project (``qcoder.store.safe_text``), but a project written
before that — or by another tool — may still hold an ESC or a C1 CSI, and Textual writes a
widget's text to the terminal as it is: a code named ``\\x1b]0;…\\x07`` would retitle the
window, one with OSC 52 could write the clipboard. Every screen update passes through
``clean_update``, which swaps such characters in text segments (never in Textual's own
control segments) for the same placeholders (``␛``). Textual 8.2.8 is pinned, and the
update classes used here are its compositor's.
"""

from __future__ import annotations

from typing import Any

from rich.segment import Segment
from textual._compositor import ChopsUpdate, InlineUpdate, LayoutUpdate
from textual.strip import Strip

from qcoder.store.safe_text import first_control, visible


def clean_strip(strip: Strip) -> Strip:
    """``strip`` with control characters in its text shown as placeholders (itself if it has none)."""
    segments = list(strip)
    if first_control("".join([segment.text for segment in segments if segment.control is None])) is None:
        return strip  # one search per line: this runs on every line of every frame
    return Strip(
        [
            Segment(visible(segment.text), segment.style, segment.control) if segment.control is None else segment
            for segment in segments
        ]
    )


def clean_update(renderable: Any) -> Any:
    """A compositor update whose strips hold no raw control characters (other renderables pass as they are)."""
    if isinstance(renderable, LayoutUpdate):
        renderable.strips = [[clean_strip(strip) for strip in line] for line in renderable.strips]
    elif isinstance(renderable, ChopsUpdate):
        renderable.chops = [
            {x: clean_strip(strip) if strip is not None else None for x, strip in chop.items()}
            for chop in renderable.chops
        ]
    elif isinstance(renderable, InlineUpdate):
        renderable.strips = [clean_strip(strip) for strip in renderable.strips]
    return renderable
