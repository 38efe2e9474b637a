"""The chance-corrected coefficients a methods reviewer asks for beside κ and α.

Why a module of its own: :mod:`agreement_stats` holds the coefficients the reports were
built on; these are the ones that make the "kappa paradox" visible (high percent
agreement, κ near 0 on a rare code) and the ones for ordered categories:

* Scott's π (two coders; Fleiss' κ is its generalisation to more coders),
* Brennan–Prediger's S (= Bennett's S): chance agreement 1/q for q categories,
* Gwet's AC1: chance agreement sum_k π_k (1 − π_k) / (q − 1),
* Fleiss' κ listwise (only the units every coder rated, and how many those were),
* weighted Cohen's κ (Cohen 1968) with linear or quadratic disagreement weights.

The multi-coder forms follow Gwet (2014, *Handbook of Inter-Rater Reliability*, 4th ed.,
ch. 2 and 5) for missing ratings: with r_ik = coders who gave unit i category k and r_i
their total, p_a averages sum_k r_ik (r_ik − 1) / (r_i (r_i − 1)) over the units with
r_i >= 2, and the category shares π_k average r_ik / r_i over the units with r_i >= 1.
With complete data and two coders these are the textbook two-coder formulas.

Input is the (coders, units) float array of :mod:`agreement_stats` (NaN = missing). Every
function returns a :class:`Stat`; an undefined figure has ``value`` None and a reason.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike

from qcoder.analysis.agreement_stats import (
    NO_PAIRS,
    NOT_BOTH,
    ONE_CODER,
    ONE_VALUE,
    FloatArray,
    IntArray,
    Labels,
    Stat,
    _as_matrix,
    _binary_bitsets,
    _binary_histogram,
    _binary_kappa,
    _binary_pair_counts,
    _encode_pair,
    _holsti_stat,
    _no_variation_reason,
    _shape_reason,
    _undefined,
    alpha_from_hist,
    fleiss_from_hist,
    percent_from_hist,
)

Chance = Literal["fleiss", "gwet", "bp"]
Weights = Literal["linear", "quadratic"]
WEIGHTS: tuple[str, ...] = ("linear", "quadratic")
RARE_LOW, RARE_HIGH = 0.05, 0.95  # a code's prevalence outside these makes κ, π and α unstable

_METHODS = {"fleiss": "Fleiss' kappa", "gwet": "Gwet's AC1", "bp": "Brennan-Prediger's S"}


# --------------------------------------------------------------------------- counts per unit


def rating_counts(data: ArrayLike, categories: int | None = None) -> tuple[FloatArray, FloatArray, int]:
    """(profiles x categories) counts r_ik, each profile's number of units, and q.

    0/1 data is summarised by the histogram of (m, k) = (coders with a value, coders with 1):
    one row per occupied cell, so 100,000 statements cost one pass. Other data is one row
    per unit with at least one value. ``categories`` fixes q (a binary code always has q = 2;
    a scale has as many values as it has children, used or not).
    """
    x = _as_matrix(data)
    hist = _binary_histogram(x)
    if hist is not None:
        return _hist_counts(hist, categories)
    present = ~np.isnan(x)
    uniq, inverse = np.unique(x[present], return_inverse=True)
    units = np.broadcast_to(np.arange(x.shape[1]), x.shape)[present]
    counts = np.zeros((x.shape[1], max(uniq.size, 1)))
    np.add.at(counts, (units, inverse), 1.0)
    rated = counts.sum(axis=1) >= 1
    return counts[rated], np.ones(int(rated.sum())), max(uniq.size, categories or 0)


def _hist_counts(hist: IntArray, categories: int | None = None) -> tuple[FloatArray, FloatArray, int]:
    """Rating counts of 0/1 data from its histogram H[m, k]: one row per occupied (m, k) with m >= 1."""
    m, k = np.nonzero(hist)
    keep = m >= 1
    m, k = m[keep], k[keep]
    counts = np.column_stack([m - k, k]).astype(np.float64)
    return counts, hist[m, k].astype(np.float64), max(2, categories or 2)


def chance_corrected(
    counts: FloatArray, weights: FloatArray, q: int, chance: Chance, n_coders: int, method: str = ""
) -> Stat:
    """(p_a − p_e) / (1 − p_e) with Gwet's missing-data p_a and π_k, and the chosen p_e."""
    method = method or _METHODS[chance]
    r = counts.sum(axis=1)
    two = r >= 2
    n_pairable = float(weights[two].sum())
    if n_pairable == 0:
        return _undefined(NO_PAIRS, n_coders=n_coders, method=method)
    agree = (counts[two] * (counts[two] - 1.0)).sum(axis=1) / (r[two] * (r[two] - 1.0))
    p_a = float(weights[two] @ agree) / n_pairable
    rated = r >= 1
    shares = (weights[rated] @ (counts[rated] / r[rated, None])) / float(weights[rated].sum())
    if chance == "fleiss":
        p_e = float(shares @ shares)
    elif chance == "gwet":
        p_e = float(shares @ (1.0 - shares)) / (q - 1) if q > 1 else 1.0
    else:
        p_e = 1.0 / q if q > 0 else 1.0
    parts = (("p_a", p_a), ("p_e", p_e), ("q", float(q)))
    if p_e >= 1.0 - 1e-15:
        used = np.flatnonzero(shares > 0)
        reason = _no_variation_reason(float(used[0]) if used.size == 1 and q == 2 else None)
        return Stat(None, reason, int(n_pairable), n_coders, p_a, p_e, method, parts)
    return Stat((p_a - p_e) / (1.0 - p_e), None, int(n_pairable), n_coders, p_a, p_e, method, parts)


