"""Split cleaned text into statements (the units researchers code).

Input is `clean`'s output: one paragraph per line. Statements never cross a line. Within a
paragraph a statement ends after sentence-final punctuation (with the closing quotes,
brackets and citation markers that belong to it); an enumerator (一是, （一）, (1), ①, 1、,
第三条) starts a new one; `；` ends one only when the project asks for it. A short paragraph
without final punctuation is a heading.

Cutting a paragraph at positions and trimming whitespace off each piece guarantees the
invariants the rest of qcoder relies on: spans are ordered, disjoint, non-empty, have no
surrounding whitespace, and together cover every non-whitespace character.
"""

from __future__ import annotations

import re

from qcoder.corpus.clean import CJK, CLOSERS, HEADING_START, find_mojibake
from qcoder.corpus.types import Span, StepReport

_PARAGRAPH = re.compile(r"[^\n]+")
_CN_NUM = "一二三四五六七八九十"
_CITE = r"(?:\[\d+(?:[-–,，]\d+)*\])?"

# A run of sentence-final punctuation (。！？ ! ? … and "..."), then closing quotes/brackets,
# then an optional citation marker like [12] that belongs to the sentence it follows.
_FINAL_RUN = re.compile(f"(?:[。！？!?]|…+|\\.{{3,}})+[{CLOSERS}]*{_CITE}")
_ASCII_FINAL = re.compile(r"[!?]+")
# After an ASCII ! or ?, a sentence only ends at whitespace, end, an ideograph or a closer:
# "a.php?id=3" is not a sentence end.
_AFTER_ASCII_FINAL = re.compile(f"$|[\\s{CJK}{CLOSERS}“‘]")

# English full stop that ends a sentence: followed (after closers) by whitespace and a
# capital/opening quote, or glued to a capitalised word as PDF extraction leaves it
# ("life.Therefore"). Abbreviations and initials are filtered in `_english_cuts`.
_DOT = re.compile(f"\\.[{CLOSERS}]*{_CITE}(?=\\s+[\"“‘'(\\[]?[A-Z]|[A-Z][a-z])")
_WORD_BEFORE = re.compile(r"([A-Za-z]+)$")
# A one- or two-digit number standing alone before the dot is an enumerator ("2. School"),
# unlike a year or amount ("in 2020. The").
_ENUM_NUMBER = re.compile(r"(?:^|[^\w.,])\d{1,2}$")
# Reference type markers of GB/T 7714 citations: [J] [M] [EB/OL] [J/OL] [N] [D] [C].
_REF_TYPE = re.compile(r"\[[A-Z]{1,2}(?:/[A-Z]{1,2})?\]$")
_ABBREVIATIONS = frozenset(
    [
        "al",
        "e",
        "g",
        "i",
        "vs",
        "cf",
        "fig",
        "figs",
        "eq",
        "eqs",
        "no",
        "nos",
        "vol",
        "vols",
        "pp",
        "ed",
        "eds",
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "jr",
        "sr",
        "st",
        "inc",
        "ltd",
        "co",
        "corp",
        "dept",
        "univ",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "ca",
        "resp",
    ]
)

# Enumerators that start a statement after any punctuation or space: 一是 （一） (1) ①.
_ENUM = re.compile(
    f"(?<=[；;：:，,。！？!?\\s])(?:[{_CN_NUM}]{{1,3}}是|[（(][{_CN_NUM}]{{1,3}}[）)]|[（(]\\d{{1,2}}[）)]|[①-⑳])"
)
# Numeric enumerators (1、 1. 2．) and articles (第三条) only after a clause end, never after
# a comma: "，1.5倍" is a number, "，第三条规定" a reference to an article.
_ENUM_NUM = re.compile(f"(?<=[；;：:。！？!?])\\s*(?:\\d{{1,2}}[、．.](?![\\d.])|第[{_CN_NUM}百千零\\d]+条)")
_SEMICOLON = re.compile("[；;]")
_HAS_FINAL = re.compile("[。！？!?…]|\\.(?=\\s|$)")


def _is_heading(para: str) -> bool:
    """Short and without sentence-final punctuation (longer if it starts like a heading)."""
    if _HAS_FINAL.search(para):
        return False
    return len(para) <= 40 or (HEADING_START.match(para) is not None and len(para) <= 60)


