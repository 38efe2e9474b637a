"""Wrapped line layout of a document: which visual line shows which statement.

The document view draws only the visible lines, so it needs to map a visual line to
(statement, line within it) without building every line. Each statement takes its text
lines (wrapped by terminal cells: a CJK character is two cells and is never split) plus
one chip line when it carries codes. Lines break by the rules of Chinese typesetting
(``qcoder.linebreak``: no closing mark at a line's start, no opening mark at its end, no
Latin word or number split), in the per-statement and the vectorised count alike. Counts are prefix-summed in a numpy array, so
locating a line is a binary search and adding a chip line is one vectorised shift.
Exact character breaks are computed only for statements that are drawn (cached).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from rich._unicode_data import load as load_cell_table
from rich.cells import cell_len, get_character_cell_size

from qcoder.linebreak import CLOSING, INSEPARABLE, OPENING, _is_word, break_spans

_SPAN_CACHE = 4096


def char_width(char: str) -> int:
    return get_character_cell_size(char)


def wrap_spans(text: str, width: int) -> list[tuple[int, int]]:
    """Character ranges of the lines ``text`` wraps to at ``width`` cells (at least one line)."""
    return break_spans(text, width)


def count_lines(text: str, width: int) -> int:
    """How many lines ``text`` wraps to; one without wrapping when it fits."""
    width = max(1, width)
    cells = cell_len(text) if len(text) < 4096 else sum(map(char_width, text))
    if cells <= width:
        return 1
    return len(break_spans(text, width))


_LOOKUP: np.ndarray | None = None


def _width_lookup() -> np.ndarray:
    """Cell width of every code point (1.1 MB), built once from rich's unicode table."""
    global _LOOKUP
    if _LOOKUP is None:
        lookup = np.ones(0x110000, dtype=np.uint8)
        for start, end, width in load_cell_table("auto").widths:
            lookup[start : end + 1] = width
        lookup[1:32] = 0
        lookup[0x7F:0xA0] = 0
        _LOOKUP = lookup
    return _LOOKUP


_CLOSING, _OPENING, _WORD, _ALNUM, _INSEPARABLE = 1, 2, 4, 8, 16
_CLASSES: np.ndarray | None = None


def _class_lookup() -> np.ndarray:
    """Line-breaking class flags of every code point below U+10000 (``qcoder.linebreak``'s sets)."""
    global _CLASSES
    if _CLASSES is None:
        table = np.zeros(0x10000, dtype=np.uint8)
        for chars, flag in ((CLOSING, _CLOSING), (OPENING, _OPENING), (INSEPARABLE, _INSEPARABLE)):
            for char in chars:
                table[ord(char)] |= flag
        for start, end in ((0, 0x80), (0xC0, 0x250), (0xFF10, 0xFF1A), (0xFF21, 0xFF5B)):
            for point in range(start, end):
                char = chr(point)
                if _is_word(char):
                    table[point] |= _WORD | (_ALNUM if char.isalnum() else 0)
        _CLASSES = table
    return _CLASSES


def break_allowed(points: np.ndarray) -> np.ndarray:
    """``allowed[i]``: a line may start at character ``i`` (the rule of ``linebreak.can_break``)."""
    flags = _class_lookup()[np.minimum(points, 0xFFFF)]
    flags[points > 0xFFFF] = 0
    allowed = np.ones(len(points), dtype=bool)
    if len(points) > 1:
        before, after = flags[:-1], flags[1:]
        forbidden = ((after & _CLOSING) != 0) | ((before & _OPENING) != 0)
        forbidden |= ((before & _INSEPARABLE) != 0) & (points[:-1] == points[1:])
        word = ((before & _WORD) != 0) & ((after & _WORD) != 0)
        forbidden |= word & (((before | after) & _ALNUM) != 0)
        allowed[1:] = ~forbidden
    return allowed


