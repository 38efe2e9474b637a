"""Cleaning steps: turn text extracted from PDFs and web pages into paragraphs of prose.

Each step is a small pure function ``(text) -> (text, StepReport)``; `clean` runs them in
order. Steps never guess content back in: they delete page furniture, map look-alike
characters, or re-flow whitespace, and they say what they did.

Content accounting
------------------
Let ``ns(s)`` be ``s`` without whitespace (``str.isspace``). Every step satisfies::

    len(ns(before)) == len(ns(after)) + sum(len(ns(r)) for r in report.removed)

*Deleting* steps (everything except the two mapping steps) change nothing but what they
list, so even the characters balance: ``Counter(ns(before)) == Counter(ns(after)) +
Counter(ns("".join(removed)))``. *Mapping* steps (`map_width`, `map_radicals`) replace one
character by exactly one other and list nothing in ``removed``; their ``changes`` is the
number of characters replaced. Re-flowing whitespace (line endings, joining lines) is not a
content change. So for the whole of `clean`, ``len(ns(raw)) == len(ns(cleaned)) + total
removed``, which the tests check on the seeds and on generated text.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from functools import lru_cache

from qcoder.corpus.types import StepReport

Step = Callable[[str], "tuple[str, StepReport]"]

# ---------------------------------------------------------------------------------------
# Character classes shared with split.py
# ---------------------------------------------------------------------------------------

#: CJK ideographs (BMP blocks and the supplementary planes).
CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
#: Sentence-final punctuation (full-width and ASCII ! ?; ASCII '.' is handled separately).
FINAL = "。！？!?…"
#: Closing quotes and brackets that belong to the sentence they follow.
CLOSERS = "”’\"'」』）)\\]】》〕〉»›"

_CJK_CHAR = re.compile(f"[{CJK}]")


def ns(text: str) -> str:
    """`text` without whitespace: what content accounting counts."""
    return "".join(text.split())


def balance(before: str, after: str, report: StepReport) -> bool:
    """True if the step's content accounting holds (see module docstring)."""
    removed = sum(len(ns(r)) for r in report.removed)
    return len(ns(before)) == len(ns(after)) + removed


def char_balance(before: str, after: str, report: StepReport) -> bool:
    """True if, character for character, `before` == `after` + removed (deleting steps)."""
    return Counter(ns(before)) == Counter(ns(after)) + Counter(ns("".join(report.removed)))


def display_width(line: str) -> int:
    """Approximate terminal width: 2 for CJK (3-byte UTF-8), 1 for ASCII; cheap, no loop."""
    return (len(line.encode("utf-8")) + len(line)) // 2


# ---------------------------------------------------------------------------------------
# 1. Line endings and invisible characters
# ---------------------------------------------------------------------------------------

# CRLF, lone CR, vertical tab, NEL and the Unicode line/paragraph separators all mean "new
# line". A form feed (page break in PDF text) becomes a line of its own so the page-furniture
# step can use it as evidence of a page boundary.
_NEWLINES = re.compile("\r\n|[\r\v\x85\u2028\u2029]|\f")


def normalize_newlines(text: str) -> tuple[str, StepReport]:
    """Make every line break a LF. Whitespace only, so nothing is listed as removed."""
    report = StepReport("normalize_newlines")

    def repl(m: re.Match[str]) -> str:
        return "\n\f\n" if m.group() == "\f" else "\n"

    out, report.changes = _NEWLINES.subn(repl, text)
    return out, report


# Zero-width space/joiners, word joiner, BOM inside text, soft hyphen: invisible in every
# viewer yet they break search and tokenization.
_INVISIBLE = re.compile("[\u200b-\u200d\u2060\ufeff\u00ad]")


def drop_invisible(text: str) -> tuple[str, StepReport]:
    """Delete invisible format characters (each listed in `removed`)."""
    report = StepReport("drop_invisible")
    found = _INVISIBLE.findall(text)
    if found:
        text = _INVISIBLE.sub("", text)
        report.changes = len(found)
        report.removed = found
    return text, report


# ---------------------------------------------------------------------------------------
# 2. Mapping steps (one character for one character)
# ---------------------------------------------------------------------------------------

# Full-width ASCII letters and digits -> ASCII. Full-width punctuation is left alone: ，。（）
# are the correct Chinese punctuation, not look-alikes.
_WIDTH_TABLE = {
    cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for cp in range(r[0], r[1] + 1)
}
_WIDTH_RE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def map_width(text: str) -> tuple[str, StepReport]:
    """Full-width letters/digits (ＡＩ, ２０２０) to ASCII so search and codes match."""
    report = StepReport("map_width")
    report.changes = len(_WIDTH_RE.findall(text))
    if report.changes:
        text = text.translate(_WIDTH_TABLE)
    return text, report


