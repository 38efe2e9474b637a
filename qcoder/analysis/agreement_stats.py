"""Inter-coder agreement statistics: pure computation on arrays, no database.

The unit is the statement. For one code, a coder's value on a statement is 1 (coded),
0 (reviewed the document, did not code it) or NaN (has not reviewed that document).
One code's data is a float array of shape ``(n_coders, n_units)``. Missing is never
turned into 0: a coder who has not read a document neither agrees nor disagrees there.

Every statistic returns a :class:`Stat`. When the statistic is undefined for the data
(a code nobody used, a single coder, nothing to pair) ``value`` is ``None`` and
``reason`` says why, in words the researcher can act on; nothing crashes and no fake
number (1.0, 0.0, NaN) is reported. ``observed`` / ``expected`` and ``parts`` carry the
ingredients so every figure can be explained.

Krippendorff's alpha is computed from the coincidence matrix without building it:
for a unit u with m_u >= 2 pairable values,

    within_u = sum_{i != j in u} delta(v_i, v_j) / (m_u - 1)
    D_o = sum_u within_u / n            (n = number of pairable values)
    D_e = sum_{i != j, all pairable values} delta(v_i, v_j) / (n (n - 1))
    alpha = 1 - D_o / D_e

which needs only per-unit counts: nominal uses sum_c n_uc^2, interval uses the
within-unit sum of squares (sum_{i != j}(v_i - v_j)^2 = 2 m SS), and ordinal is interval
on mid-ranks t_c = sum_{g<c} n_g + n_c / 2 (Krippendorff's ordinal delta equals
(t_k - t_c)^2). For 0/1 data everything reduces to the number of ones per unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

Level = Literal["nominal", "ordinal", "interval", "ratio"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval", "ratio")
NONE_LABEL = "(none)"

ONE_CODER = "fewer than two coders"
NO_UNITS = "no units"
ALL_MISSING = "every value is missing"
NO_PAIRS = "fewer than two coders on every unit"
NEVER_USED = "no variation: every coder coded no statement with this code"
ALWAYS_USED = "no variation: every coder coded every statement with this code"
ONE_VALUE = "no variation: every coder gave every unit the same value"
NOT_BOTH = "no unit rated by both coders"
FLEISS_MISSING = (
    "Fleiss' kappa needs every coder to rate every unit: {k} of {n} units have a missing "
    "rating (use Krippendorff's alpha, which allows missing data)"
)
HOLSTI_UNUSED = "neither coder used this code on a statement both reviewed"
NO_CODES = "no variation: no coder applied any code to any statement"

_MASI_NLTK = (0.67, 0.33)
_MASI_EXACT = (2.0 / 3.0, 1.0 / 3.0)


@dataclass(frozen=True, slots=True)
class Stat:
    """One agreement figure, or why there is none.

    ``value`` is None exactly when ``reason`` is set. ``n_units`` counts the units that
    entered the figure (pairable units for alpha, units both coders rated for kappa).
    ``observed``/``expected`` are p_o/p_e for kappas and D_o/D_e for alpha; ``parts``
    holds named counts (e.g. Holsti's M, N1, N2) for the explanation.
    """

    value: float | None
    reason: str | None
    n_units: int
    n_coders: int = 0
    observed: float | None = None
    expected: float | None = None
    method: str = ""
    parts: tuple[tuple[str, float], ...] = ()

    @property
    def defined(self) -> bool:
        return self.value is not None

    def part(self, name: str) -> float:
        """The named ingredient, e.g. ``stat.part("M")``."""
        return dict(self.parts)[name]


E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class BootstrapCI(Generic[E]):
    """Percentile bootstrap interval over units; replicates where alpha is undefined are dropped.

    One type for every interval in a report: per code ``estimate`` is the alpha ``Stat``;
    for pooled alpha (statements resampled with all their codes) it is the bare figure.
    """

    estimate: E
    low: float | None
    high: float | None
    level: float
    n_boot: int
    n_valid: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Confusion:
    """Two coders' code use side by side: ``counts[i, j]`` = times A used labels[i] where B used labels[j]."""

    labels: tuple[Hashable, ...]
    counts: IntArray
    n_units: int

    def get(self, a: Hashable, b: Hashable) -> int:
        index = {label: i for i, label in enumerate(self.labels)}
        if a not in index or b not in index:
            return 0
        return int(self.counts[index[a], index[b]])

    def as_dict(self) -> dict[tuple[Hashable, Hashable], int]:
        rows, cols = np.nonzero(self.counts)
        return {(self.labels[i], self.labels[j]): int(self.counts[i, j]) for i, j in zip(rows, cols)}


# --------------------------------------------------------------------------- helpers


def _undefined(reason: str, n_units: int = 0, n_coders: int = 0, method: str = "") -> Stat:
    return Stat(value=None, reason=reason, n_units=n_units, n_coders=n_coders, method=method)


def _as_matrix(data: ArrayLike) -> FloatArray:
    """Float (n_coders, n_units) array; NaN is missing."""
    x = np.asarray(data, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"expected an array of shape (n_coders, n_units), got shape {x.shape}")
    return x


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")


def _shape_reason(x: FloatArray) -> str | None:
    if x.shape[0] < 2:
        return ONE_CODER
    if x.shape[1] == 0:
        return NO_UNITS
    return None


def _pairing_reason(units_by_m: IntArray) -> str | None:
    """Reason when no unit has two values, from the number of units with m = 0, 1, 2, ... values."""
    if not units_by_m[1:].any():
        return ALL_MISSING
    if not units_by_m[2:].any():
        return NO_PAIRS
    return None


def _row_count(mask: NDArray[np.bool_]) -> IntArray:
    """Per-unit number of True over coders (uint8 accumulation: bool sums via int64 are ~20x slower)."""
    if mask.shape[0] < 256:
        return np.add.reduce(np.ascontiguousarray(mask).view(np.uint8), axis=0, dtype=np.uint8)
    return np.count_nonzero(mask, axis=0)


_CHUNK = 16384  # units per block: a block of a few coders stays in cache across the passes


def _binary_histogram(x: FloatArray) -> IntArray | None:
    """H[m, k] = units with m present values of which k are 1; None unless every value is 0, 1 or NaN.

    Every per-code statistic on 0/1 data depends on the units only through H, a
    (c + 1) x (c + 1) table, so one blockwise pass over the data serves them all.
    """
    c = x.shape[0]
    hist = np.zeros((c + 1) ** 2, dtype=np.int64)
    for start in range(0, x.shape[1], _CHUNK):
        block = x[:, start : start + _CHUNK]
        m = _row_count(~np.isnan(block))
        n1 = _row_count(block == 1.0)
        if not np.array_equal(_row_count(block == 0.0) + n1, m):
            return None
        hist += np.bincount(m.astype(np.intp) * (c + 1) + n1, minlength=(c + 1) ** 2)
    return hist.reshape(c + 1, c + 1)


def _hist_grid(h: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Rows m >= 2 of H with the matching m and k grids."""
    grid = np.indices(h.shape)
    m, k = grid[0], grid[1]
    return h[2:], m[2:], k[2:]


_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def _words(packed: list[NDArray[np.uint8]]) -> NDArray[np.uint64]:
    """Concatenated packbits blocks as uint64 words (zero-padded)."""
    joined = np.concatenate(packed, axis=1)
    pad = (-joined.shape[1]) % 8
    if pad:
        joined = np.pad(joined, ((0, 0), (0, pad)))
    return np.ascontiguousarray(joined).view(np.uint64)


def _binary_bitsets(x: FloatArray) -> tuple[NDArray[np.uint64], NDArray[np.uint64]] | None:
    """Rows of 'rated' and 'coded 1' as bit sets for fast pair intersections; None unless 0/1/NaN data.

    Blocks are a multiple of 8 units wide, so packing block by block equals packing the whole row.
    """
    present, ones = [], []
    for start in range(0, x.shape[1], _CHUNK):
        block = x[:, start : start + _CHUNK]
        missing, coded = np.isnan(block), block == 1.0
        n_known = np.count_nonzero(missing) + np.count_nonzero(coded) + np.count_nonzero(block == 0.0)
        if n_known != block.size:
            return None
        present.append(np.packbits(~missing, axis=1))
        ones.append(np.packbits(coded, axis=1))
    if not present:
        empty = np.zeros((x.shape[0], 0), dtype=np.uint64)
        return empty, empty
    return _words(present), _words(ones)


def _popcount(words: NDArray[np.uint64]) -> int:
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        return int(np.bitwise_count(words).sum())
    return int(_POPCOUNT8[words.view(np.uint8)].sum(dtype=np.int64))


def _binary_pair_counts(
    present: NDArray[np.uint64], ones: NDArray[np.uint64]
) -> dict[tuple[int, int], tuple[int, int, int, int]]:
    """For each coder pair i < j: (units both rated, i coded 1 where j rated, j coded 1 where i rated,
    both coded 1)."""
    return {
        (i, j): (
            _popcount(present[i] & present[j]),
            _popcount(ones[i] & present[j]),
            _popcount(ones[j] & present[i]),
            _popcount(ones[i] & ones[j]),
        )
        for i in range(present.shape[0])
        for j in range(i + 1, present.shape[0])
    }


def _same_pairs(x: FloatArray) -> IntArray:
    """Per unit, number of coder pairs i<j with equal present values (NaN never equals)."""
    same = np.zeros(x.shape[1], dtype=np.int64)
    for i in range(x.shape[0] - 1):
        same += np.count_nonzero(x[i + 1 :] == x[i], axis=0)
    return same


def _sum_sq_counts(x: FloatArray, m: IntArray) -> IntArray:
    """Per unit sum_c n_uc^2 = m_u + 2 * (equal pairs)."""
    return m + 2 * _same_pairs(x)


def _no_variation_reason(value: object) -> str:
    """Reason when every value is ``value``: 0/1 codes get the wording researchers expect."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        if value == 0:
            return NEVER_USED
        if value == 1:
            return ALWAYS_USED
    return ONE_VALUE


# --------------------------------------------------------------------------- percent agreement


def percent_from_hist(hist: IntArray, *, pairwise: bool = False) -> Stat:
    """Percent agreement of 0/1 data from its histogram H[m, k] (see :func:`percent_agreement`)."""
    c = hist.shape[0] - 1
    method = "percent agreement (" + ("pairwise" if pairwise else "all coders") + ")"
    reason = _pairing_reason(hist.sum(axis=1))
    if reason:
        return _undefined(reason, n_coders=c, method=method)
    h, m, k = _hist_grid(hist)
    n_units = int(h.sum())
    if pairwise:
        agree = int((h * (k * (k - 1) + (m - k) * (m - k - 1))).sum())
        total = int((h * m * (m - 1)).sum())
    else:
        agree, total = int((h * ((k == 0) | (k == m))).sum()), n_units
    return Stat(
        agree / total, None, n_units, c, agree / total, None, method, (("agree", float(agree)), ("total", float(total)))
    )


def percent_agreement(data: ArrayLike, *, pairwise: bool = False) -> Stat:
    """Share of units on which the present coders agree; units with < 2 coders are skipped.

    Default (``pairwise=False``): a unit agrees when *all* present coders give it the same
    value; value = agreeing units / units with >= 2 coders. ``pairwise=True``: share of
    agreeing coder pairs, sum_u sum_c n_uc (n_uc - 1) / sum_u m_u (m_u - 1). Both equal
    for two coders. Percent agreement ignores chance: a code nobody used scores 1.0.
    """
    x = _as_matrix(data)
    method = "percent agreement (" + ("pairwise" if pairwise else "all coders") + ")"
    reason = _shape_reason(x)
    if reason:
        return _undefined(reason, n_coders=x.shape[0], method=method)
    hist = _binary_histogram(x)
    if hist is not None:
        return percent_from_hist(hist, pairwise=pairwise)
    else:
        m_u = np.count_nonzero(~np.isnan(x), axis=0)
        reason = _pairing_reason(np.bincount(m_u))
        if reason:
            return _undefined(reason, n_coders=x.shape[0], method=method)
        keep = m_u >= 2
        sq, m_u = _sum_sq_counts(x[:, keep], m_u[keep]), m_u[keep]
        n_units = int(m_u.size)
        if pairwise:
            agree, total = int((sq - m_u).sum()), int((m_u * (m_u - 1)).sum())
        else:
            agree, total = int(np.count_nonzero(sq == m_u * m_u)), n_units
    return Stat(
        value=agree / total,
        reason=None,
        n_units=n_units,
        n_coders=x.shape[0],
        observed=agree / total,
        method=method,
        parts=(("agree", float(agree)), ("total", float(total))),
    )


# --------------------------------------------------------------------------- Cohen's kappa


def _sort_key(label: Hashable) -> tuple[str, str]:
    return (type(label).__name__, str(label))


Labels = ArrayLike | Sequence[Hashable]


def _encode_pair(a: Labels, b: Labels) -> tuple[IntArray, IntArray, list[Hashable]]:
    """Integer codes (-1 = missing) for two coders' labels, and the label list."""
    fa: FloatArray | None
    fb: FloatArray | None
    try:
        fa, fb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    except (TypeError, ValueError):
        fa = fb = None
    if fa is not None and fb is not None:
        if fa.shape != fb.shape or fa.ndim != 1:
            raise ValueError(f"two coders need 1-D arrays of equal length, got {fa.shape} and {fb.shape}")
        uniq = np.unique(np.concatenate([fa[~np.isnan(fa)], fb[~np.isnan(fb)]]))
        codes = []
        for f in (fa, fb):
            c = np.searchsorted(uniq, np.where(np.isnan(f), uniq[0] if uniq.size else 0.0, f))
            codes.append(np.where(np.isnan(f), -1, c).astype(np.int64))
        return codes[0], codes[1], [float(u) for u in uniq]
    # not numeric: the labels are a sequence of hashable values (strings, tuples, ...)
    la, lb = list(cast("Sequence[Hashable]", a)), list(cast("Sequence[Hashable]", b))
    if len(la) != len(lb):
        raise ValueError(f"two coders need sequences of equal length, got {len(la)} and {len(lb)}")
    labels = sorted({v for v in la + lb if v is not None}, key=_sort_key)
    index = {v: i for i, v in enumerate(labels)}
    ia = np.array([index[v] if v is not None else -1 for v in la], dtype=np.int64)
    ib = np.array([index[v] if v is not None else -1 for v in lb], dtype=np.int64)
    return ia, ib, labels


def cohen_kappa_from_table(table: ArrayLike, labels: Sequence[Hashable] | None = None) -> Stat:
    """Cohen's (1960) kappa from a square agreement table (rows coder A, columns coder B).

    p_o = trace / N, p_e = sum_k (row_k / N)(col_k / N), kappa = (p_o - p_e) / (1 - p_e).
    Additive p_e over categories (QualCoder multiplies). Undefined when p_e = 1.
    """
    t = np.asarray(table, dtype=np.float64)
    if t.ndim != 2 or t.shape[0] != t.shape[1]:
        raise ValueError(f"an agreement table must be square, got shape {t.shape}")
    method = "Cohen's kappa"
    total = float(t.sum())
    if total == 0:
        return _undefined(NOT_BOTH, n_coders=2, method=method)
    rows, cols = t.sum(axis=1), t.sum(axis=0)
    po = float(np.trace(t)) / total
    pe = float(rows @ cols) / (total * total)
    single = np.flatnonzero((rows == total) & (cols == total))
    if single.size:
        label = labels[int(single[0])] if labels is not None else None
        return Stat(None, _no_variation_reason(label), int(total), 2, po, pe, method)
    return Stat((po - pe) / (1.0 - pe), None, int(total), 2, po, pe, method)


def cohen_kappa(a: Labels, b: Labels) -> Stat:
    """Cohen's kappa for two coders over the units both rated (nominal, any number of categories).

    ``a``/``b`` are numeric arrays with NaN for missing, or sequences of hashable labels
    with None for missing. Units either coder has not rated are left out, never counted as 0.
    """
    ia, ib, labels = _encode_pair(a, b)
    both = (ia >= 0) & (ib >= 0)
    k = len(labels)
    table = np.bincount(ia[both] * k + ib[both], minlength=k * k).reshape(k, k) if k else np.zeros((0, 0))
    return cohen_kappa_from_table(table, labels)


def _binary_kappa(n: int, a1: int, b1: int, n11: int) -> Stat:
    """Cohen's kappa from 2x2 counts: n units both rated, a1/b1 coded by A/B, n11 by both."""
    method = "Cohen's kappa"
    if n == 0:
        return _undefined(NOT_BOTH, n_coders=2, method=method)
    po = (n - a1 - b1 + 2 * n11) / n
    pa, pb = a1 / n, b1 / n
    pe = pa * pb + (1.0 - pa) * (1.0 - pb)
    if a1 == b1 == 0 or a1 == b1 == n:
        return Stat(None, NEVER_USED if a1 == 0 else ALWAYS_USED, n, 2, po, pe, method)
    return Stat((po - pe) / (1.0 - pe), None, n, 2, po, pe, method)


def pairwise_cohen_kappa(data: ArrayLike) -> dict[tuple[int, int], Stat]:
    """Cohen's kappa for every coder pair (i < j) of one code; 0/1 data via bit-set intersections."""
    x = _as_matrix(data)
    bitsets = _binary_bitsets(x)
    if bitsets is None:
        return {(i, j): cohen_kappa(x[i], x[j]) for i in range(x.shape[0]) for j in range(i + 1, x.shape[0])}
    return {pair: _binary_kappa(*counts) for pair, counts in _binary_pair_counts(*bitsets).items()}


# --------------------------------------------------------------------------- Fleiss' kappa


def fleiss_from_hist(hist: IntArray) -> Stat:
    """Fleiss' kappa of 0/1 data from its histogram H[m, k]; undefined unless every unit has every coder."""
    c = hist.shape[0] - 1
    n_units = int(hist.sum())
    method = "Fleiss' kappa"
    incomplete = int(hist[:c].sum())
    if incomplete:
        return _undefined(FLEISS_MISSING.format(k=incomplete, n=n_units), n_coders=c, method=method)
    k = np.arange(c + 1)
    agree_pairs = float(hist[c] @ (k * (k - 1) + (c - k) * (c - k - 1)))
    total1 = int(hist[c] @ k)
    values, cat = np.array([0.0, 1.0]), np.array([n_units * c - total1, total1])
    values, cat = values[cat > 0], cat[cat > 0]
    if values.size == 1:
        return _undefined(_no_variation_reason(values[0]), n_units, c, method)
    p_bar = agree_pairs / (c * (c - 1) * n_units)
    p = cat / (n_units * c)
    p_e = float(p @ p)
    return Stat((p_bar - p_e) / (1.0 - p_e), None, n_units, c, p_bar, p_e, method)


def fleiss_kappa(data: ArrayLike) -> Stat:
    """Fleiss' (1971) kappa; defined only when every coder rated every unit.

    P_i = (sum_j n_ij^2 - m) / (m (m - 1)), P_bar = mean P_i, p_j = share of all ratings in
    category j, P_e = sum_j p_j^2, kappa = (P_bar - P_e) / (1 - P_e).
    """
    x = _as_matrix(data)
    c, n_units = x.shape
    method = "Fleiss' kappa"
    reason = _shape_reason(x)
    if reason:
        return _undefined(reason, n_coders=c, method=method)
    hist = _binary_histogram(x)
    if hist is not None:
        return fleiss_from_hist(hist)
    incomplete = int(np.count_nonzero(np.isnan(x).any(axis=0)))
    if incomplete:
        return _undefined(FLEISS_MISSING.format(k=incomplete, n=n_units), n_coders=c, method=method)
    agree_pairs = float((_sum_sq_counts(x, np.full(n_units, c, dtype=np.int64)) - c).sum())
    values, cat = np.unique(x, return_counts=True)
    if values.size == 1:
        return _undefined(_no_variation_reason(values[0]), n_units, c, method)
    p_bar = agree_pairs / (c * (c - 1) * n_units)
    p = cat / (n_units * c)
    p_e = float(p @ p)
    return Stat((p_bar - p_e) / (1.0 - p_e), None, n_units, c, p_bar, p_e, method)


# --------------------------------------------------------------------------- Krippendorff's alpha


@dataclass(frozen=True, slots=True)
class _BinarySums:
    """Sufficient statistics of binary alpha; they add up across codes (pooled alpha)."""

    n_units: int = 0
    n: int = 0  # pairable values
    n1: int = 0  # pairable ones
    within: float = 0.0  # sum_u 2 n0_u n1_u / (m_u - 1)

    def __add__(self, other: _BinarySums) -> _BinarySums:
        return _BinarySums(
            self.n_units + other.n_units, self.n + other.n, self.n1 + other.n1, self.within + other.within
        )


def _binary_sums(hist: IntArray) -> _BinarySums:
    """Alpha's sufficient statistics from the histogram H[m, k] (pairable rows m >= 2 only)."""
    h, m, k = _hist_grid(hist)
    within = float((h * (2.0 * k * (m - k) / (m - 1))).sum())
    return _BinarySums(int(h.sum()), int((h * m).sum()), int((h * k).sum()), within)


def _alpha_from_binary(s: _BinarySums, n_coders: int, method: str) -> Stat:
    """alpha = 1 - (n - 1) * within / (2 n0 n1): the coincidence formula for two values."""
    if s.n_units == 0:
        return _undefined(NO_PAIRS, n_coders=n_coders, method=method)
    n0 = s.n - s.n1
    if s.n1 == 0:
        return _undefined(NEVER_USED, s.n_units, n_coders, method)
    if n0 == 0:
        return _undefined(ALWAYS_USED, s.n_units, n_coders, method)
    d_o = s.within / s.n
    d_e = 2.0 * n0 * s.n1 / (s.n * (s.n - 1))
    return Stat(1.0 - d_o / d_e, None, s.n_units, n_coders, d_o, d_e, method, (("n_values", float(s.n)),))


@dataclass(frozen=True, slots=True)
class _Encoded:
    """Pairable units of one data set: values, category codes (-1 missing), m_u, unit weights."""

    values: FloatArray  # (c, U)
    codes: IntArray  # (c, U) index into uniq, -1 where missing
    present: NDArray[np.bool_]
    m: IntArray
    weights: FloatArray  # multiplicity of each unit (1, or a profile count)
    uniq: FloatArray


def _encode(x: FloatArray, weights: FloatArray | None = None) -> _Encoded:
    present = ~np.isnan(x)
    m = np.count_nonzero(present, axis=0)
    keep = m >= 2
    x, present, m = x[:, keep], present[:, keep], m[keep]
    w = np.ones(m.size) if weights is None else np.asarray(weights, dtype=np.float64)[keep]
    uniq, inv = np.unique(x[present], return_inverse=True)
    codes = np.full(x.shape, -1, dtype=np.int64)
    codes[present] = inv
    return _Encoded(x, codes, present, m, w, uniq)


def _category_counts(enc: _Encoded, unit_weights: FloatArray) -> FloatArray:
    w = np.broadcast_to(unit_weights, enc.codes.shape)[enc.present]
    # with weights, bincount sums them as float64 (the numpy stubs only know the int result)
    return np.asarray(np.bincount(enc.codes[enc.present], weights=w, minlength=enc.uniq.size), dtype=np.float64)


def _within_nominal(enc: _Encoded) -> FloatArray:
    """Per unit sum_{i != j} [v_i != v_j] / (m_u - 1)."""
    m = enc.m
    return (m * (m - 1) - 2 * _same_pairs(enc.values)) / (m - 1)


def _within_interval(enc: _Encoded, scores: FloatArray) -> FloatArray:
    """Per unit sum_{i != j} (s_i - s_j)^2 / (m_u - 1) = 2 m_u SS_u / (m_u - 1), on category scores."""
    s = np.where(enc.present, scores[np.maximum(enc.codes, 0)], 0.0)
    mean = s.sum(axis=0) / enc.m
    dev = np.where(enc.present, s - mean, 0.0)
    return 2.0 * enc.m * (dev * dev).sum(axis=0) / (enc.m - 1)


def _mid_ranks(cat: FloatArray) -> FloatArray:
    """Ordinal scores t_c = sum_{g<c} n_g + n_c / 2; (t_k - t_c)^2 is Krippendorff's ordinal delta."""
    return np.cumsum(cat) - cat / 2.0


def _alpha_parts(
    enc: _Encoded, level: str, unit_weights: FloatArray, within_fixed: FloatArray | None
) -> tuple[float, float, float]:
    """(n, sum of within, total) for alpha = 1 - within / total, with D_e = total / n.

    ``within_fixed`` reuses per-unit within terms that do not depend on the weights
    (nominal, interval); ordinal scores depend on the weighted margins and are recomputed.
    """
    cat = _category_counts(enc, unit_weights)
    n = float(cat.sum())
    if level == "nominal":
        within = _within_nominal(enc) if within_fixed is None else within_fixed
        total = (n * n - float(cat @ cat)) / (n - 1)
    elif level == "ratio":
        delta = _ratio_delta(enc.uniq)
        within = _within_delta(enc, delta) if within_fixed is None else within_fixed
        return n, float(unit_weights @ within), float(cat @ delta @ cat) / (n - 1)
    else:
        scores = _mid_ranks(cat) if level == "ordinal" else enc.uniq - enc.uniq.mean()
        within = _within_interval(enc, scores) if within_fixed is None or level == "ordinal" else within_fixed
        mean = float(cat @ scores) / n
        total = 2.0 * n * float(cat @ (scores - mean) ** 2) / (n - 1)
    return n, float(unit_weights @ within), total


def _ratio_delta(values: FloatArray) -> FloatArray:
    """Krippendorff's ratio distance ((c - k) / (c + k))^2 between every two values (0 where c + k = 0)."""
    c, k = values[:, None], values[None, :]
    total = c + k
    ratio = np.divide(c - k, total, out=np.zeros((values.size, values.size)), where=total != 0)
    return ratio * ratio


def _within_delta(enc: _Encoded, delta: FloatArray) -> FloatArray:
    """Per unit sum_{i != j} delta(v_i, v_j) / (m_u - 1) for any distance matrix over the categories."""
    q, n_units = enc.uniq.size, enc.m.size
    counts = np.zeros((n_units, q))
    units = np.broadcast_to(np.arange(n_units), enc.codes.shape)[enc.present]
    np.add.at(counts, (units, enc.codes[enc.present]), 1.0)
    pair_sum = np.einsum("uc,ck,uk->u", counts, delta, counts)  # the diagonal of delta is 0
    return pair_sum / (enc.m - 1)


def _alpha_general(enc: _Encoded, level: str, n_coders: int, method: str) -> Stat:
    if enc.m.size == 0:
        return _undefined(NO_PAIRS, n_coders=n_coders, method=method)
    n_units = int(enc.weights.sum())
    if enc.uniq.size == 1:
        return _undefined(_no_variation_reason(enc.uniq[0]), n_units, n_coders, method)
    n, within, total = _alpha_parts(enc, level, enc.weights, None)
    d_o, d_e = within / n, total / n
    return Stat(1.0 - within / total, None, n_units, n_coders, d_o, d_e, method, (("n_values", n),))


def krippendorff_alpha(data: ArrayLike, level: Level = "nominal") -> Stat:
    """Krippendorff's alpha for any number of coders with missing data (NaN).

    Units with fewer than two values are not pairable and drop out. 0/1 data takes a
    fast path (all three levels coincide for two values); other data takes the general
    coincidence path for nominal, ordinal (mid-rank) or interval distances.
    """
    _check_level(level)
    x = _as_matrix(data)
    c = x.shape[0]
    method = f"Krippendorff's alpha ({level})"
    reason = _shape_reason(x)
    if reason:
        return _undefined(reason, n_coders=c, method=method)
    hist = _binary_histogram(x)
    if hist is not None:
        units_by_m = hist.sum(axis=1)
    else:
        units_by_m = np.bincount(np.count_nonzero(~np.isnan(x), axis=0))
    reason = _pairing_reason(units_by_m)
    if reason:
        return _undefined(reason, n_coders=c, method=method)
    if hist is not None:
        return alpha_from_hist(hist, method)
    return _alpha_general(_encode(x), level, c, method)


def alpha_from_hist(hist: IntArray, method: str = "Krippendorff's alpha (nominal)") -> Stat:
    """Krippendorff's alpha of 0/1 data from its histogram H[m, k] (every level gives the same figure)."""
    c = hist.shape[0] - 1
    reason = _pairing_reason(hist.sum(axis=1))
    if reason:
        return _undefined(reason, n_coders=c, method=method)
    return _alpha_from_binary(_binary_sums(hist), c, method)


def _profiles(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Collapse pairable units with the same multiset of values: (units as columns, counts).

    Alpha depends on a unit only through that multiset, so weighted profiles give the same
    result as the full data without materializing it.
    """
    present = ~np.isnan(x)
    m = np.count_nonzero(present, axis=0)
    sorted_t = np.sort(x[:, m >= 2], axis=0).T  # NaN sorts last
    mm = m[m >= 2]
    key = np.column_stack([mm, np.nan_to_num(sorted_t, nan=0.0)])
    rows, counts = np.unique(key, axis=0, return_counts=True)
    vals = rows[:, 1:].copy()
    vals[np.arange(vals.shape[1])[None, :] >= rows[:, :1]] = np.nan
    return vals.T, counts.astype(np.float64)


def pooled_alpha(arrays: Iterable[ArrayLike], level: Level = "nominal") -> Stat:
    """Krippendorff's alpha over all code x statement decisions: each (code, statement) is a unit.

    Equivalent to alpha on the arrays concatenated along the unit axis, computed without
    the concatenation: binary sufficient statistics add up across codes; other data is
    collapsed to weighted unit profiles first.
    """
    _check_level(level)
    mats = [_as_matrix(a) for a in arrays]
    method = f"pooled Krippendorff's alpha ({level})"
    c = max((a.shape[0] for a in mats), default=0)
    if c < 2:
        return _undefined(ONE_CODER, n_coders=c, method=method)
    if not any(a.shape[1] for a in mats):
        return _undefined(NO_UNITS, n_coders=c, method=method)
    hists = [_binary_histogram(a) for a in mats]
    if all(h is not None for h in hists):
        sums = sum((_binary_sums(h) for h in hists if h is not None), _BinarySums())
        if sums.n == 0 and not any(h[1:].any() for h in hists if h is not None):
            return _undefined(ALL_MISSING, n_coders=c, method=method)
        return _alpha_from_binary(sums, c, method)
    cols, weights = [], []
    for a in mats:
        vals, counts = _profiles(a)
        cols.append(np.vstack([vals, np.full((c - vals.shape[0], vals.shape[1]), np.nan)]))
        weights.append(counts)
    units = np.hstack(cols)
    if units.shape[1] == 0:
        all_missing = not any((~np.isnan(a)).any() for a in mats)
        return _undefined(ALL_MISSING if all_missing else NO_PAIRS, n_coders=c, method=method)
    return _alpha_general(_encode(units, np.concatenate(weights)), level, c, method)


# --------------------------------------------------------------------------- Holsti


def holsti(a: ArrayLike, b: ArrayLike, *, basis: Literal["coded", "all"] = "coded") -> Stat:
    """Holsti's CR = 2M / (N1 + N2) for two coders on one code, over statements both reviewed.

    ``basis="coded"`` (default; what Chinese grounded-theory papers report): N1, N2 =
    statements each coder coded with the code, M = statements both coded with it.
    Undefined when N1 + N2 = 0. ``basis="all"``: every reviewed statement is a decision,
    N1 = N2 = statements both reviewed, M = statements coded identically (= percent agreement).
    Neither corrects for chance.
    """
    _check_basis(basis)
    fa, fb = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if fa.shape != fb.shape or fa.ndim != 1:
        raise ValueError(f"two coders need 1-D arrays of equal length, got {fa.shape} and {fb.shape}")
    if _binary_histogram(np.vstack([fa, fb])) is None:
        raise ValueError("Holsti's coefficient here takes 0/1/NaN per statement for one code")
    both = ~np.isnan(fa) & ~np.isnan(fb)
    n_both = int(both.sum())
    if basis == "all":
        m = int(np.count_nonzero(fa[both] == fb[both]))
        return _holsti_stat(m, n_both, n_both, n_both, basis)
    ca, cb = (fa == 1.0) & both, (fb == 1.0) & both
    return _holsti_stat(int(np.count_nonzero(ca & cb)), int(ca.sum()), int(cb.sum()), n_both, basis)


def _check_basis(basis: str) -> None:
    if basis not in ("coded", "all"):
        raise ValueError(f"basis must be 'coded' or 'all', got {basis!r}")


def _holsti_stat(m: int, n1: int, n2: int, n_units: int, basis: str) -> Stat:
    method = f"Holsti CR ({basis} decisions)"
    parts = (("M", float(m)), ("N1", float(n1)), ("N2", float(n2)))
    if n1 + n2 == 0:
        reason = NOT_BOTH if n_units == 0 else HOLSTI_UNUSED
        return Stat(None, reason, n_units, 2, method=method, parts=parts)
    return Stat(2.0 * m / (n1 + n2), None, n_units, 2, method=method, parts=parts)


def pairwise_holsti(data: ArrayLike, *, basis: Literal["coded", "all"] = "coded") -> dict[tuple[int, int], Stat]:
    """Holsti's CR (see :func:`holsti`) for every coder pair (i < j) of one code, via bit sets."""
    _check_basis(basis)
    x = _as_matrix(data)
    bitsets = _binary_bitsets(x)
    if bitsets is None:
        raise ValueError("Holsti's coefficient here takes 0/1/NaN per statement for one code")
    out: dict[tuple[int, int], Stat] = {}
    for pair, (n, a1, b1, n11) in _binary_pair_counts(*bitsets).items():
        if basis == "all":
            out[pair] = _holsti_stat(n - a1 - b1 + 2 * n11, n, n, n, basis)
        else:
            out[pair] = _holsti_stat(n11, a1, b1, n, basis)
    return out


# --------------------------------------------------------------------------- sets of codes: MASI


def _masi_weights(exact: bool) -> tuple[float, float]:
    return _MASI_EXACT if exact else _MASI_NLTK


def masi_distance(a: Iterable[Hashable], b: Iterable[Hashable], *, exact: bool = True) -> float:
    """MASI distance (Passonneau 2006): 1 - |A & B| / |A | B| * M.

    M = 1 if A == B, 2/3 if one is a subset of the other, 1/3 if they overlap otherwise,
    0 if disjoint: Passonneau's weights, as current NLTK uses them (``exact=False`` gives
    the rounded 0.67 / 0.33 of older NLTK releases). Two empty sets are at distance 0.
    """
    sa, sb = frozenset(a), frozenset(b)
    if not sa and not sb:
        return 0.0
    subset_w, overlap_w = _masi_weights(exact)
    inter, union = len(sa & sb), len(sa | sb)
    if sa == sb:
        weight = 1.0
    elif sa <= sb or sb <= sa:
        weight = subset_w
    elif inter:
        weight = overlap_w
    else:
        weight = 0.0
    return 1.0 - inter / union * weight


def masi_from_sizes(la: NDArray, lb: NDArray, inter: NDArray, exact: bool = True) -> FloatArray:
    """Vectorized MASI distance from set sizes and intersection sizes (2/3, 1/3; 0.67/0.33 unless ``exact``)."""
    subset_w, overlap_w = _masi_weights(exact)
    la, lb, inter = (np.asarray(v, dtype=np.float64) for v in (la, lb, inter))
    union = la + lb - inter
    equal = (inter == la) & (inter == lb)
    subset = inter == np.minimum(la, lb)
    weight = np.where(equal, 1.0, np.where(subset, subset_w, np.where(inter > 0, overlap_w, 0.0)))
    jaccard = np.divide(inter, union, out=np.zeros_like(union), where=union > 0)
    return np.where(union == 0, 0.0, 1.0 - jaccard * weight)


def alpha_masi(units: Sequence[Sequence[frozenset | None]], *, exact: bool = True) -> Stat:
    """Krippendorff's alpha on per-statement code sets with the MASI distance.

    ``units[u][k]`` is coder k's set of codes on statement u (None = not reviewed). General
    distance alpha: alpha = 1 - D_o / D_e over pairable values (units with >= 2 sets),
    D_o = sum_u sum_{i != j} d / (m_u - 1) / n, D_e = sum_{i != j} d / (n (n - 1)).
    """
    method = "Krippendorff's alpha (MASI)"
    n_coders = max((len(u) for u in units), default=0)
    if n_coders < 2:
        return _undefined(ONE_CODER, n_coders=n_coders, method=method)
    if not units:
        return _undefined(NO_UNITS, n_coders=n_coders, method=method)
    index: dict[frozenset, int] = {}
    idx = np.full((len(units), n_coders), -1, dtype=np.int64)
    for u, row in enumerate(units):
        for k, s in enumerate(row):
            if s is not None:
                idx[u, k] = index.setdefault(frozenset(s), len(index))
    m = np.count_nonzero(idx >= 0, axis=1)
    reason = _pairing_reason(np.bincount(m))
    if reason:
        return _undefined(reason, n_coders=n_coders, method=method)
    idx, m = idx[m >= 2], m[m >= 2]
    sets = list(index)
    vocab = {code: i for i, code in enumerate(sorted({c for s in sets for c in s}, key=_sort_key))}
    member = np.zeros((len(sets), max(len(vocab), 1)), dtype=np.float64)
    for i, s in enumerate(sets):
        member[i, [vocab[c] for c in s]] = 1.0
    sizes = member.sum(axis=1)
    within = _masi_within(idx, m, member, sizes, exact)
    counts = np.bincount(idx[idx >= 0], minlength=len(sets)).astype(np.float64)
    n = float(counts.sum())
    total = _masi_total(member, sizes, counts, exact) / (n - 1)
    if total == 0:
        return _undefined(ONE_VALUE if sizes[counts > 0].any() else NO_CODES, int(m.size), n_coders, method)
    parts = (("n_values", n),)
    return Stat(1.0 - within / total, None, int(m.size), n_coders, within / n, total / n, method, parts)


def _masi_within(idx: IntArray, m: IntArray, member: FloatArray, sizes: FloatArray, exact: bool) -> float:
    """sum_u sum_{i != j in u} d(v_i, v_j) / (m_u - 1), one coder pair at a time."""
    total = 0.0
    for i in range(idx.shape[1]):
        for j in range(i + 1, idx.shape[1]):
            both = (idx[:, i] >= 0) & (idx[:, j] >= 0)
            a, b = idx[both, i], idx[both, j]
            inter = np.einsum("ij,ij->i", member[a], member[b])
            d = masi_from_sizes(sizes[a], sizes[b], inter, exact)
            total += float((2.0 * d / (m[both] - 1)).sum())
    return total


def _masi_total(member: FloatArray, sizes: FloatArray, counts: FloatArray, exact: bool, block: int = 512) -> float:
    """sum over ordered pairs of distinct pairable values of d = sum_{s,t} n_s n_t d(s, t)."""
    total = 0.0
    for start in range(0, member.shape[0], block):
        stop = start + block
        inter = member[start:stop] @ member.T
        d = masi_from_sizes(sizes[start:stop, None], sizes[None, :], inter, exact)
        total += float(counts[start:stop] @ d @ counts)
    return total


# --------------------------------------------------------------------------- bootstrap


def bootstrap_alpha_ci(
    data: ArrayLike,
    n_boot: int = 1000,
    seed: int | None = 0,
    level: float = 0.95,
    measurement: Level = "nominal",
) -> BootstrapCI[Stat]:
    """Percentile bootstrap CI for Krippendorff's alpha, resampling pairable units with replacement.

    ``level`` is the confidence level, ``measurement`` alpha's level of measurement.
    Units with the same multiset of values are interchangeable, so a replicate is a
    multinomial draw of how often each distinct unit profile appears; alpha is then
    computed on weighted profiles (the same figure as on resampled columns, but cheap).
    Replicates with undefined alpha (no variation) are dropped; ``n_valid`` counts the rest.
    """
    _check_level(measurement)
    if not 0.0 < level < 1.0:
        raise ValueError("level must be between 0 and 1")
    x = _as_matrix(data)
    estimate = krippendorff_alpha(x, measurement)
    if not estimate.defined:
        return BootstrapCI(estimate, None, None, level, n_boot, 0, estimate.reason)
    vals, counts = _profiles(x)
    enc = _encode(vals, counts)
    n_units = int(counts.sum())
    rng = np.random.default_rng(seed)
    shares = counts / counts.sum()
    fixed = _fixed_within(enc, measurement)
    reps = np.array(
        [
            _replicate_alpha(enc, measurement, rng.multinomial(n_units, shares).astype(np.float64), fixed)
            for _ in range(n_boot)
        ]
    )
    reps = reps[~np.isnan(reps)]
    if reps.size == 0:
        reason = "alpha undefined in every bootstrap replicate"
        return BootstrapCI(estimate, None, None, level, n_boot, 0, reason)
    low, high = np.quantile(reps, [(1.0 - level) / 2.0, (1.0 + level) / 2.0])
    return BootstrapCI(estimate, float(low), float(high), level, n_boot, int(reps.size))


def _fixed_within(enc: _Encoded, measurement: str) -> FloatArray | None:
    """Per-unit within terms that do not change between replicates (None for ordinal)."""
    if measurement == "nominal":
        return _within_nominal(enc)
    if measurement == "interval":
        return _within_interval(enc, enc.uniq - enc.uniq.mean())
    if measurement == "ratio":
        return _within_delta(enc, _ratio_delta(enc.uniq))
    return None


def _replicate_alpha(enc: _Encoded, level: str, weights: FloatArray, fixed: FloatArray | None) -> float:
    _n, within, total = _alpha_parts(enc, level, weights, fixed)
    return float("nan") if total <= 0 else 1.0 - within / total


# --------------------------------------------------------------------------- confusion


def confusion(a_sets: Sequence[frozenset | None], b_sets: Sequence[frozenset | None]) -> Confusion:
    """Where coder A used X, what did coder B use? Over statements both coders reviewed.

    Per statement: each code in both sets counts (X, X). Codes only A used are paired with
    every code only B used, (X, Y); if B has no code of its own there, (X, "(none)"), and
    symmetrically ("(none)", Y). Two empty sets count ("(none)", "(none)").
    """
    if len(a_sets) != len(b_sets):
        raise ValueError(f"two coders need sequences of equal length, got {len(a_sets)} and {len(b_sets)}")
    tally: Counter[tuple[Hashable, Hashable]] = Counter()
    n_units = 0
    for sa, sb in zip(a_sets, b_sets):
        if sa is None or sb is None:
            continue
        n_units += 1
        sa, sb = frozenset(sa), frozenset(sb)
        tally.update((x, x) for x in sa & sb)
        only_a, only_b = sa - sb, sb - sa
        if only_a and only_b:
            tally.update((x, y) for x in only_a for y in only_b)
        else:
            tally.update((x, NONE_LABEL) for x in only_a)
            tally.update((NONE_LABEL, y) for y in only_b)
        if not sa and not sb:
            tally[(NONE_LABEL, NONE_LABEL)] += 1
    codes = sorted({k for pair in tally for k in pair if k != NONE_LABEL}, key=_sort_key)
    labels: tuple[Hashable, ...] = (*codes, NONE_LABEL)
    pos = {label: i for i, label in enumerate(labels)}
    counts = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for (x, y), k in tally.items():
        counts[pos[x], pos[y]] = k
    counts.setflags(write=False)
    return Confusion(labels, counts, n_units)
