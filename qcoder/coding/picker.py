"""Finding a code by a few typed letters: the ranking behind the code picker.

Researchers type fast and expect what they type, in order, to win: an exact name,
then a prefix, a substring, then the letters as a subsequence (typing order). Chinese
names are also found by their pinyin initials (``cxlht`` → 创新联合体). Only when none
of that matches does fuzzy similarity (rapidfuzz) get a say, so typos still find a code
without pushing exact hits down. No Textual here: the CLI and tests use it as well.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar

from rapidfuzz import fuzz

T = TypeVar("T")

# Tiers, best first. Lower is better.
EXACT, PREFIX, SUBSTRING, SUBSEQUENCE, INITIALS_PREFIX, INITIALS_SUBSEQUENCE, FUZZY = range(7)
FUZZY_CUTOFF = 60.0


@lru_cache(maxsize=16384)
def pinyin_initials(name: str) -> str:
    """Lower-case pinyin initials of the Chinese characters; other characters kept as typed."""
    from pypinyin import Style, lazy_pinyin  # its phrase tables take ~0.2 s to load: only when needed

    parts = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return "".join(parts).replace(" ", "").casefold()


def _subsequence_start(needle: str, haystack: str) -> int | None:
    """Where ``needle`` starts as a subsequence of ``haystack`` (typing order), or None."""
    position = -1
    first = None
    for char in needle:
        position = haystack.find(char, position + 1)
        if position < 0:
            return None
        if first is None:
            first = position
    return first if first is not None else 0


def match_tier(query: str, name: str) -> tuple[int, float] | None:
    """(tier, position-or-penalty) of ``name`` for ``query``; None if it does not match."""
    needle = query.strip().casefold()
    if not needle:
        return (EXACT, 0.0)
    folded = name.casefold()
    if folded == needle:
        return (EXACT, 0.0)
    if folded.startswith(needle):
        return (PREFIX, 0.0)
    position = folded.find(needle)
    if position >= 0:
        return (SUBSTRING, float(position))
    start = _subsequence_start(needle, folded)
    if start is not None:
        return (SUBSEQUENCE, float(start))
    if needle.isascii() and not folded.isascii():
        initials = pinyin_initials(name)
        if initials.startswith(needle):
            return (INITIALS_PREFIX, 0.0)
        start = _subsequence_start(needle, initials)
        if start is not None:
            return (INITIALS_SUBSEQUENCE, float(start))
    score = fuzz.WRatio(needle, folded)
    if score >= FUZZY_CUTOFF:
        return (FUZZY, 100.0 - score)
    return None


def rank(
    query: str,
    items: Sequence[T],
    name: Callable[[T], str] = str,
    limit: int | None = None,
) -> list[T]:
    """The items whose names match ``query``, best first.

    Within a tier earlier matches and shorter names win; ties keep the input order, so a
    caller can pass recently used codes first to have them win among equals.
    """
    scored: list[tuple[int, float, int, int, T]] = []
    for index, item in enumerate(items):
        text = name(item)
        tier = match_tier(query, text)
        if tier is not None:
            scored.append((tier[0], tier[1], len(text) if query.strip() else 0, index, item))
    scored.sort(key=lambda entry: entry[:4])
    result = [entry[4] for entry in scored]
    return result[:limit] if limit is not None else result