def _radical_table() -> dict[int, str]:
    """Kangxi radicals and compatibility ideographs via NFKC, plus radical-supplement forms.

    PDF extraction often yields the radical code point (⾦ U+2F26) instead of the character
    (金 U+91D1); they look identical but never match in search. From the CJK Radicals
    Supplement only the forms that are whole characters are mapped; side forms (⺡ 氵,
    ⺘ 扌) are left, because they have no unambiguous standalone character.
    """
    table: dict[int, str] = {}
    for cp in list(range(0x2F00, 0x2FD6)) + list(range(0xF900, 0xFB00)):
        mapped = unicodedata.normalize("NFKC", chr(cp))
        if mapped != chr(cp) and len(mapped) == 1:
            table[cp] = mapped
    supplement = {
        0x2E9F: "母",
        0x2EA0: "民",
        0x2EC4: "西",
        0x2EC5: "见",
        0x2EC6: "角",
        0x2EC8: "讠",
        0x2EC9: "贝",
        0x2ECB: "车",
        0x2ED0: "钅",
        0x2ED1: "長",
        0x2ED3: "长",
        0x2ED4: "门",
        0x2ED8: "青",
        0x2ED9: "韦",
        0x2EDA: "页",
        0x2EDB: "风",
        0x2EDC: "飞",
        0x2EDD: "食",
        0x2EE0: "饣",
        0x2EE2: "马",
        0x2EE3: "骨",
        0x2EE4: "鬼",
        0x2EE5: "鱼",
        0x2EE6: "鸟",
        0x2EE7: "卤",
        0x2EE8: "麦",
        0x2EE9: "黄",
        0x2EEA: "黾",
        0x2EEC: "齐",
        0x2EEE: "齿",
        0x2EF0: "龙",
        0x2EF3: "龟",
    }
    table.update(supplement)
    return table


_RADICALS = _radical_table()
_RADICAL_RE = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_RADICALS)) + "]")


def map_radicals(text: str) -> tuple[str, StepReport]:
    """Radical and compatibility code points to the ordinary characters they stand for."""
    report = StepReport("map_radicals")
    found = _RADICAL_RE.findall(text)
    if found:
        report.changes = len(found)
        text = text.translate(_RADICALS)
        report.notes.append("mapped: " + " ".join(sorted({f"{c}→{_RADICALS[ord(c)]}" for c in found})[:10]))
    return text, report


# ---------------------------------------------------------------------------------------
# 3. Pinyin readings
# ---------------------------------------------------------------------------------------

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜńňǹḿĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙǕǗǙǛ"
# A parenthesised run of Latin letters (with tone marks, ü, combining accents, inner spaces
# or apostrophes) right after a CJK character, or after `?`/U+FFFD (a character lost to
# mojibake still carries its reading). Whether it really is pinyin is checked in `_is_pinyin`.
_READING = re.compile(f"(?<=[{CJK}?\ufffd])[(（](?P<r>[a-zA-ZüÜ{_TONED}\u0300-\u036f' ]{{1,40}})[)）]")
# The same reading whose "(" was lost together with the character before it: `紕?chuàng)新`.
_LOST_PAREN_READING = re.compile(f"(?<=\\?)(?P<r>[a-zA-ZüÜ{_TONED}\u0300-\u036f]{{1,12}})[)）]")


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """All toneless pinyin syllables (~420), from pypinyin's table; loaded on first need."""
    try:
        from pypinyin.pinyin_dict import pinyin_dict
    except ImportError:  # pragma: no cover - pypinyin is a declared dependency
        return frozenset()
    return frozenset(_toneless(p) for v in pinyin_dict.values() for p in v.split(","))


def _toneless(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c)).lower()