def _stat(data: ArrayLike, chance: Chance, categories: int | None) -> Stat:
    x = _as_matrix(data)
    reason = _shape_reason(x)
    if reason:
        return _undefined(reason, n_coders=x.shape[0], method=_METHODS[chance])
    counts, weights, q = rating_counts(x, categories)
    return chance_corrected(counts, weights, q, chance, x.shape[0])


def gwet_ac1(data: ArrayLike, categories: int | None = None) -> Stat:
    """Gwet's AC1 for any number of coders, missing ratings allowed (Gwet 2008; 2014, ch. 5)."""
    return _stat(data, "gwet", categories)


def brennan_prediger(data: ArrayLike, categories: int | None = None) -> Stat:
    """Brennan–Prediger's S (Bennett, Alpert & Goldstein's S): p_e = 1/q, missing ratings allowed."""
    return _stat(data, "bp", categories)


def fleiss_kappa_listwise(data: ArrayLike) -> Stat:
    """Fleiss' κ on the units every coder rated; ``parts`` says how many were used and left out."""
    x = _as_matrix(data)
    c = x.shape[0]
    method = "Fleiss' kappa (listwise)"
    reason = _shape_reason(x)
    if reason:
        return _undefined(reason, n_coders=c, method=method)
    counts, weights, q = rating_counts(x)
    return _listwise(counts, weights, q, c, int(np.count_nonzero(np.isnan(x).all(axis=0))))


def _listwise(counts: FloatArray, weights: FloatArray, q: int, c: int, unrated: int) -> Stat:
    method = "Fleiss' kappa (listwise)"
    complete = counts.sum(axis=1) == c
    used = float(weights[complete].sum())
    dropped = float(weights.sum()) - used + unrated
    if used == 0:
        reason = f"no statement was rated by all {c} coders"
        return Stat(None, reason, 0, c, method=method, parts=(("used", 0.0), ("dropped", dropped)))
    stat = chance_corrected(counts[complete], weights[complete], q, "fleiss", c, method)
    return Stat(
        stat.value, stat.reason, stat.n_units, c, stat.observed, stat.expected, method,
        (*stat.parts, ("used", used), ("dropped", dropped)),
    )  # fmt: skip


# --------------------------------------------------------------------------- two coders


