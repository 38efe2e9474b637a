"""The saturation curve as plain text for the terminal, and the helpers the drawn figure shares.

The PNG/SVG/PDF figure is drawn by matplotlib in :mod:`qcoder.analysis.figures` (Chinese
labels in a CJK font, print resolution); this module keeps the text plot, the tick steps,
the thinning of document labels and the figure's words.
"""

from __future__ import annotations

import math

from qcoder.analysis.saturation import SaturationCurve


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


def _label_indices(n: int, every: int) -> list[int]:
    """Every ``every``-th document, and the last one instead of a neighbour too close to it."""
    chosen = list(range(0, n, every))
    if chosen and chosen[-1] != n - 1:
        if n - 1 - chosen[-1] < every and len(chosen) > 1:
            chosen.pop()
        chosen.append(n - 1)
    return chosen


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
