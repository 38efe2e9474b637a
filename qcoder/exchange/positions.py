"""Selection positions in code points or UTF-16 code units, and how to tell which a file uses.

REFI-QDA counts characters (Unicode code points); NVivo (Windows and Mac) writes UTF-16
code units, where every character outside the Basic Multilingual Plane — emoji, rare CJK
ideographs from Extension B on (𠮷) — counts 2. Read the wrong way, every selection after
the first such character lands on other statements, so the unit is decided for the whole
file before any selection is placed, and the import report says which and why:

* qcoder's own side file states the unit it wrote — that settles it;
* otherwise the selections themselves: a person selects whole words, sentences or lines,
  so the reading under which more selections start and end on word or line boundaries is
  the one the tool used; a reading that puts a selection past the end of its text cannot
  be right, and one inside a character (between the halves of a UTF-16 pair) does not fit;
* when the selections fit both equally, the file's origin decides (NVivo → UTF-16),
  else the standard's code points.

Texts without characters outside the BMP read the same either way: no question arises.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate

CODEPOINTS = "codepoints"
UTF16 = "utf16"
UNITS = (CODEPOINTS, UTF16)
UNIT_NAMES = {CODEPOINTS: "code points", UTF16: "UTF-16 code units"}


class TextUnits:
    """One text's offsets in either unit; built once per text, conversions by bisection."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.wide = any(ord(ch) > 0xFFFF for ch in text)
        # UTF-16 offset of each code-point index 0..len(text), only needed when they differ
        self._utf16 = list(accumulate((2 if ord(ch) > 0xFFFF else 1 for ch in text), initial=0)) if self.wide else []

    def length(self, unit: str) -> int:
        return self._utf16[-1] if unit == UTF16 and self.wide else len(self.text)

    def to_codepoints(self, offset: int, unit: str, *, round_up: bool = False) -> tuple[int, bool]:
        """The code-point index of ``offset`` and whether it is exact (False: inside a surrogate pair)."""
        if unit == CODEPOINTS or not self.wide:
            return offset, True
        index = bisect_left(self._utf16, offset)
        if index < len(self._utf16) and self._utf16[index] == offset:
            return index, True
        return (index if round_up else index - 1), False

    def from_codepoints(self, index: int, unit: str) -> int:
        return self._utf16[index] if unit == UTF16 and self.wide else index


_BREAK_CATEGORIES = frozenset("PZSC")


def _breaks(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch)[0] in _BREAK_CATEGORIES


def _word_class(ch: str) -> str:
    return "ascii" if ch.isascii() and ch.isalnum() else "other"


def on_boundary(text: str, position: int) -> bool:
    """True where a person's selection plausibly starts or ends: a text end, a space, a line
    end, punctuation or a symbol (emoji) beside it, or a change between Latin and other script."""
    if position <= 0 or position >= len(text):
        return True
    before, after = text[position - 1], text[position]
    return _breaks(before) or _breaks(after) or _word_class(before) != _word_class(after)


def name_fits(text: str, start: int, end: int, name: str) -> bool:
    """Tools name a selection by its opening words: does ``name`` open text[start:end]?"""
    opening = " ".join(name.rstrip("…").split())[:30]
    return len(opening) >= 4 and " ".join(text[start:end].split()).startswith(opening)


@dataclass(frozen=True)
class RawSelection:
    """A selection as the file states it, before any unit is decided."""

    start: int
    end: int
    name: str


@dataclass
class Reading:
    """How a reading of positions fares: selections it puts on boundaries, past the end, or inside a character."""

    fits: int = 0
    past_end: int = 0  # cannot be: the import would be refused
    inside: int = 0  # a position between the two halves of a character: unlikely, not impossible

    def add(self, other: Reading) -> None:
        self.fits += other.fits
        self.past_end += other.past_end
        self.inside += other.inside

    def rank(self) -> tuple[int, int]:
        """Smaller is better."""
        return self.past_end, -self.fits


def place(units: TextUnits, selection: RawSelection, unit: str) -> tuple[int, int, bool] | None:
    """Code-point span of ``selection`` read in ``unit`` and whether both ends fall between characters;
    None when it lies past the end of the text (or runs backwards)."""
    if selection.end > units.length(unit) or selection.start < 0 or selection.end < selection.start:
        return None
    start, exact_start = units.to_codepoints(selection.start, unit)
    end, exact_end = units.to_codepoints(selection.end, unit, round_up=True)
    return start, end, exact_start and exact_end


def fits(text: str, span: tuple[int, int, bool] | None) -> bool:
    """The span exists, falls between characters, and starts and ends on word or line boundaries."""
    return span is not None and span[2] and on_boundary(text, span[0]) and on_boundary(text, span[1])


def compare(units: TextUnits, selections: Iterable[RawSelection]) -> tuple[int, dict[str, Reading]]:
    """Over the selections the two units place differently: how many there are, and how each unit fares."""
    readings = {unit: Reading() for unit in UNITS}
    differing = 0
    if not units.wide:
        return 0, readings
    for selection in selections:
        spans = {unit: place(units, selection, unit) for unit in UNITS}
        if spans[CODEPOINTS] == spans[UTF16]:
            continue
        differing += 1
        for unit, span in spans.items():
            readings[unit].past_end += span is None
            readings[unit].inside += span is not None and not span[2]
            readings[unit].fits += fits(units.text, span)
    return differing, readings


def origin_unit(origin: str) -> str:
    """The unit a tool is known to write: NVivo counts UTF-16 units; the standard, code points."""
    return UTF16 if "nvivo" in origin.lower() else CODEPOINTS


def decide(origin: str, differing: int, readings: dict[str, Reading]) -> tuple[str, str]:
    """The unit for the whole file and one report line saying why (empty when no selection depends on it)."""
    prior = origin_unit(origin)
    if not differing:
        return prior, ""
    other = UTF16 if prior == CODEPOINTS else CODEPOINTS
    mine, theirs = readings[prior], readings[other]
    if theirs.rank() < mine.rank():
        chosen, reason = other, (f"although the file was written by {origin!r}, " if prior == UTF16 else "")
    else:
        chosen = prior
        reason = (
            f"origin {origin!r}; "
            if origin and prior == UTF16
            else ("the standard's unit; " if prior == CODEPOINTS else "")
        )
    rejected = other if chosen == prior else prior
    won, lost = readings[chosen], readings[rejected]
    evidence = (
        f"{won.fits} of {differing} selection(s) fall on word/line boundaries that way "
        f"vs {lost.fits} of {differing} as {UNIT_NAMES[rejected]}"
    )
    flaws = [f"{lost.past_end} past the end of their text"] if lost.past_end else []
    flaws += [f"{lost.inside} inside a character"] if lost.inside else []
    if flaws:
        evidence += f" ({' and '.join(flaws)} that way)"
    return chosen, f"positions read as {UNIT_NAMES[chosen]}: {reason}{evidence}"