def char_widths(text: str) -> np.ndarray:
    """Cell width of every character, vectorised; the same rule as rich's get_character_cell_size."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return _width_lookup()[points]


def count_all_lines(texts: Sequence[str], width: int, chunk: int = 4096) -> np.ndarray:
    """Wrapped line count of every text (the rule of ``wrap_spans``), vectorised.

    All statements of a chunk advance one line per round: a binary search over the
    cumulative cell widths finds every line's end together, so a 50,000-statement
    document is laid out in tens of milliseconds instead of a Python loop over millions
    of characters. Chunks keep the temporary arrays small.
    """
    width = max(1, width)
    lines = np.ones(len(texts), dtype=np.int32)
    for first in range(0, len(texts), chunk):
        lines[first : first + chunk] = _count_chunk(texts[first : first + chunk], width)
    return lines


def _count_chunk(texts: Sequence[str], width: int) -> np.ndarray:
    count = len(texts)
    lines = np.ones(count, dtype=np.int32)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=count)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    cumulative = np.zeros(int(ends[-1]) + 1 if count else 1, dtype=np.int64)
    joined = "".join(texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    np.cumsum(_width_lookup()[points], out=cumulative[1:], dtype=np.int64)
    # the last allowed line start at or before each position (-1: none), for the rules of linebreak
    allowed = break_allowed(points)
    last_allowed = np.maximum.accumulate(np.where(allowed, np.arange(len(points)), -1)) if len(points) else allowed
    cells = cumulative[ends] - cumulative[starts]
    active = np.nonzero(cells > width)[0]
    position = starts[active]
    lines[active] = 0
    while active.size:
        stop = np.searchsorted(cumulative, cumulative[position] + width, side="right") - 1
        stop = np.minimum(np.maximum(stop, position + 1), ends[active])
        inside = stop < ends[active]
        if inside.any():
            earlier = last_allowed[stop[inside]]
            stop[inside] = np.where(earlier > position[inside], earlier, stop[inside])
        lines[active] += 1
        keep = stop < ends[active]
        active, position = active[keep], stop[keep]
    return lines


class WrapLayout:
    """Visual line bookkeeping for one document at one text width."""

    def __init__(self, texts: Sequence[str], chips: Sequence[bool], width: int) -> None:
        self.texts = texts
        self.width = max(1, width)
        self.chips = np.fromiter((1 if c else 0 for c in chips), dtype=np.int32, count=len(texts))
        self.text_lines = count_all_lines(texts, self.width)
        self._spans: OrderedDict[int, list[tuple[int, int]]] = OrderedDict()
        self._rebuild_offsets()

    def _rebuild_offsets(self) -> None:
        counts = self.text_lines + self.chips
        self.offsets = np.zeros(len(self.texts) + 1, dtype=np.int64)
        np.cumsum(counts, out=self.offsets[1:])

    @property
    def total(self) -> int:
        return int(self.offsets[-1])

    def __len__(self) -> int:
        return len(self.texts)

    def set_width(self, width: int) -> bool:
        """Re-wrap for a new text width; False when nothing changed."""
        width = max(1, width)
        if width == self.width:
            return False
        self.width = width
        self.text_lines = count_all_lines(self.texts, width)
        self._spans.clear()
        self._rebuild_offsets()
        return True

    def set_chip(self, index: int, has_chip: bool) -> bool:
        """Show or hide the chip line of one statement; True if the layout changed."""
        value = 1 if has_chip else 0
        delta = value - int(self.chips[index])
        if not delta:
            return False
        self.chips[index] = value
        self.offsets[index + 1 :] += delta
        return True

    def extend(self, texts: Sequence[str], chips: Sequence[bool], text_lines: np.ndarray | None = None) -> None:
        """Append statements (the rest of a long document); ``text_lines`` if already counted at this width."""
        lines = count_all_lines(texts, self.width) if text_lines is None else np.asarray(text_lines, dtype=np.int32)
        self.texts = [*self.texts, *texts]
        self.chips = np.concatenate(
            [self.chips, np.fromiter((1 if c else 0 for c in chips), dtype=np.int32, count=len(texts))]
        )
        self.text_lines = np.concatenate([self.text_lines, lines])
        self._rebuild_offsets()

    def set_chips(self, chips: Sequence[bool]) -> None:
        self.chips = np.fromiter((1 if c else 0 for c in chips), dtype=np.int32, count=len(self.texts))
        self._rebuild_offsets()

    def first_line(self, index: int) -> int:
        return int(self.offsets[index])

    def line_count(self, index: int) -> int:
        return int(self.offsets[index + 1] - self.offsets[index])

    def locate(self, line: int) -> tuple[int, int]:
        """(statement index, line within the statement) of a visual line."""
        index = int(np.searchsorted(self.offsets, line, side="right")) - 1
        index = min(max(index, 0), len(self.texts) - 1)
        return index, line - int(self.offsets[index])

    def spans(self, index: int) -> list[tuple[int, int]]:
        """Character ranges of the statement's text lines (cached for drawn statements)."""
        cached = self._spans.get(index)
        if cached is not None:
            self._spans.move_to_end(index)
            return cached
        spans = wrap_spans(self.texts[index], self.width)
        self._spans[index] = spans
        if len(self._spans) > _SPAN_CACHE:
            self._spans.popitem(last=False)
        return spans
