"""PDF → blocks, by the position of every character (pypdfium2, PDFium's text layer).

Why pypdfium2 and not pdfplumber: on the generated Chinese PDFs (bench/bench_readers.py) PDFium reads
200 pages many times faster (C, not pure Python), keeps characters pdfminer drops (`‧` in STSong), and
reports each character's rotation, so a diagonal watermark is one recognisable line instead of single
characters that pdfplumber's line builder mixes into the body text (`精神意慰藉`).

What the reader does with the characters, page by page:
- groups them into lines by baseline, splits lines at wide gaps and finds a column gutter, so a
  two-column page is read column by column (a full-width title above the columns stays first);
- drops page furniture by position and repetition — a line in the top or bottom margin that recurs on
  half the pages or more (digits and Roman numerals ignored), a page number (`3`, `- 3 -`, `第 3 页`,
  `Ⅲ`, `iii`, `3 / 10`), a rotated or mid-page line that recurs on half the pages (a watermark) — and
  lists every dropped line in `removed`;
- joins the lines of a paragraph: same column, no paragraph gap, no first-line indent, no short line
  before; Latin words with a space, a word hyphenated at the line end made whole again; spaces between
  two CJK characters (justified `引 用 文 件`) closed up;
- a larger font than the body text is a heading; heading levels follow the sizes.
Every block carries the page it starts on (statement attribute "page").
"""

from __future__ import annotations

import bisect
import ctypes
import itertools
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.types import ImportRefused, PipelineOptions, StepReport

_BAND = 0.09  # top and bottom share of the page height where running heads and page numbers live
_CJK_CLASS = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f"  # CJK and full-width forms
_CJK_RE = re.compile(f"[{_CJK_CLASS}]")
_CJK_SPACE = re.compile(f"(?<=[{_CJK_CLASS}]) (?=[{_CJK_CLASS}])")
_ROMAN = "ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ"
_PAGE_NUMBER = re.compile(
    rf"^(?:(?:page|p\.)\s*)?(?:第\s*)?[-—–·•\s]*(?:\d+|[{_ROMAN}]+|[ivxlcdm]+|[IVXLCDM]+)"
    rf"(?:\s*(?:/|of|共)\s*\d+)?\s*(?:页|頁)?[-—–·•\s]*$",
    re.IGNORECASE,
)
_NUMERALS = re.compile(rf"\d+|[{_ROMAN}]+")


@dataclass
class _Line:
    """One line (or one column's part of a line) of one page."""

    chars: list[tuple[str, float, float, float]]  # (character, left, right, font size) sorted by left
    y: float  # baseline
    size: float
    page: int  # 1-based
    rotated: bool = False
    col: int = 0  # 0 = single/left column, 1 = right column, -1 = full width
    text: str = ""
    x0: float = 0.0
    x1: float = 0.0

    def finish(self) -> _Line:
        if not self.rotated:  # rotated text (a watermark) keeps the order it was written in
            self.chars.sort(key=lambda c: c[1])
        self.x0 = min(c[1] for c in self.chars)
        self.x1 = max(c[2] for c in self.chars)
        if not self.rotated:
            self.size = statistics.median(c[3] for c in self.chars if not c[0].isspace())
        self.text = _line_text(self.chars, self.size) if not self.rotated else "".join(c[0] for c in self.chars).strip()
        return self


@dataclass
class _Page:
    number: int
    width: float
    height: float
    lines: list[_Line] = field(default_factory=list)  # in reading order after `_order`


def _is_cjk(ch: str) -> bool:
    return bool(_CJK_RE.match(ch))


def _line_text(chars: list[tuple[str, float, float, float]], size: float) -> str:
    """Characters of one line → text: a space where Latin words stand apart, none between CJK characters."""
    out: list[str] = []
    prev: tuple[str, float, float] | None = None
    for ch, left, right, _size in chars:
        if ch.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            prev = (ch, left, right)
            continue
        apart = prev is not None and not prev[0].isspace() and left - prev[2] > 0.25 * size
        if apart and out and out[-1] != " " and prev is not None and not (_is_cjk(ch) or _is_cjk(prev[0])):
            out.append(" ")
        out.append(ch)
        prev = (ch, left, right)
    text = "".join(out).strip()
    # close up spaces between two CJK characters (justified or spaced-out headings: 引 用 文 件)
    return _CJK_SPACE.sub("", text)


def _open(raw: bytes) -> object:
    import pypdfium2 as pdfium

    if not raw:
        raise ImportRefused("the file is empty; nothing to import")
    try:
        return pdfium.PdfDocument(raw)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise ImportRefused("this PDF is password-protected; save an unprotected copy and import that") from None
        from qcoder.corpus.pipeline import supported

        raise ImportRefused(
            f"this file is not a readable PDF ({exc}); save it again from a PDF viewer, "
            f"or save its text in one of the types qcoder reads: {', '.join(supported())}"
        ) from None


