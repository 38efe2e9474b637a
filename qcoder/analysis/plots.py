"""The saturation curve as SVG, PNG and plain text, with no plotting library.

Why hand-drawn: the curve (new concepts per document as bars, cumulative concepts as a line,
held-out documents shaded) is simple enough that matplotlib would be a heavy dependency for
one figure. The SVG is the paper-quality version (Chinese labels, editable in Inkscape or
Illustrator); the PNG is a quick raster with numeric labels only; the text plot is for the
terminal.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

from qcoder.analysis.raster import Canvas
from qcoder.analysis.saturation import SaturationCurve

BAR = "#9ECAE1"
LINE = "#08519C"
HOLDOUT = "#EEEEEE"
AXIS = "#333333"
FONT = "SimSun, 'Songti SC', 'Noto Serif CJK SC', 'Times New Roman', serif"


def nice_ticks(top: int, most: int = 6) -> list[int]:
    """0, step, 2·step … ≥ top with step 1, 2 or 5 × 10^k and at most ``most`` + 1 ticks."""
    top = max(top, 1)
    step = 1
    for magnitude in range(0, 12):
        for base in (1, 2, 5):
            step = base * 10**magnitude
            if math.ceil(top / step) <= most:
                return list(range(0, math.ceil(top / step) * step + 1, step))
    return [0, top]


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


@dataclass(frozen=True)
class _Frame:
    """Where things go: shared by the SVG and the PNG so both draw the same figure."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    n: int
    y_max: int

    @property
    def band(self) -> float:
        return (self.width - self.left - self.right) / max(self.n, 1)

    def x(self, i: int) -> float:
        return self.left + (i + 0.5) * self.band

    def y(self, value: float) -> float:
        return self.height - self.bottom - value / self.y_max * (self.height - self.top - self.bottom)

    def label_every(self, room: float) -> int:
        return max(1, math.ceil(room / max(self.band, 1e-9)))


def _label_indices(n: int, every: int) -> list[int]:
    """Every ``every``-th document, and the last one instead of a neighbour too close to it."""
    chosen = list(range(0, n, every))
    if chosen and chosen[-1] != n - 1:
        if n - 1 - chosen[-1] < every and len(chosen) > 1:
            chosen.pop()
        chosen.append(n - 1)
    return chosen


def _frame(curve: SaturationCurve, width: int, height: int, left: int = 56, bottom: int = 64) -> _Frame:
    ticks = nice_ticks(curve.total)
    return _Frame(width, height, left, 24, 48, bottom, len(curve.points), ticks[-1])


def _words(curve: SaturationCurve) -> dict[str, str]:
    zh = curve.language == "zh"
    by = "首次编码顺序" if curve.order == "coding" else "导入顺序"
    by_en = "order of first coding" if curve.order == "coding" else "import order"
    return {
        "title": f"{curve.level_name}饱和度曲线" if zh else f"Saturation curve ({curve.level_name})",
        "x": f"文档（按{by}）" if zh else f"documents ({by_en})",
        "y": f"{curve.level_name}数" if zh else f"{curve.level_name}s",
        "new": f"新增{curve.level_name}" if zh else f"new {curve.level_name}s",
        "total": f"累计{curve.level_name}" if zh else f"cumulative {curve.level_name}s",
        "holdout": "留存文档" if zh else "held-out documents",
    }


