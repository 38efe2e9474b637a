"""Line breaking by the rules of Chinese typesetting (禁则, W3C "Requirements for Chinese Text Layout").

Why a module of its own: the document view, the comparison list, the reports and the
tables all wrap Chinese text, and they must agree. The rules, applied to a greedy fill
by terminal cells (a CJK character is two cells):

* closing punctuation (``，。、；：？！）》」』”’`` and their ASCII kin) never starts a line;
* opening punctuation (``（《「『“‘``) never ends a line;
* a Latin word or a number (``5G``, ``2024``, ``3.5%``) is not split, nor a ``——`` or ``……``.

When the greedy break falls on a forbidden spot, the line ends earlier, at the last
allowed spot (the characters move down together); only a line with no allowed spot at
all (a word longer than the line) is cut where it is full. No engine, no Textual: the
reports and the CLI use it too.
"""

from __future__ import annotations

from functools import lru_cache

from rich.cells import get_character_cell_size

CLOSING = "，。、；：？！）》」』”’〉】〕〗〙〛｝］．・·…‥,.;:?!)]}%％‰°"
OPENING = "（《「『“‘〈【〔〖〘〚｛［([{"
INSEPARABLE = "—…‥"  # a dash or an ellipsis is one mark of two characters: never split it


def _is_word(char: str) -> bool:
    """Part of a Latin word or a number (letters, digits, and the marks inside them: 3.5, self-made, it's)."""
    if char.isascii():
        return char.isalnum() or char in "_'-.@/#&+"
    return "\u00c0" <= char <= "\u024f" or "\uff10" <= char <= "\uff19" or "\uff21" <= char <= "\uff5a"


@lru_cache(maxsize=4096)
def _can_break_class(before: str, after: str) -> bool:
    if after in CLOSING or before in OPENING:
        return False
    if before == after and before in INSEPARABLE:
        return False
    return not (_is_word(before) and _is_word(after) and (before.isalnum() or after.isalnum()))


def can_break(text: str, index: int) -> bool:
    """May a line start at ``text[index]`` (break between ``index - 1`` and ``index``)?"""
    if index <= 0 or index >= len(text):
        return True
    return _can_break_class(text[index - 1], text[index])


def break_spans(text: str, width: int) -> list[tuple[int, int]]:
    """Character ranges of the lines ``text`` wraps to at ``width`` cells (at least one line)."""
    width = max(1, width)
    spans: list[tuple[int, int]] = []
    start = 0
    used = 0
    length = len(text)
    index = 0
    while index < length:
        cells = get_character_cell_size(text[index])
        if used + cells > width and index > start:
            stop = index
            while stop > start + 1 and not can_break(text, stop):
                stop -= 1
            if stop == start + 1 and not can_break(text, stop):
                stop = index  # no allowed break on the line: cut where it is full
            spans.append((start, stop))
            start, used, index = stop, 0, stop
            continue
        used += cells
        index += 1
    spans.append((start, length))
    return spans


def wrap(text: str, width: int) -> list[str]:
    """The lines of ``text`` at ``width`` cells; its own line breaks are kept."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(paragraph[a:b] for a, b in break_spans(paragraph, width))
    return lines


def fill(text: str, width: int) -> str:
    """``text`` with line breaks inserted by the rules (for widgets that wrap by themselves)."""
    return "\n".join(wrap(text, width))