def _english_cuts(para: str) -> list[int]:
    cuts = []
    for m in _DOT.finditer(para):
        word = _WORD_BEFORE.search(para, 0, m.start())
        if word:
            w = word.group(1)
            if len(w) == 1 or w.lower() in _ABBREVIATIONS:
                continue
            glued = not para[m.end() : m.end() + 1].isspace()
            if glued and not (len(w) >= 2 and w[-2:].islower()):
                continue  # "U.S.Department", "kjjbydc.L2024": not a sentence end
        else:
            before = para[m.start() - 1] if m.start() else ""
            if not before or not (before.isdigit() or before in CLOSERS):
                continue  # after an ideograph or symbol: a Chinese reference "网.习近平", not an English stop
            if _ENUM_NUMBER.search(para, 0, m.start()) or _REF_TYPE.search(para, 0, m.start()):
                continue  # "2. School of ...", "[J]. Management Science"
        cuts.append(m.end())
    return cuts


def _cuts(para: str, semicolon: bool) -> list[int]:
    """Positions in `para` where one statement ends and the next begins."""
    spots = find_mojibake(para) if ("?" in para or "\ufffd" in para) else []

    def in_spot(i: int) -> bool:
        return any(s <= i < e for s, e in spots)

    cuts: list[int] = []
    for m in _FINAL_RUN.finditer(para):
        run = m.group()
        # only ASCII ! ? : sentence end only if followed by space/ideograph/closer/end
        if _ASCII_FINAL.fullmatch(run.rstrip(CLOSERS)) and (
            in_spot(m.start()) or not _AFTER_ASCII_FINAL.match(para, m.end())
        ):
            continue
        cuts.append(m.end())
    if "." in para:
        cuts.extend(_english_cuts(para))
    if semicolon:
        cuts.extend(m.end() for m in _SEMICOLON.finditer(para) if not in_spot(m.start()))
    cuts.extend(m.start() for m in _ENUM.finditer(para))
    for m in _ENUM_NUM.finditer(para):
        cuts.append(m.start() + len(m.group()) - len(m.group().lstrip()))
    return sorted(set(cuts))


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    chunk = text[start:end]
    left = len(chunk) - len(chunk.lstrip())
    right = len(chunk.rstrip())
    if left >= right:
        return None
    return start + left, start + right


# A statement longer than this cannot be read or coded as one unit (a 1 MB line with no
# punctuation would be a single statement); it is cut at the last comma, enumeration
# comma, semicolon, colon or space before the limit, else at the limit itself.
MAX_STATEMENT_CHARS = 1000
_SOFT_BREAK = re.compile(r"[，,、；;：:\s]")


def _capped(text: str, span: Span, limit: int) -> list[Span]:
    """``span`` cut into pieces of at most ``limit`` characters, preferring soft breaks."""
    pieces: list[Span] = []
    start, end = span.start, span.end
    while end - start > limit:
        window = text[start + limit // 2 : start + limit]
        soft = [m.end() for m in _SOFT_BREAK.finditer(window)]
        cut = start + limit // 2 + soft[-1] if soft else start + limit
        bounds = _trimmed(text, start, cut)
        if bounds is not None:
            pieces.append(Span(bounds[0], bounds[1], span.kind))
        start = cut
    bounds = _trimmed(text, start, end)
    if bounds is not None:
        pieces.append(Span(bounds[0], bounds[1], span.kind))
    return pieces


def split_with_report(
    text: str, *, semicolon: bool = False, max_chars: int = MAX_STATEMENT_CHARS, headings: bool = True
) -> tuple[list[Span], StepReport]:
    """Like `split`, also cutting overlong statements and reporting how many were cut."""
    report = StepReport("cut_overlong_statements")
    spans: list[Span] = []
    for span in split(text, semicolon=semicolon, headings=headings):
        if span.end - span.start <= max_chars:
            spans.append(span)
            continue
        pieces = _capped(text, span, max_chars)
        report.changes += 1
        report.notes.append(
            f"a statement of {span.end - span.start:,} characters without sentence punctuation "
            f"was cut into {len(pieces)} pieces of at most {max_chars:,}"
        )
        spans.extend(pieces)
    return spans, report


def split(text: str, *, semicolon: bool = False, headings: bool = True) -> list[Span]:
    """Statements of `text` as spans; `text[span.start:span.end]` is the statement.

    ``headings=False``: no paragraph is taken for a heading (a speaker's short turn, a list item)."""
    spans: list[Span] = []
    for m in _PARAGRAPH.finditer(text):
        bounds = _trimmed(text, m.start(), m.end())
        if bounds is None:
            continue
        p_start, p_end = bounds
        para = text[p_start:p_end]
        if headings and _is_heading(para):
            spans.append(Span(p_start, p_end, "heading"))
            continue
        prev = 0
        for cut in [*_cuts(para, semicolon), len(para)]:
            if cut <= prev:
                continue
            piece = _trimmed(para, prev, cut)
            if piece is not None:
                spans.append(Span(p_start + piece[0], p_start + piece[1]))
            prev = cut
    return spans