def _page_chars(page: object, number: int) -> tuple[_Page, int, int]:
    """Lines of one page, the number of visible characters, and of characters without Unicode."""
    import pypdfium2.raw as c

    width, height = page.get_size()  # type: ignore[attr-defined]
    tp = page.get_textpage()  # type: ignore[attr-defined]
    raw = tp.raw
    n = c.FPDFText_CountChars(raw)
    text = tp.get_text_range(0, n) if n else ""
    if len(text) != n:  # surrogate pairs or unmapped codes: ask character by character
        text = "".join(chr(c.FPDFText_GetUnicode(raw, i) or 0xFFFD) for i in range(n))
    matrix = c.FS_MATRIX()
    left, right, bottom, top = ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    pm, pl, pr, pb, pt = ctypes.byref(matrix), *(ctypes.byref(v) for v in (left, right, bottom, top))
    horizontal: list[tuple[float, str, float, float, float]] = []
    rotated: list[tuple[str, float, float, float]] = []
    visible = unmapped = 0
    for i, ch in enumerate(text):
        if ch.isspace():
            if c.FPDFText_IsGenerated(raw, i):  # spaces and line breaks PDFium adds: lines are rebuilt below
                continue
        elif ch in "\x02\ufffe":  # PDFium's mark for a hyphen at the end of a line: the hyphen drawn there
            ch = "-"
        elif ch in "\x00\ufffd":
            unmapped += 1
            continue
        if not ch.isspace():
            visible += 1
        c.FPDFText_GetMatrix(raw, i, pm)  # origin (e, f) and rotation (a, b)
        c.FPDFText_GetCharBox(raw, i, pl, pr, pb, pt)
        size = c.FPDFText_GetFontSize(raw, i) or 10.0
        if abs(matrix.b) > 0.01 * max(abs(matrix.a), 1e-9):
            rotated.append((ch, left.value, right.value, size))
            continue
        horizontal.append((matrix.f, ch, left.value, max(right.value, left.value), size))
    tp.close()
    result = _Page(number, width, height)
    horizontal.sort(key=lambda t: (-t[0], t[2]))
    current: list[tuple[float, str, float, float, float]] = []
    for item in horizontal:
        if current and abs(current[0][0] - item[0]) > 0.4 * max(current[0][4], item[4]):
            result.lines.extend(_segments(current, number))
            current = []
        current.append(item)
    if current:
        result.lines.extend(_segments(current, number))
    if rotated and any(not r[0].isspace() for r in rotated):
        result.lines.append(_Line(rotated, y=height / 2, size=0.0, page=number, rotated=True).finish())
    return result, visible, unmapped


def _segments(items: list[tuple[float, str, float, float, float]], page: int) -> list[_Line]:
    """One baseline's characters, split where a gap is wider than two characters (a column gutter)."""
    items.sort(key=lambda t: t[2])
    baseline = statistics.median(t[0] for t in items)
    out: list[_Line] = []
    group: list[tuple[float, str, float, float, float]] = []

    def close() -> None:
        if any(not t[1].isspace() for t in group):
            out.append(_Line([(t[1], t[2], t[3], t[4]) for t in group], baseline, 0.0, page).finish())

    last_right: float | None = None
    for item in items:
        if last_right is not None and group and item[2] - last_right > 1.5 * item[4]:
            close()
            group = []
        group.append(item)
        if not item[1].isspace():
            last_right = item[3]
    if group:
        close()
    return out


def _key(text: str) -> str:
    """A line's identity across pages: numbers (page, issue) and spacing ignored."""
    return _NUMERALS.sub("#", "".join(text.split()))