def scott_pi(a: Labels, b: Labels) -> Stat:
    """Scott's (1955) π for two coders over the units both rated: p_e from the pooled margins."""
    ia, ib, labels = _encode_pair(a, b)
    both = (ia >= 0) & (ib >= 0)
    method = "Scott's pi"
    if not both.any():
        return _undefined(NOT_BOTH, n_coders=2, method=method)
    q = max(len(labels), 1)
    counts = np.zeros((int(both.sum()), q))
    rows = np.arange(counts.shape[0])
    np.add.at(counts, (rows, ia[both]), 1.0)
    np.add.at(counts, (rows, ib[both]), 1.0)
    stat = chance_corrected(counts, np.ones(counts.shape[0]), q, "fleiss", 2, method)
    if stat.value is None and len(labels) == 1:
        return Stat(None, _no_variation_reason(labels[0]), stat.n_units, 2, stat.observed, stat.expected, method)
    return stat


def _binary_pi(n: int, a1: int, b1: int, n11: int) -> Stat:
    method = "Scott's pi"
    if n == 0:
        return _undefined(NOT_BOTH, n_coders=2, method=method)
    p_o = (n - a1 - b1 + 2 * n11) / n
    share = (a1 + b1) / (2 * n)
    p_e = share * share + (1.0 - share) * (1.0 - share)
    if share in (0.0, 1.0):
        return Stat(None, _no_variation_reason(share), n, 2, p_o, p_e, method)
    return Stat((p_o - p_e) / (1.0 - p_e), None, n, 2, p_o, p_e, method)


def pairwise_scott_pi(data: ArrayLike) -> dict[tuple[int, int], Stat]:
    """Scott's π for every coder pair (i < j); 0/1 data via bit-set intersections."""
    x = _as_matrix(data)
    bitsets = _binary_bitsets(x)
    if bitsets is None:
        return {(i, j): scott_pi(x[i], x[j]) for i in range(x.shape[0]) for j in range(i + 1, x.shape[0])}
    return {pair: _binary_pi(*counts) for pair, counts in _binary_pair_counts(*bitsets).items()}