def saturation_svg(curve: SaturationCurve, *, width: int = 720, height: int = 400) -> str:
    """SVG: bars of new concepts, polyline of cumulative concepts, held-out documents shaded."""
    f = _frame(curve, width, height)
    words = _words(curve)
    base = f.y(0)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{escape(FONT)}" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2:.1f}" y="24" text-anchor="middle" font-size="15">{escape(words["title"])}</text>',
    ]
    for i, p in enumerate(curve.points):
        if p.role == "holdout":
            out.append(
                f'<rect class="holdout" x="{f.x(i) - f.band / 2:.1f}" y="{f.top}" width="{f.band:.1f}" '
                f'height="{base - f.top:.1f}" fill="{HOLDOUT}"/>'
            )
    for tick in nice_ticks(curve.total):
        y = f.y(tick)
        out.append(f'<line x1="{f.left}" y1="{y:.1f}" x2="{width - f.right}" y2="{y:.1f}" stroke="#DDDDDD"/>')
        out.append(f'<text x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
    for i, p in enumerate(curve.points):
        if p.new_count:
            top = f.y(p.new_count)
            out.append(
                f'<rect class="new" x="{f.x(i) - f.band * 0.3:.1f}" y="{top:.1f}" width="{f.band * 0.6:.1f}" '
                f'height="{base - top:.1f}" fill="{BAR}"><title>{escape(p.label)}: {p.new_count}</title></rect>'
            )
    if curve.points:
        coords = " ".join(f"{f.x(i):.1f},{f.y(p.cumulative):.1f}" for i, p in enumerate(curve.points))
        out.append(f'<polyline class="cumulative" points="{coords}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        if f.n <= 80:
            out.extend(
                f'<circle cx="{f.x(i):.1f}" cy="{f.y(p.cumulative):.1f}" r="2.5" fill="{LINE}"/>'
                for i, p in enumerate(curve.points)
            )
    out.append(f'<line x1="{f.left}" y1="{base:.1f}" x2="{width - f.right}" y2="{base:.1f}" stroke="{AXIS}"/>')
    out.append(f'<line x1="{f.left}" y1="{f.top}" x2="{f.left}" y2="{base:.1f}" stroke="{AXIS}"/>')
    for i in _label_indices(f.n, f.label_every(14)):
        x, y = f.x(i), base + 12
        out.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="end" font-size="10" '
            f'transform="rotate(-45 {x:.1f} {y:.1f})">{escape(curve.points[i].label)}</text>'
        )
    out.append(
        f'<text x="{(f.left + width - f.right) / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{escape(words['x'])}</text>"
    )
    out.append(
        f'<text x="14" y="{(f.top + base) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(f.top + base) / 2:.1f})">{escape(words["y"])}</text>'
    )
    legend = [("rect", BAR, words["new"]), ("line", LINE, words["total"])]
    if any(p.role == "holdout" for p in curve.points):
        legend.append(("rect", HOLDOUT, words["holdout"]))
    # bottom right: once a curve saturates, its late bars are low and its line is high
    lx = width - f.right - 150
    for k, (shape, colour, text) in enumerate(legend):
        y = base - 8 - (len(legend) - k) * 16
        if shape == "rect":
            out.append(f'<rect x="{lx}" y="{y}" width="14" height="10" fill="{colour}" stroke="#999999"/>')
        else:
            out.append(f'<line x1="{lx}" y1="{y + 5}" x2="{lx + 14}" y2="{y + 5}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{lx + 20}" y="{y + 9}">{escape(text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def saturation_png(curve: SaturationCurve, *, width: int = 800, height: int = 450) -> bytes:
    """The same figure as a PNG (numeric and ASCII labels only: NEW, TOTAL, HOLDOUT)."""
    f = _frame(curve, width, height, left=48, bottom=40)
    canvas = Canvas(width, height)
    base = round(f.y(0))
    for i, p in enumerate(curve.points):
        if p.role == "holdout":
            canvas.rect(round(f.x(i) - f.band / 2), f.top, round(f.x(i) + f.band / 2) - 1, base, _hex(HOLDOUT))
    for tick in nice_ticks(curve.total):
        y = round(f.y(tick))
        canvas.line(f.left, y, width - f.right, y, (221, 221, 221))
        label = str(tick)
        canvas.text(f.left - 6 - Canvas.text_width(label, 2), y - 7, label, _hex(AXIS), scale=2)
    for i, p in enumerate(curve.points):
        if p.new_count:
            canvas.rect(
                round(f.x(i) - f.band * 0.3), round(f.y(p.new_count)), round(f.x(i) + f.band * 0.3), base, _hex(BAR)
            )
    points = [(round(f.x(i)), round(f.y(p.cumulative))) for i, p in enumerate(curve.points)]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        canvas.line(x0, y0, x1, y1, _hex(LINE), thickness=3)
    for x, y in points:
        canvas.rect(x - 2, y - 2, x + 2, y + 2, _hex(LINE))
    canvas.line(f.left, base, width - f.right, base, _hex(AXIS), thickness=2)
    canvas.line(f.left, f.top, f.left, base, _hex(AXIS), thickness=2)
    for i in _label_indices(f.n, f.label_every(Canvas.text_width("D000", 1) + 6)):
        label = curve.points[i].label[:6]
        canvas.text(round(f.x(i) - Canvas.text_width(label) / 2), base + 8, label, _hex(AXIS))
    x = f.left + 10
    for colour, text in ((BAR, "NEW"), (LINE, "TOTAL")) + (
        ((HOLDOUT, "HOLDOUT"),) if any(p.role == "holdout" for p in curve.points) else ()
    ):
        canvas.rect(x, 12, x + 14, 24, _hex(colour))
        x += 20 + canvas.text(x + 20, 12, text, _hex(AXIS), scale=2) + 16
    return canvas.png()


def text_plot(curve: SaturationCurve, *, width: int = 60, height: int = 10) -> list[str]:
    """Lines of a terminal plot: ``#`` bars of new concepts, ``*`` cumulative, ``h`` marks held-out."""
    if not curve.points:
        return ["（没有文档）" if curve.language == "zh" else "(no documents)"]
    n = len(curve.points)
    per = math.ceil(n / width)  # documents per column
    groups = [curve.points[i : i + per] for i in range(0, n, per)]
    cells = max(1, min(3, width // len(groups)))
    y_max = max(curve.total, 1)
    news = [sum(p.new_count for p in g) for g in groups]
    totals = [g[-1].cumulative for g in groups]
    label_w = len(str(y_max))
    lines = []
    for row in range(height, 0, -1):
        low = (row - 1) / height * y_max
        high = row / height * y_max
        chars = []
        for new, total in zip(news, totals):
            mark = "*" if low < total <= high or (total == 0 and row == 1) else ("#" if new > low else " ")
            chars.append(mark * cells)
        tick = str(y_max) if row == height else ("0" if row == 1 else "")
        lines.append(f"{tick:>{label_w}} |{''.join(chars)}")
    lines.append(" " * label_w + " +" + "-" * (cells * len(groups)))
    held = "".join(("h" if any(p.role == "holdout" for p in g) else " ") * cells for g in groups)
    if held.strip():
        lines.append(" " * label_w + "  " + held)
    first, last = curve.points[0].label, curve.points[-1].label
    span = cells * len(groups)
    lines.append(" " * label_w + "  " + first + last.rjust(max(span - len(first), len(last) + 1)))
    words = _words(curve)
    lines.append(
        f"# {words['new']}   * {words['total']}"
        + ("   h " + words["holdout"] if held.strip() else "")
        + (
            f"   ({per} 份文档/列)"
            if per > 1 and curve.language == "zh"
            else f"   ({per} documents per column)"
            if per > 1
            else ""
        )
    )
    return lines
