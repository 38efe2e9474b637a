"""Figures a GT paper prints, drawn with matplotlib in a CJK font: saturation, hierarchy, relation model.

Why matplotlib: the figures need Chinese labels, print resolution and PNG/SVG/PDF; a
well-kept plotting library does all three. The font is the system's Noto CJK or
WenQuanYi (Debian: fonts-noto-cjk / fonts-wqy-microhei), found by path or fontconfig;
without one the figure is refused with a line saying which package to install, instead
of printing boxes in place of the labels. SVG keeps text as text so labels stay searchable.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections import Counter
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.analysis.hierarchy import hierarchy
from qcoder.analysis.plots import _label_indices, _words, nice_ticks
from qcoder.analysis.saturation import SaturationCurve, saturation
from qcoder.analysis.table import relation_type_label
from qcoder.errors import QcoderError
from qcoder.store.models import Code, Relation
from qcoder.store.settings import get_setting

FIGURES = ("hierarchy", "relations", "saturation")
FORMATS = ("png", "svg", "pdf")
DPI = 300  # print resolution
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
)
NO_FONT = (
    "no Chinese font found for figures; install one (Debian/Ubuntu: apt-get install fonts-noto-cjk "
    "or fonts-wqy-microhei) and run the command again"
)


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """The font family name matplotlib should use for Chinese labels (registered from its file)."""
    from matplotlib import font_manager

    candidates = [Path(p) for p in FONT_FILES]
    if shutil.which("fc-list"):
        try:
            listed = subprocess.run(
                ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
            candidates += [Path(line.split(":")[0].strip()) for line in listed.splitlines() if line.strip()]
        except (OSError, subprocess.SubprocessError):
            pass
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return str(font_manager.FontProperties(fname=str(path)).get_name())
    raise QcoderError(NO_FONT)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = [cjk_font(), "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    plt.rcParams["svg.fonttype"] = "none"  # labels stay text in SVG
    plt.rcParams["pdf.fonttype"] = 42
    return plt


def _save(fig: Any, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise QcoderError(f"figures are written as {', '.join(FORMATS)}; got {fmt!r}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=DPI, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buffer.getvalue()


def _language(session: Session, language: str | None) -> str:
    return language or str(get_setting(session, "language"))


# --------------------------------------------------------------------------- saturation


def saturation_figure(session: Session, fmt: str = "png", language: str | None = None) -> bytes:
    """The saturation curve of the project's concepts (see :func:`draw_saturation`)."""
    curve = saturation(session)
    if language:
        curve = replace(curve, language=language)
    return draw_saturation(curve, fmt)


