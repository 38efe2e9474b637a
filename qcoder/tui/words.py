"""Word boundaries inside a statement, for selecting a quote span with the keyboard.

The segmenter's tokens are stored with each statement (space-joined); they are found in
the statement's text in order, so a word step moves by the words the project was tokenized
with. Text no token covers (spaces, a token the text lost) steps as its own piece; without
tokens every character is a word.
"""

from __future__ import annotations

import bisect


def word_boundaries(text: str, tokens: str) -> list[int]:
    """Sorted code-point offsets where a word starts or ends, from 0 to ``len(text)``."""
    if not tokens.strip():
        return list(range(len(text) + 1))
    marks = {0, len(text)}
    at = 0
    for token in tokens.split():
        found = text.find(token, at)
        if found < 0:
            continue
        marks.add(found)
        marks.add(found + len(token))
        at = found + len(token)
    return sorted(marks)


def next_boundary(boundaries: list[int], at: int) -> int:
    """The first boundary after ``at`` (or ``at`` at the end)."""
    index = bisect.bisect_right(boundaries, at)
    return boundaries[index] if index < len(boundaries) else at


def previous_boundary(boundaries: list[int], at: int) -> int:
    """The last boundary before ``at`` (or ``at`` at the start)."""
    index = bisect.bisect_left(boundaries, at) - 1
    return boundaries[index] if index >= 0 else at


def word_start(boundaries: list[int], at: int) -> int:
    """The start of the word ``at`` falls in (``at`` itself on a boundary)."""
    index = bisect.bisect_right(boundaries, at) - 1
    return boundaries[index] if index >= 0 else at


def word_end(boundaries: list[int], at: int) -> int:
    """The end of the word ``at`` falls in (``at`` itself on a boundary)."""
    index = bisect.bisect_left(boundaries, at)
    return boundaries[index] if index < len(boundaries) else at