def weighted_kappa(
    a: Labels, b: Labels, weights: Weights = "linear", categories: Sequence[Hashable] | None = None
) -> Stat:
    """Cohen's (1968) weighted κ = 1 − sum v_ij p_ij / sum v_ij e_ij over the units both rated.

    Disagreement weights on the category positions i, j (0 .. q−1): linear |i − j| / (q − 1),
    quadratic ((i − j) / (q − 1))^2. ``categories`` gives the order (a scale's values,
    used or not); otherwise numeric values are sorted and labels sorted by name.
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    method = f"weighted Cohen's kappa ({weights})"
    if categories is None:
        ia, ib, labels = _encode_pair(a, b)
    elif all(isinstance(v, (int, float)) for v in categories) and _numeric(a) and _numeric(b):
        ia, ib = _positions(a, categories), _positions(b, categories)
        labels = list(categories)
    else:
        order = {value: i for i, value in enumerate(categories)}
        la, lb = list(np.asarray(a, dtype=object)), list(np.asarray(b, dtype=object))

        def position(v: object) -> int:
            if v is None or (isinstance(v, float) and np.isnan(v)):
                return -1
            if v not in order:
                raise ValueError(f"value {v!r} is not one of the categories {list(categories)}")
            return order[v]

        ia = np.array([position(v) for v in la], dtype=np.int64)
        ib = np.array([position(v) for v in lb], dtype=np.int64)
        labels = list(categories)
    both = (ia >= 0) & (ib >= 0)
    q = len(labels)
    n = int(both.sum())
    if n == 0:
        return _undefined(NOT_BOTH, n_coders=2, method=method)
    table = np.bincount(ia[both] * q + ib[both], minlength=q * q).reshape(q, q).astype(np.float64) / n
    if q < 2:
        return _undefined(ONE_VALUE, n, 2, method)
    pos = np.arange(q, dtype=np.float64)
    dist = np.abs(pos[:, None] - pos[None, :]) / (q - 1)
    v = dist if weights == "linear" else dist * dist
    expected_table = np.outer(table.sum(axis=1), table.sum(axis=0))
    d_o, d_e = float((v * table).sum()), float((v * expected_table).sum())
    if d_e == 0:
        used = np.flatnonzero(table.sum(axis=1) + table.sum(axis=0))
        return Stat(None, _no_variation_reason(labels[int(used[0])]), n, 2, d_o, d_e, method)
    return Stat(1.0 - d_o / d_e, None, n, 2, d_o, d_e, method)


def _numeric(values: Labels) -> bool:
    try:
        np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def _positions(values: Labels, categories: Sequence[Hashable]) -> IntArray:
    """Index of each value in ``categories`` (-1 for NaN); refuses values that are not categories."""
    v = np.asarray(values, dtype=np.float64)
    cats = np.asarray(categories, dtype=np.float64)
    order = np.argsort(cats)
    found = np.searchsorted(cats[order], np.nan_to_num(v, nan=cats[order][0]))
    found = np.minimum(found, cats.size - 1)
    ok = cats[order][found] == v
    bad = ~np.isnan(v) & ~ok
    if bad.any():
        raise ValueError(f"value {v[bad][0]!r} is not one of the categories {list(categories)}")
    return np.where(np.isnan(v), -1, order[found]).astype(np.int64)


# --------------------------------------------------------------------------- all at once


@dataclass(frozen=True)
class CodeFigures:
    """Every per-code figure of 0/1/NaN data, from one histogram pass and one bit-set pass."""

    percent: Stat
    percent_pairwise: Stat
    kappa: dict[tuple[int, int], Stat]
    pi: dict[tuple[int, int], Stat]
    holsti: dict[tuple[int, int], Stat]
    fleiss: Stat
    fleiss_listwise: Stat
    alpha: Stat
    bp: Stat
    ac1: Stat
    prevalence: float | None


def code_figures(data: ArrayLike) -> CodeFigures | None:
    """All figures a report row shows for one code; None unless the data are 0/1/NaN with two coders or more."""
    x = _as_matrix(data)
    if _shape_reason(x):
        return None
    hist = _binary_histogram(x)
    bitsets = _binary_bitsets(x) if hist is not None else None
    if hist is None or bitsets is None:
        return None
    c = x.shape[0]
    pairs = _binary_pair_counts(*bitsets)
    counts, weights, q = _hist_counts(hist)
    return CodeFigures(
        percent=percent_from_hist(hist),
        percent_pairwise=percent_from_hist(hist, pairwise=True),
        kappa={p: _binary_kappa(*n) for p, n in pairs.items()},
        pi={p: _binary_pi(*n) for p, n in pairs.items()},
        holsti={p: _holsti_stat(n11, a1, b1, n, "coded") for p, (n, a1, b1, n11) in pairs.items()},
        fleiss=fleiss_from_hist(hist),
        fleiss_listwise=_listwise(counts, weights, q, c, int(hist[0].sum())),
        alpha=alpha_from_hist(hist),
        bp=chance_corrected(counts, weights, q, "bp", c),
        ac1=chance_corrected(counts, weights, q, "gwet", c),
        prevalence=_hist_prevalence(hist),
    )


# --------------------------------------------------------------------------- prevalence


def prevalence(data: ArrayLike) -> float | None:
    """Share of 1 among the values coders gave on units with two or more values (None if none)."""
    x = _as_matrix(data)
    hist = _binary_histogram(x)
    if hist is not None:
        return _hist_prevalence(hist)
    m = np.count_nonzero(~np.isnan(x), axis=0)
    values = x[:, m >= 2]
    known = values[~np.isnan(values)]
    return float(np.count_nonzero(known == 1.0)) / known.size if known.size else None


def _hist_prevalence(hist: IntArray) -> float | None:
    grid: IntArray = np.indices(hist.shape)
    m, k = grid[0][2:], grid[1][2:]
    values = float((hist[2:] * m).sum())
    return float((hist[2:] * k).sum()) / values if values else None


def is_rare(share: float | None) -> bool:
    """A code used on fewer than 5 % or more than 95 % of the decisions: κ, π and α mislead there."""
    return share is not None and (share < RARE_LOW or share > RARE_HIGH)


__all__ = [
    "ONE_CODER",
    "brennan_prediger",
    "chance_corrected",
    "fleiss_kappa_listwise",
    "gwet_ac1",
    "is_rare",
    "pairwise_scott_pi",
    "prevalence",
    "rating_counts",
    "scott_pi",
    "weighted_kappa",
]