# Fallback syllable shape if pypinyin is missing: optional initial, then a final.
_SYLLABLE = re.compile(
    "(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    "(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|ai|ei|ao|ou|an|en|in|un"
    "|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|ng|n|m))+"
)


def _parses(word: str, syllables: frozenset[str]) -> bool:
    """Can `word` be cut into pinyin syllables? (dynamic programming, syllables ≤ 6 letters)"""
    if not syllables:
        return _SYLLABLE.fullmatch(word) is not None
    ok = [True] + [False] * len(word)
    for i in range(1, len(word) + 1):
        ok[i] = any(ok[i - k] and word[i - k : i] in syllables for k in range(1, min(6, i) + 1))
    return ok[-1]


def _is_pinyin(reading: str) -> bool:
    """A tone mark must be present and every word must cut into real pinyin syllables.

    The tone mark rules out ``(AI)``, ``图(a)`` and ``(de)``; the syllable check rules out
    accented words from other languages such as ``(café)`` (there is no syllable "fe").
    """
    if not any(c in _TONED for c in unicodedata.normalize("NFC", reading)):
        return False
    syllables = _syllables()
    words = [w for w in re.split("[' ]+", _toneless(reading)) if w]
    return bool(words) and all(_parses(w, syllables) for w in words)


def strip_pinyin(text: str) -> tuple[str, StepReport]:
    """`發(fā)展` → `發展`: delete readings a PDF tool put after characters (listed in `removed`)."""
    report = StepReport("strip_pinyin")
    removed = report.removed

    def repl(m: re.Match[str]) -> str:
        if _is_pinyin(m.group("r")):
            removed.append(m.group())
            return ""
        return m.group()

    text = _READING.sub(repl, text)
    if "?" in text:
        text = _LOST_PAREN_READING.sub(repl, text)
    report.changes = len(removed)
    if removed:
        report.notes.append(f"{len(removed)} pinyin readings removed")
    return text, report


# ---------------------------------------------------------------------------------------
# 4. Page furniture: running heads, footers, page numbers
# ---------------------------------------------------------------------------------------

# Journal footer/header: [page] Vol. N No. N YEAR [Journal Name], or the mirrored form
# [Journal Name] YEAR Vol. N No. N [page]. It must fill the line or sit between ideographs
# (PDF tools drop it into the middle of a Chinese sentence): the same words inside an
# English reference ("Research Policy 2019, Vol. 3, No. 2: 12-20") are content. The journal
# name is at most 7 Latin words.
_LATIN_NAME = r"[A-Z][A-Za-z&]*(?:[ ]+[A-Za-z&]+){0,6}"
_VOL_FOOTER = re.compile(
    f"(?<![^{CJK}])[ \\t]*(?:"
    r"(?:\d{1,4}[ \t]*)?Vol\.[ \t]*\d{1,3}[ \t]*,?[ \t]*No\.[ \t]*\d{1,3}[ \t]*,?[ \t]*(?:19|20)\d{2}"
    rf"(?:[ \t]*{_LATIN_NAME})?"
    rf"|(?:{_LATIN_NAME}[ \t]*)?(?:19|20)\d{{2}}[ \t]*,?[ \t]*Vol\.[ \t]*\d{{1,3}}[ \t]*,?[ \t]*No\.[ \t]*\d{{1,3}}(?:[ \t]+\d{{1,4}})?"
    f")[ \\t]*(?![^{CJK}])"
)
# Whole-line page numbers: "— 12 —", "- 3 -", "·12·", "第 3 页", "第3页 共10页", "Page 3 of 10".
# A bare number on a line is *not* matched: it can be content (a year, a table cell).
_PAGE_NUMBER = re.compile(
    r"[-—–·•]+[ \t]*\d{1,4}[ \t]*[-—–·•]+"
    r"|第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*[，,/]?[ \t]*共[ \t]*\d{1,4}[ \t]*页)?"
    r"|(?i:page)[ \t]*\d{1,4}(?:[ \t]*(?i:of)[ \t]*\d{1,4})?"
)
_ENDS_FINAL = re.compile(f"(?:[{FINAL}]|\\.)[{CLOSERS}]*(?:\\[\\d+(?:[-–,，]\\d+)*\\])?$")


def ends_final(line: str) -> bool:
    """The (stripped) line ends a sentence: final punctuation, maybe a closer or citation."""
    return _ENDS_FINAL.search(line) is not None


_WORDLIKE = re.compile(f"[{CJK}A-Za-z]")

# A speaker label at the start of a line: 访谈者： 受访者A： Q: 张老师： Interviewer 1:, maybe
# after a time stamp ([00:12:31]), or a forum reply (推 user: / 噓 user: / → user:, PTT's
# format: marker, space, ASCII user id). A URL (http://) is not one, nor a clock time (12:30).
_SPEAKER = re.compile(
    r"[ \t\u3000]*(?:[\[【(（]?\d{1,2}:\d{2}(?::\d{2})?[\]】)）]?[ \t]*)?"
    r"(?:(?P<push>[推噓嘘→][ \t]+[A-Za-z0-9_]{1,20})"
    r"|(?P<name>[^\s:：，,。！？!?；;、“”\"'()（）\[\]【】]{1,12}|[A-Za-z][A-Za-z0-9 ._'-]{0,19}?))"
    r"[ \t]*[:：](?!//)"
)


def speaker_label(line: str) -> str | None:
    """The speaker label a line begins with (``受访者``, ``Q``, ``推 unmolk``), or None."""
    m = _SPEAKER.match(line)
    if m is None:
        return None
    if m.group("push"):
        return m.group("push")
    return None if m.group("name").isdigit() else m.group("name")


def forum_reply(line: str) -> bool:
    """A forum reply line (推 user: / 噓 user: / → user:): always a line of its own."""
    m = _SPEAKER.match(line)
    return m is not None and m.group("push") is not None


# A bare number on a line of its own: a page number only if such numbers count up page by
# page next to a repeated line (see `_page_numbers`); otherwise it is content (a year, a cell).
_BARE_NUMBER = re.compile(r"\d{1,4}")


def _page_numbers(at: list[int], rows: list[int], stripped: list[str]) -> dict[int, int]:
    """Occurrences (indexes into `at`) with a page number beside them, mapped to its line.

    A bare number is a page number only in a run: on the same side (just before or just
    after) of consecutive occurrences, counting up by 1 or 2 (a running head may sit on
    every other page) from one occurrence to the next. Numbers in a table beside a
    repeated label ("男 45 … 男 60") do not count like pages.
    """
    found: dict[int, int] = {}
    occurring = set(at)
    for step in (-1, 1):
        beside: list[tuple[int, int] | None] = []  # (number, line) on this side of each occurrence
        for k in at:
            j = k + step
            if 0 <= j < len(rows) and j not in occurring and _BARE_NUMBER.fullmatch(stripped[rows[j]]):
                beside.append((int(stripped[rows[j]]), rows[j]))
            else:
                beside.append(None)
        for n in range(1, len(beside)):
            a, b = beside[n - 1], beside[n]
            if a is not None and b is not None and 1 <= b[0] - a[0] <= 2:
                found[n - 1], found[n] = a[1], b[1]
    return found


def _regular(offsets: list[int]) -> bool:
    """Occurrences at regular intervals of the text, a page apart: at least five, the gaps (in
    visible characters) at least 400 and within -25 %/+35 % of their median. Content that
    repeats (an answer, a reply) does not keep such a beat: five lines at random places
    pass this test about once in a hundred documents, eight about once in ten thousand."""
    if len(offsets) < 5:
        return False
    gaps = sorted(b - a for a, b in itertools.pairwise(offsets))
    median = gaps[len(gaps) // 2]
    return median >= 400 and gaps[0] >= 0.75 * median and gaps[-1] <= 1.35 * median


def _running_heads(lines: list[str], footer_rows: set[int]) -> tuple[set[str], set[int]]:
    """Short lines repeated at page breaks: the running heads, and page-number lines found with them.

    A candidate is a line of at most 20 visible characters without final punctuation that is
    not an enumerated heading, does not begin with a speaker label (``受访者：嗯`` is an
    answer) and occurs at least twice. Repetition alone is no evidence: interview answers,
    forum replies and reference fragments repeat too. A candidate is a running head only
    with page evidence:

    * most of its occurrences sit at a page break (a form feed, a page-number line or a
      journal footer in the blank gap before or after it, or a bare page number that counts
      up from occurrence to occurrence), the first or last line of the document counting as
      a page break once at least one occurrence has such evidence; or
    * it recurs at regular intervals of the text, a page apart (`_regular`).

    This keeps a heading that merely repeats (e.g. "小结" in two sections), even if one of its
    occurrences happens to follow a page footer.
    """
    stripped = [ln.strip() for ln in lines]
    rows = [i for i, s in enumerate(stripped) if s]  # a form feed line strips to ""
    if not rows:
        return set(), set()
    positions: dict[str, list[int]] = {}  # candidate line -> its indexes in `rows`
    for k, i in enumerate(rows):
        s = stripped[i]
        if len(s) <= 40 and len(ns(s)) <= 20 and i not in footer_rows and not ends_final(s):
            positions.setdefault(s, []).append(k)
    offsets: list[int] = []  # visible characters before each row
    total = 0
    for i in rows:
        offsets.append(total)
        total += len(ns(stripped[i]))
    heads: set[str] = set()
    numbers: set[int] = set()
    for cand, at in positions.items():
        if len(at) < 2 or HEADING_START.match(cand) or STRONG_START.match(cand) or speaker_label(cand):
            continue
        if not _WORDLIKE.search(cand):
            continue  # a lone ";" or "——" left by wrapping is not a running head
        page_numbers = _page_numbers(at, rows, stripped)
        at_break = edge = 0
        for n, k in enumerate(at):
            start = rows[k - 1] + 1 if k else 0
            stop = rows[k + 1] if k + 1 < len(rows) else len(lines)
            gap = [r for r in range(start, stop) if r != rows[k]]  # blank rows around it
            if n in page_numbers or any(r in footer_rows or "\f" in lines[r] for r in gap):
                at_break += 1
            elif k == 0 or k == len(rows) - 1:
                edge += 1
        if (at_break and 2 * (at_break + edge) > len(at)) or _regular([offsets[k] for k in at]):
            heads.add(cand)
            numbers.update(page_numbers.values())
    return heads, numbers


def drop_page_furniture(text: str, *, running_heads: bool = True) -> tuple[str, StepReport]:
    """Delete journal footers (even mid-sentence), page-number lines and running heads.

    With ``running_heads=False`` (``qcoder import --keep-repeated``) repeated lines are all
    kept; footers and page numbers, recognised by their form, still go.
    """
    report = StepReport("drop_page_furniture")
    lines = text.split("\n")
    footer_rows: set[int] = set()
    for i, line in enumerate(lines):
        if "Vol" in line:
            found = _VOL_FOOTER.findall(line)
            if found:
                report.removed.extend(f.strip() for f in found)
                line = _VOL_FOOTER.sub("", line)
                lines[i] = line if line.strip() else ""
                footer_rows.add(i)
        stripped = line.strip()
        if stripped and len(stripped) <= 20 and _PAGE_NUMBER.fullmatch(stripped):
            report.removed.append(stripped)
            lines[i] = ""
            footer_rows.add(i)
    heads, numbers = _running_heads(lines, footer_rows) if running_heads else (set(), set())
    if heads:
        for i, line in enumerate(lines):
            if line.strip() in heads or i in numbers:
                report.removed.append(line.strip())
                lines[i] = ""
        report.notes.append("running heads (repeated at page breaks): " + ", ".join(sorted(heads)))
        if numbers:
            report.notes.append(f"page numbers beside them: {len(numbers)}")
    report.changes = len(report.removed)
    return _page_marked(lines, text.split("\n")), report


def _page_marked(lines: list[str], before: list[str]) -> str:
    """Lines a step emptied become a form feed: a page's furniture was there, not a blank line
    between paragraphs (which `join_lines` takes as a paragraph end)."""
    return "\n".join("\f" if not line and before[i].strip() else line for i, line in enumerate(lines))


# ---------------------------------------------------------------------------------------
# 5. Letterhead of briefs (智库专报, 简报): only lines that cannot be content
# ---------------------------------------------------------------------------------------

_LETTERHEAD = re.compile(
    # an empty form field such as 【领导批示】：
    r"【(?:领导批示|领导批阅|批示|签发人?|审签|审核|责任编辑|编辑|校对)】[ \t]*[:：]?"
    # issue / print-run line: 2021年第45期（总第178期）
    r"|(?:\d{4}[ \t]*年[ \t]*)?第[ \t]*\d{1,4}[ \t]*期[ \t]*[（(][ \t]*总第[ \t]*\d{1,5}[ \t]*期[ \t]*[）)]"
    # print run: 共印 500 份
    r"|共印[ \t]*\d{1,6}[ \t]*份"
    # contact line that is only a phone number
    r"|(?:联系电话|联系人电话|电话|传真)[ \t]*[:：][ \t]*[\d\-－ ()（）/、，,]{5,40}"
)
# Distribution list (公文版记): 报：… / 送：… / 抄送：… naming many bodies, no sentence end.
_DISTRIBUTION = re.compile(r"(?:报|送|抄送|抄报|报送|分送|发送)[ \t]*[:：].*")


def drop_letterhead(text: str) -> tuple[str, StepReport]:
    """Delete whole lines that are brief letterhead: empty approval field, issue and print-run
    lines, phone-only contact lines, distribution lists. Anything less certain stays."""
    report = StepReport("drop_letterhead")
    lines = text.split("\n")
    for i, line in enumerate(lines):
        s = line.strip()
        if not s or len(s) > 400:
            continue
        drop = _LETTERHEAD.fullmatch(s) is not None
        if not drop and _DISTRIBUTION.fullmatch(s):
            # at least three listed bodies and no sentence in it
            drop = len(re.findall("[、，,]", s)) >= 2 and not re.search(f"[{FINAL}]", s)
        if drop:
            report.removed.append(s)
            lines[i] = ""
    report.changes = len(report.removed)
    return _page_marked(lines, text.split("\n")), report


# ---------------------------------------------------------------------------------------
# 6. Joining hard line breaks
# ---------------------------------------------------------------------------------------

_CN_NUM = "一二三四五六七八九十百"
# Starts of a new block even when the previous line has no final punctuation:
# 一是 / 一、 / （一） / (1) / ① / 1、 / 1. xx / 第三条 / [12] reference / bullets / Markdown
# heading or bold run-in heading / field labels of papers and briefs (摘要：, DOI: ...).
STRONG_START = re.compile(
    rf"(?:[{_CN_NUM}]{{1,3}}是|[{_CN_NUM}]{{1,3}}、|[（(][{_CN_NUM}]{{1,3}}[）)]|[（(]\d{{1,2}}[）)]"
    r"|[①-⑳]|\d{1,2}[、．](?!\d)|\d{1,2}\.(?=[ \t]*[^\d\s.])"
    rf"|第[{_CN_NUM}千零\d]+[章节條条][ \t\u3000]"
    r"|\[\d{1,3}\]|[●•▪■◆◇○★☆※►▶]|#{1,6}[ \t]|\*\*"
    r"|【[^】]{1,10}】"
    r"|(?:摘[ \t]*要|关键词|關鍵詞|英文关键词|英文關鍵詞|(?i:key[ \t]*words?|abstract)|引[ \t]*言|前[ \t]*言"
    r"|参考文献|參考文獻|作者简介|作者簡介|基金项目|基金項目|收稿日期|修回日期|中图分类号|中圖分類號"
    r"|文献标识码|文獻標識碼|文章编号|文章編號|DOI|通讯作者|通訊作者)[ \t]*[:：])"
)
# Starts of headings: enumerated section titles and Markdown headings. A paragraph that
# starts like this and has no final punctuation is a heading; it may wrap once.
HEADING_START = re.compile(
    rf"(?:[{_CN_NUM}]{{1,3}}、|[（(][{_CN_NUM}]{{1,3}}[）)]|第[{_CN_NUM}千零\d]+[章节部分篇编]"
    r"|\d{1,2}(?:\.\d{1,2}){0,3}[ \t]+(?=[^\d\s])|#{1,6}[ \t])"
)
# A section number like "1.1 新质生产力" starts a block only when that line is a heading:
# "30 亿元用于…" at the start of a wrapped line is not one.
_NUMBERED = re.compile(r"\d{1,2}(?:\.\d{1,2}){0,3}[ \t]+(?=[^\d\s])")
_ASCII_END = re.compile(r"[A-Za-z0-9,;:)\]%]$")
_ASCII_START = re.compile(r"[A-Za-z0-9(\[]")


def _wrap_width(lines: list[str]) -> int | None:
    """The width a hard-wrapped document is wrapped at, or None if it is not hard-wrapped.

    Hard-wrapped text has many lines without final punctuation of nearly equal width (the
    page column); a paragraph-per-line document has such lines of all widths (headings,
    cut-off paragraphs).
    """
    widths = sorted(display_width(s) for s in lines if not ends_final(s) and display_width(s) >= 20)
    if len(widths) < 4:
        return None
    median = widths[len(widths) // 2]
    near = sum(1 for w in widths if 0.85 * median <= w <= 1.12 * median)
    if near < 0.6 * len(widths) or median > 200:
        return None
    return max(w for w in widths if w <= 1.12 * median)


def _glue(a: str, b: str) -> str:
    """Join two line fragments: a space only between Latin words/numbers, none for CJK."""
    if _ASCII_END.search(a) and _ASCII_START.match(b):
        return a + " " + b
    return a + b


def _speakers(lines: list[str]) -> set[str]:
    """Speaker labels that start at least two lines (访谈者, 受访者): turns of a transcript."""
    counts = Counter(label for label in map(speaker_label, lines) if label)
    return {label for label, n in counts.items() if n >= 2}


def _lines_and_gaps(text: str) -> tuple[list[str], list[bool]]:
    """The non-empty lines (stripped), and for each whether a blank line came before it."""
    lines: list[str] = []
    after_blank: list[bool] = []
    blank = page = False
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            page = page or "\f" in raw  # furniture went here: the gap is a page break, not a paragraph end
            blank = bool(lines) and not page
            continue
        page = False
        lines.append(line)
        after_blank.append(blank)
        blank = False
    return lines, after_blank


def _blank_lines_end_paragraphs(lines: list[str], after_blank: list[bool]) -> bool:
    """Blank lines mark paragraphs, unless they follow nearly every line (PDF extraction puts one
    after each wrapped line, as in 000) or the text is hard-wrapped inside its paragraphs."""
    gaps = sum(after_blank)
    if not gaps:
        return False
    if len(lines) >= 6 and gaps > 0.6 * (len(lines) - 1):
        return False
    return True


def join_lines(text: str, *, keep_paragraphs: bool = False) -> tuple[str, StepReport]:
    """Re-flow hard line breaks inside sentences; one paragraph per output line.

    A blank line ends a paragraph, even without final punctuation (Weibo posts, notes), unless
    blank lines follow nearly every line (PDF extraction puts them after every wrapped line,
    as in 000) or the line before it fills the page column of a hard-wrapped text. Lines that
    page furniture left empty are page breaks, not blank lines. A break is kept when the line ends a sentence,
    the next line starts a block (heading, enumerator, label, reference, bullet, a
    speaker's turn), the line is a heading (it may wrap once at full width) or a forum
    reply, or the line is clearly shorter than the page column (a heading or a paragraph
    end without punctuation). Otherwise the lines are one sentence cut by wrapping or a
    page break, and are joined.

    ``keep_paragraphs``: the lines are a word processor's paragraphs and table cells, which
    the writer made: none is joined (a transcript's cells of similar length would otherwise
    look hard-wrapped, and a speaker's cell would be glued to the previous answer).
    """
    report = StepReport("join_lines")
    lines, after_blank = _lines_and_gaps(text)
    if keep_paragraphs:
        report.notes.append("joined 0 line breaks; paragraphs kept as the word processor has them")
        return "\n".join(lines), report
    width = _wrap_width(lines)
    speakers = _speakers(lines)
    short = 0.75 * width if width else 50
    full = 0.85 * width if width else None
    paragraphs: list[str] = []
    cur: list[str] = []
    heading = False
    joined = 0

    blank_ends = _blank_lines_end_paragraphs(lines, after_blank)

    def should_join(a: str, b: str, gap: bool) -> bool:
        if ends_final(a) or STRONG_START.match(b):
            return False
        if gap and blank_ends and not (full is not None and display_width(a) >= full):
            return False  # a blank line after a line that is not at the page column's full width
        if speaker_label(b) in speakers or forum_reply(b) or forum_reply(a):
            return False
        if _NUMBERED.match(b) and display_width(b) <= 50 and not ends_final(b):
            return False
        wa = display_width(a)
        if heading:
            return len(cur) == 1 and full is not None and wa >= full
        if width is None and a[-1] in "：:":
            return False
        return wa >= short

    for line, gap in zip(lines, after_blank, strict=True):
        if cur and should_join(cur[-1], line, gap):
            cur.append(line)
            joined += 1
            continue
        if cur:
            paragraphs.append(_join_paragraph(cur))
        cur = [line]
        heading = HEADING_START.match(line) is not None and not ends_final(line)
    if cur:
        paragraphs.append(_join_paragraph(cur))
    report.changes = joined
    report.notes.append(
        f"joined {joined} line breaks; " + (f"hard-wrapped at width ≈{width}" if width else "not hard-wrapped")
    )
    return "\n".join(paragraphs), report


def _join_paragraph(parts: list[str]) -> str:
    out = parts[0]
    for p in parts[1:]:
        out = _glue(out, p)
    return out


# ---------------------------------------------------------------------------------------
# 7. Markdown markers
# ---------------------------------------------------------------------------------------

# "## " at the start of a paragraph (1-6 hashes then a space): heading marker.
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+", re.M)
# "**bold**" on one paragraph, content not starting/ending with whitespace.
_MD_BOLD = re.compile(r"\*\*(?=\S)([^\n]*?\S)\*\*")


def strip_markdown(text: str) -> tuple[str, StepReport]:
    """Delete Markdown heading markers and bold markers (listed in `removed`)."""
    report = StepReport("strip_markdown")

    def heading(m: re.Match[str]) -> str:
        report.removed.append(m.group().strip())
        return ""

    def bold(m: re.Match[str]) -> str:
        report.removed.extend(("**", "**"))
        return m.group(1)

    text = _MD_HEADING.sub(heading, text)
    text = _MD_BOLD.sub(bold, text)
    report.changes = len(report.removed)
    return text, report


# ---------------------------------------------------------------------------------------
# 8. Mojibake (flagged, never changed)
# ---------------------------------------------------------------------------------------

# Characters GBK mojibake produces besides ideographs: Greek, Cyrillic, bopomofo, enclosed
# numbers, box drawing, ratio colon, kana. Text mis-decoded with a one-byte shift (as in
# 003: `?;诖耍疚陌凑粘绦蚧碚摲椒?`) is a run of these and ideographs, bounded by `?` where
# a byte was lost, or by an ASCII letter where the decoder fell back into step.
_ODD = "\u0391-\u03c9\u0401-\u0451\u3105-\u3129\u2460-\u24ff\u2500-\u257f\u2236\u3041-\u30ff"
_GARBLE = re.compile(f"[{CJK}{_ODD}]{{1,24}}")
# A `?` cluster (optionally followed by `;`, as in `?;诖`) touching an ideograph: a real
# question mark in Chinese text is full-width `？`, so this is where a character was lost.
_QMARK = re.compile(f"(?:(?<=[{CJK}])\\?+;?|\\?+;?(?=[{CJK}{_ODD}]|[@-~][{CJK}]))")
_QRUN = re.compile(r"\?+;?")
_REPLACEMENT = re.compile("\ufffd+")
# A question the writer typed with ASCII `?` (Weibo, PTT): after an ideograph, followed by a
# space, a closer or the end of a line. A lost byte is followed by more (garbled) text.
_REAL_QUESTION = re.compile(f"(?<=[{CJK}])\\?+(?=[ \t\u3000\n{CLOSERS}]|$)")
# Bopomofo or box drawing between ideographs never occurs in Chinese prose.
_ODD_ANCHOR = re.compile(f"(?<=[{CJK}])[\u3105-\u3129\u2500-\u257f]+(?=[{CJK}])")
# ASCII letter/symbol where a mis-aligned decoder resynchronised (0x40-0x7E trail byte).
_RESYNC = re.compile(f"[@-~](?=[{CJK}])")


def find_mojibake(text: str) -> list[tuple[int, int]]:
    """Suspicious spans `(start, end)` of `text`, sorted and disjoint.

    A spot is a U+FFFD run, a `?` cluster touching an ideograph (with the garbled run after
    it, up to the next `?` or resync letter), or bopomofo/box drawing inside ideographs.
    A `?` cluster that closes a garbled run is a spot of its own (it marks another lost
    byte), so 003's 14 damaged places give 14 spots.
    """
    if "?" not in text and "\ufffd" not in text and not _ODD_ANCHOR.search(text):
        return []
    spots: list[tuple[int, int]] = [m.span() for m in _REPLACEMENT.finditer(text)]
    closing: set[int] = set()
    for m in _QMARK.finditer(text):
        start, end = m.span()
        if start in closing:
            continue
        if _REAL_QUESTION.match(text, start):
            continue  # 怎么做? 新闻学…: an ASCII question mark after Chinese, then a space or the end
        run = _GARBLE.match(text, end)
        stop = run.end() if run else end
        if run and text.startswith("?", stop):
            # the `?` that closes the garbled run is a spot of its own (another lost byte)
            close = _QRUN.match(text, stop)
            assert close is not None
            closing.add(stop)
            spots.append(close.span())
            end = stop
        elif _RESYNC.match(text, stop):
            end = stop + 1
        elif run and stop - end <= 12 and (stop == len(text) or not _CJK_CHAR.match(text, stop)):
            end = stop
        spots.append((start, end))
    spots.extend(m.span() for m in _ODD_ANCHOR.finditer(text))
    spots.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spots:
        if merged and s < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return merged


def flag_mojibake(text: str) -> tuple[str, StepReport]:
    """Report suspicious spans in `notes`; the text is returned unchanged."""
    report = StepReport("flag_mojibake")
    spots = find_mojibake(text)
    report.changes = 0
    for s, e in spots[:50]:
        line = text.count("\n", 0, s) + 1
        report.notes.append(f"possible mojibake, paragraph {line}: {text[max(0, s - 4) : e + 4]!r}")
    if len(spots) > 50:
        report.notes.append(f"... and {len(spots) - 50} more")
    return text, report


# ---------------------------------------------------------------------------------------

STEPS: tuple[Step, ...] = (
    normalize_newlines,
    drop_invisible,
    map_width,
    map_radicals,
    drop_page_furniture,
    drop_letterhead,
    join_lines,
    strip_pinyin,
    strip_markdown,
    flag_mojibake,
)
MAPPING_STEPS = frozenset({"map_width", "map_radicals"})

# For the steps run on many short blocks (spreadsheet answers): a step changes nothing, lists
# nothing and returns its input (``join_lines``: stripped) in a text without any of these
# characters. No step adds a character another step looks for (they delete, map to ASCII
# letters and digits or to ideographs, or turn line breaks into LF), so a batch without
# them never needs the step. Kept next to the steps: a step that looks for more must say so here.
NEEDS: dict[str, re.Pattern[str]] = {
    "normalize_newlines": re.compile("[\r\v\x85\u2028\u2029\f]"),
    "drop_invisible": _INVISIBLE,
    "map_width": _WIDTH_RE,
    "map_radicals": _RADICAL_RE,
    "join_lines": re.compile("[\n\r\v\x85\u2028\u2029\f]"),
    "strip_pinyin": re.compile("[()（）]"),
    "strip_markdown": re.compile("[#*]"),
}


def clean(text: str, *, keep_repeated: bool = False, keep_paragraphs: bool = False) -> tuple[str, list[StepReport]]:
    """Run all steps in order. Mapping before matching (so ２０２１年 patterns match);
    furniture before joining (so a footer mid-sentence leaves the two halves adjacent);
    readings after joining (a reading can be wrapped, `創(chu` / `àng)`, and the page column is
    measured with the readings in place); Markdown after joining (so `##` still marks
    headings while lines are joined); mojibake last (positions in the final text).

    ``keep_repeated`` keeps every repeated line (no running heads are dropped);
    ``keep_paragraphs`` says the lines are a word processor's paragraphs (see `join_lines`)."""
    reports: list[StepReport] = []
    for step in STEPS:
        if step is drop_page_furniture:
            text, report = drop_page_furniture(text, running_heads=not keep_repeated)
        elif step is join_lines:
            text, report = join_lines(text, keep_paragraphs=keep_paragraphs)
        else:
            text, report = step(text)
        reports.append(report)
    return text, reports