def draw_saturation(curve: SaturationCurve, fmt: str = "png") -> bytes:
    """New concepts per document (bars), cumulative concepts (line), held-out documents shaded."""
    plt = _pyplot()
    words = _words(curve)
    points = curve.points
    fig, ax = plt.subplots(figsize=(6.3, 3.6))
    xs = list(range(1, len(points) + 1))
    ax.bar(xs, [len(p.new) for p in points], color="#9ecae1", label=words["new"])
    ax.plot(xs, [p.cumulative for p in points], marker="o" if len(xs) <= 40 else None, color="#08519c",
            label=words["total"])  # fmt: skip
    for x, p in zip(xs, points):
        if p.role == "holdout":
            ax.axvspan(x - 0.5, x + 0.5, color="#fdd0a2", alpha=0.5, lw=0)
    if any(p.role == "holdout" for p in points):
        ax.plot([], [], color="#fdd0a2", lw=8, label=words["holdout"])
    shown = _label_indices(len(points), max(1, -(-len(points) // 16)))
    ax.set_xticks([xs[i] for i in shown], [points[i].label for i in shown])
    ax.set_yticks(nice_ticks(curve.total))
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    ax.set_title(words["title"])
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _save(fig, fmt)


# --------------------------------------------------------------------------- hierarchy


def hierarchy_figure(session: Session, fmt: str = "png", language: str | None = None) -> bytes:
    """The coding tree by level, left (concepts) to right (core category), with the count chain as title."""
    plt = _pyplot()
    lang = _language(session, language)
    h = replace(hierarchy(session), language=lang)
    by_level: dict[int, list[Any]] = {}
    for code in h.codes:
        by_level.setdefault(code.level, []).append(code)
    ranks = sorted(by_level)
    tallest = max((len(v) for v in by_level.values()), default=1)
    fig, ax = plt.subplots(figsize=(2.4 * max(len(ranks), 1) + 1, max(3.0, 0.28 * tallest + 1)))
    position: dict[int, tuple[float, float]] = {}
    for column, rank in enumerate(ranks):
        codes = by_level[rank]
        for row, code in enumerate(codes):
            y = (row + 0.5) / len(codes)
            position[code.id] = (column, y)
    for code in h.codes:
        if code.parent_id in position and code.id in position:
            (x0, y0), (x1, y1) = position[code.id], position[code.parent_id]
            ax.plot([x0 + 0.08, x1 - 0.08], [y0, y1], color="#9e9e9e", lw=0.6, zorder=1)
    size = 9 if tallest <= 20 else 7 if tallest <= 40 else 5
    for code in h.codes:
        if code.id in position:
            x, y = position[code.id]
            text = f"{code.name} ({code.statements})"
            ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=2,
                    bbox={"boxstyle": "round,pad=0.25", "fc": "#f7fbff", "ec": "#6baed6", "lw": 0.6})  # fmt: skip
    names = {lv.rank: (lv.name if lang == "zh" else lv.name_en) for lv in h.levels}
    counts = {lv.rank: lv.codes for lv in h.levels}
    for column, rank in enumerate(ranks):
        ax.text(column, 1.04, f"{names.get(rank, rank)}（{counts.get(rank, 0)}）" if lang == "zh"
                else f"{names.get(rank, rank)} ({counts.get(rank, 0)})", ha="center", va="bottom",
                fontsize=10, color="#08306b")  # fmt: skip
    ax.set_xlim(-0.6, max(len(ranks) - 1, 0) + 0.6)
    ax.set_ylim(-0.02, 1.1)
    ax.axis("off")
    ax.set_title(h.chain(), fontsize=10, pad=18)
    return _save(fig, fmt)


# --------------------------------------------------------------------------- relation model

# where the paradigm model places a category relative to the phenomenon (column, row)
_SLOTS = {"causal": (-1, 0), "condition": (-1, 0), "context": (0, 1), "intervening": (0, -1), "strategy": (1, 0)}


def paradigm_layout(edges: list[tuple[int, int, str]]) -> tuple[int | None, dict[int, tuple[float, float]]]:
    """Positions for the codes in the relations: the phenomenon in the middle, causal conditions left,
    context above, intervening conditions below, strategies right, consequences further right.

    The phenomenon is the code most relations point to with a paradigm role. A relation's source
    plays its type's role toward the target; a consequence relation's target is the consequence.
    """
    roles = Counter(t for s, t, typ in edges if typ in _SLOTS)
    nodes = list(dict.fromkeys([n for s, t, _ in edges for n in (s, t)]))
    if not nodes:
        return None, {}
    phenomenon = roles.most_common(1)[0][0] if roles else Counter(t for _, t, _ in edges).most_common(1)[0][0]
    slot: dict[int, tuple[int, int]] = {phenomenon: (0, 0)}
    for s, t, typ in edges:
        if t == phenomenon and typ in _SLOTS and s not in slot:
            slot[s] = _SLOTS[typ]
    for _s, t, typ in edges:
        if typ == "consequence" and t not in slot:
            slot[t] = (2, 0)
    rest = [n for n in nodes if n not in slot]
    for i, n in enumerate(rest):
        slot[n] = (i - len(rest) // 2, -2)
    grouped: dict[tuple[int, int], list[int]] = {}
    for n in nodes:
        grouped.setdefault(slot[n], []).append(n)
    layout: dict[int, tuple[float, float]] = {}
    for (col, row), members in grouped.items():
        for i, n in enumerate(members):
            layout[n] = (col * 2.6, row * 1.6 + (i - (len(members) - 1) / 2) * 0.55)
    return phenomenon, layout


def relations_figure(session: Session, fmt: str = "png", language: str | None = None) -> bytes:
    """The axial relation model: categories with typed, labelled arrows, placed as the paradigm model does."""
    plt = _pyplot()
    from matplotlib.patches import FancyArrowPatch

    lang = _language(session, language)
    rows = session.execute(select(Relation.source_id, Relation.target_id, Relation.type)).all()
    edges = [(int(s), int(t), str(typ)) for s, t, typ in rows]
    names = {int(i): str(n) for i, n in session.execute(select(Code.id, Code.name))}
    phenomenon, layout = paradigm_layout(edges)
    fig, ax = plt.subplots(figsize=(8, 5))
    if not edges:
        ax.text(0.5, 0.5, "尚无范畴间关系" if lang == "zh" else "no relations yet", ha="center", va="center")
    for s, t, typ in edges:
        (x0, y0), (x1, y1) = layout[s], layout[t]
        bend = 0.35 if abs(x1 - x0) > 3 else 0.08  # a long arrow arcs around the boxes between its ends
        arrow = FancyArrowPatch((x0, y0), (x1, y1), arrowstyle="-|>", mutation_scale=12, lw=1.0, color="#525252",
                                shrinkA=28, shrinkB=28, connectionstyle=f"arc3,rad={bend}")  # fmt: skip
        ax.add_patch(arrow)
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12 - bend * abs(x1 - x0) / 2, relation_type_label(typ, lang), fontsize=7, color="#b2182b",
                ha="center", va="center", bbox={"fc": "white", "ec": "none", "pad": 0.5})  # fmt: skip
    for node, (x, y) in layout.items():
        core = node == phenomenon
        ax.text(x, y, names.get(node, str(node)), ha="center", va="center", fontsize=10 if core else 9,
                bbox={"boxstyle": "round,pad=0.4", "fc": "#fee0d2" if core else "#f7fbff",
                      "ec": "#cb181d" if core else "#6baed6"})  # fmt: skip
    if layout:
        xs = [p[0] for p in layout.values()]
        ys = [p[1] for p in layout.values()]
        ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
        ax.set_ylim(min(ys) - 1.0, max(ys) + 1.0)
    ax.axis("off")
    ax.set_title("主轴编码：范式模型" if lang == "zh" else "Axial coding: the paradigm model")
    return _save(fig, fmt)


def figure(session: Session, kind: str, fmt: str = "png", language: str | None = None) -> bytes:
    """``qcoder report figure KIND -o FILE``: one of :data:`FIGURES` as png, svg or pdf."""
    if kind not in FIGURES:
        raise QcoderError(f"unknown figure {kind!r}; use one of: {', '.join(FIGURES)}")
    if fmt not in FORMATS:
        raise QcoderError(f"figures are written as {', '.join(FORMATS)}; got {fmt!r}")
    draw = {"hierarchy": hierarchy_figure, "relations": relations_figure, "saturation": saturation_figure}[kind]
    return draw(session, fmt, language)


def figure_captions(session: Session, language: str) -> dict[str, bytes]:
    """PNG figures for the methods section, keyed by their caption (none when no CJK font is installed)."""
    zh = language == "zh"
    try:
        cjk_font()
    except QcoderError:
        return {}
    return {
        ("图1 编码层级结构" if zh else "Figure 1. Coding hierarchy"): hierarchy_figure(session, "png", language),
        ("图2 主轴编码关系模型" if zh else "Figure 2. Axial relation model"): relations_figure(
            session, "png", language
        ),
        ("图3 理论饱和度曲线" if zh else "Figure 3. Saturation curve"): saturation_figure(session, "png", language),
    }