def _furniture(pages: list[_Page]) -> tuple[set[int], list[str]]:
    """ids of furniture lines and their texts, in page order."""
    sizes = Counter(round(ln.size) for page in pages for ln in page.lines if not ln.rotated for _ in ln.text)
    body = sizes.most_common(1)[0][0] if sizes else 0
    in_band: dict[int, bool] = {}
    key_pages: dict[str, set[int]] = defaultdict(set)
    key_spots: dict[tuple[str, int], set[int]] = defaultdict(set)
    for page in pages:
        for line in page.lines:
            band = line.y > page.height * (1 - _BAND) or line.y < page.height * _BAND
            in_band[id(line)] = band
            k = _key(line.text)
            key_pages[k].add(page.number)
            key_spots[(k, round(line.y / 3))].add(page.number)
    need = max(2, (len(pages) + 1) // 2)
    dropped: set[int] = set()
    texts: list[str] = []
    for page in pages:
        for line in page.lines:
            k = _key(line.text)
            if in_band[id(line)]:
                drop = bool(_PAGE_NUMBER.match(line.text.strip())) or (len(pages) > 1 and len(key_pages[k]) >= need)
            elif line.rotated:
                drop = len(pages) > 1 and len(key_pages[k]) >= need
            else:  # mid-page: large text at the same height on half the pages (a horizontal watermark)
                spots = key_spots[(k, round(line.y / 3))]
                drop = len(pages) > 2 and line.size >= 1.5 * body and len(spots) >= need
            if drop:
                dropped.add(id(line))
                texts.append(line.text)
    return dropped, texts


def _order(page: _Page, body: list[_Line]) -> list[_Line]:
    """Reading order: bands of full-width lines and, between them, the left column before the right."""
    if not body:
        return []
    width = page.width
    lo, hi = int(width * 0.3), int(width * 0.7)
    best = 0
    good: list[int] = []
    x0s = sorted(ln.x0 for ln in body)
    x1s = sorted(ln.x1 for ln in body)
    # the gutter: x positions that few lines cross, with most lines on both sides; its middle is used
    for gx in range(lo, hi, 2):
        left = bisect.bisect_right(x1s, gx)  # lines ending before gx
        right = len(x0s) - bisect.bisect_left(x0s, gx)  # lines starting after gx
        crossing = len(body) - left - right
        if crossing <= max(1, len(body) // 10) and left >= 3 and right >= 3:
            score = min(left, right)
            if score > best:
                best, good = score, [gx]
            elif score == best and good and gx == good[-1] + 2:
                good.append(gx)
    if not good:
        for ln in body:
            ln.col = 0
        return sorted(body, key=lambda ln: (-ln.y, ln.x0))
    gutter = (good[0] + good[-1]) / 2
    split: list[_Line] = []
    for ln in body:
        split.extend(_split_at(ln, gutter))
    body = split
    for ln in body:  # hanging punctuation may reach a little into the gutter
        crossing = ln.x0 < gutter - ln.size and ln.x1 > gutter + ln.size
        ln.col = -1 if crossing else 0 if (ln.x0 + ln.x1) / 2 < gutter else 1
    ordered: list[_Line] = []
    band: list[_Line] = []
    for ln in sorted(body, key=lambda ln: (-ln.y, ln.x0)):
        if ln.col == -1:
            ordered.extend(sorted(band, key=lambda b: (b.col, -b.y, b.x0)))
            band = []
            ordered.append(ln)
        else:
            band.append(ln)
    ordered.extend(sorted(band, key=lambda b: (b.col, -b.y, b.x0)))
    return ordered


def _split_at(line: _Line, gutter: float) -> list[_Line]:
    """A line crossing the gutter with a gap there (hanging punctuation closed it up) is two lines."""
    if not (line.x0 < gutter < line.x1):
        return [line]
    chars = line.chars
    for i in range(len(chars) - 1):
        a, b = chars[i], chars[i + 1]
        if a[1] < gutter <= b[1] and b[1] - a[2] > 0.3 * line.size:
            left = _Line(chars[: i + 1], line.y, line.size, line.page).finish()
            right = _Line(chars[i + 1 :], line.y, line.size, line.page).finish()
            return [part for part in (left, right) if part.text]
    return [line]


def _merge_same_baseline(lines: list[_Line]) -> list[_Line]:
    """Parts of one baseline in the same column (split at a wide gap) become one line again."""
    out: list[_Line] = []
    for ln in lines:
        prev = out[-1] if out else None
        if prev and prev.page == ln.page and prev.col == ln.col and abs(prev.y - ln.y) < 0.4 * max(prev.size, ln.size):
            prev.chars.extend(ln.chars)
            prev.finish()
            continue
        out.append(ln)
    return out


def _glue(a: str, b: str, hyphens: StepReport) -> str:
    """Join two lines of one paragraph: CJK directly, Latin with a space, a hyphenated word made whole."""
    if not a:
        return b
    if not b:
        return a
    if len(a) >= 2 and a[-1] == "-" and a[-2].isalpha() and a[-2].isascii() and b[0].islower():
        hyphens.changes += 1
        hyphens.removed.append("-")
        return a[:-1] + b
    if (a[-1].isascii() and not a[-1].isspace()) and (b[0].isascii() and b[0].isalnum()):
        return a + " " + b
    return a + b


def _blocks(lines: list[_Line], hyphens: StepReport) -> list[Block]:
    """Paragraphs and headings from lines in reading order."""
    if not lines:
        return []
    sizes = Counter(round(ln.size) for ln in lines for _ in ln.text)
    body = sizes.most_common(1)[0][0]
    heading_sizes = sorted({round(ln.size) for ln in lines if ln.size > body * 1.12}, reverse=True)
    level = {s: i + 1 for i, s in enumerate(heading_sizes)}
    # column edges per (page, column), and the usual distance between two lines of a paragraph
    edges: dict[tuple[int, int], tuple[float, float]] = {}
    for ln in lines:
        lo, hi = edges.get((ln.page, ln.col), (ln.x0, ln.x1))
        edges[(ln.page, ln.col)] = (min(lo, ln.x0), max(hi, ln.x1))
    pitches = [
        a.y - b.y
        for a, b in itertools.pairwise(lines)
        if a.page == b.page and a.col == b.col and round(a.size) == round(b.size) == body and a.y > b.y
    ]
    pitch = statistics.median(pitches) if pitches else body * 1.5
    blocks: list[Block] = []
    parts: list[str] = []
    start: _Line | None = None
    prev: _Line | None = None

    def flush() -> None:
        if not parts or start is None:
            return
        text = parts[0]
        for p in parts[1:]:
            text = _glue(text, p, hyphens)
        size = round(start.size)
        if size in level:
            blocks.append(Block(text, kind="heading", level=level[size], attributes={"page": str(start.page)}))
        else:
            blocks.append(Block(text, attributes={"page": str(start.page)}))
        parts.clear()

    for ln in lines:
        new = prev is None
        if prev is not None:
            lo, hi = edges[(ln.page, ln.col)]
            _plo, phi = edges[(prev.page, prev.col)]
            heading = round(ln.size) in level or round(prev.size) in level
            if heading:
                new = round(ln.size) != round(prev.size) or prev.page != ln.page or prev.y - ln.y > pitch * 1.6
            else:
                same_flow = prev.page == ln.page and prev.col == ln.col
                gap = same_flow and prev.y - ln.y > pitch * 1.35
                indented = ln.x0 > lo + 0.8 * ln.size
                short = prev.x1 < phi - 1.5 * prev.size
                new = gap or indented or short or ln.rotated or prev.rotated or (same_flow and ln.y > prev.y)
        if new:
            flush()
            start = ln
        parts.append(ln.text)
        prev = ln
    flush()
    return blocks


def read_pdf(raw: bytes, options: PipelineOptions = PipelineOptions()) -> list[StructuredSource]:
    """One PDF → one structured source (page furniture removed and listed; scans refused)."""
    import pypdfium2 as pdfium

    doc = _open(raw)
    pages: list[_Page] = []
    visible = unmapped = 0
    empty_pages: list[int] = []
    try:
        for i in range(len(doc)):  # type: ignore[arg-type]
            page = doc[i]  # type: ignore[index]
            parsed, v, u = _page_chars(page, i + 1)
            page.close()
            pages.append(parsed)
            visible += v
            unmapped += u
            if not v:
                empty_pages.append(i + 1)
    finally:
        doc.close()  # type: ignore[attr-defined]
    if not visible:
        what = "its characters have no Unicode mapping" if unmapped else "it has no text layer (a scan?)"
        raise ImportRefused(
            f"cannot read text from this PDF: {what}; run OCR on it first (e.g. ocrmypdf) and import the result"
        )
    if unmapped > visible:
        raise ImportRefused(
            f"this PDF's fonts do not say which characters they draw ({unmapped:,} of {unmapped + visible:,} "
            "unreadable); run OCR on it (e.g. ocrmypdf --force-ocr) and import the result"
        )
    dropped, furniture_texts = _furniture(pages)
    lines: list[_Line] = []
    for page in pages:
        kept = [ln for ln in page.lines if id(ln) not in dropped]
        rotated = [ln for ln in kept if ln.rotated]
        lines.extend(_merge_same_baseline(_order(page, [ln for ln in kept if not ln.rotated])))
        lines.extend(rotated)
    hyphens = StepReport("pdf_hyphenation")
    blocks = _blocks([ln for ln in lines if ln.text], hyphens)
    furniture = StepReport("drop_page_furniture", changes=len(furniture_texts), removed=furniture_texts)
    notes: list[str] = []
    if empty_pages:
        shown = ", ".join(map(str, empty_pages[:10])) + (" …" if len(empty_pages) > 10 else "")
        notes.append(f"pages without a text layer (scanned?), nothing read from them: {shown}")
    if unmapped:
        notes.append(f"{unmapped:,} characters without a Unicode mapping in the PDF's fonts were skipped")
    removed = [r for r in (furniture, hyphens) if r.changes]
    return [
        StructuredSource(
            blocks=blocks,
            reader=f"pdf (pypdfium2 {pdfium.PYPDFIUM_INFO.version}, {len(pages)} pages)",
            removed=removed,
            notes=notes,
            read_chars=visible,
        )
    ]


def pdf_text(raw: bytes) -> str:
    """The PDF's text as the PDF reader cuts it (furniture removed), blocks separated by a blank line.

    For a PDF source inside a REFI-QDA project, which then goes through the text import."""
    return "\n\n".join(block.text for source in read_pdf(raw) for block in source.blocks)
