"""Krippendorff's alpha with the MASI distance on code sets, exact and fast enough for 100,000 statements.

Why not :func:`agreement_stats.alpha_masi` directly: its expected disagreement sums the
distance over every pair of *distinct* code sets, O(S^2). With 50 codes and 100,000
statements there are ~100,000 distinct sets: ~10 minutes. This module computes the
same figure (same formula, same NLTK weights, same reasons when undefined) as follows.

Code sets are bit masks (one bit per chosen code, several 64-bit words if needed).
The MASI distance depends on a pair only through (|A|, |B|, |A & B|), so the expected
disagreement needs just the weighted histogram H(a, b, i) of those triples over all
ordered pairs of values. For sets of size <= K that histogram comes from subset
moments: M_j(a, b) = sum over j-subsets J of C_a(J) C_b(J), where C_a(J) is the weight
of size-a sets containing J, equals sum over pairs of C(|A & B|, j); binomial inversion
gives H(a, b, i) = sum_j (-1)^(j-i) C(j, i) M_j(a, b), in exact integers. Cost: sum of
2^|A| over distinct small sets. Pairs involving a larger set are summed directly.
Observed disagreement is per unit, one coder pair at a time.
"""

from __future__ import annotations

from math import comb

import numpy as np
from numpy.typing import NDArray

from qcoder.analysis.agreement_stats import (
    ALL_MISSING,
    NO_CODES,
    NO_PAIRS,
    NO_UNITS,
    ONE_CODER,
    ONE_VALUE,
    Stat,
    masi_from_sizes,
)

U64 = NDArray[np.uint64]
METHOD = "Krippendorff's alpha (MASI)"
_SUBSET_BUDGET = 1 << 23  # subset rows for the moment method (~200 MB at most while aggregating)
_MAX_SMALL = 16  # keeps every moment below 2^62 for up to ~10 million values
_BLOCK = 1024
_FLOAT_EXACT = 1 << 53  # integers below this add up exactly in float64


def _popcount(words: U64) -> NDArray[np.int64]:
    """Bits set per row, summed over the last axis (the words of one mask)."""
    return np.bitwise_count(words).sum(axis=-1, dtype=np.int64)


def coder_masks(n_coders: int, n_units: int, n_codes: int, coder: NDArray, unit: NDArray, code: NDArray) -> U64:
    """(coders, units, words) bit masks of the codes each coder applied to each unit."""
    words = max(1, -(-n_codes // 64))
    masks = np.zeros((n_coders, n_units, words), dtype=np.uint64)
    bits = np.left_shift(np.uint64(1), (np.asarray(code) % 64).astype(np.uint64))
    np.bitwise_or.at(masks, (np.asarray(coder), np.asarray(unit), np.asarray(code) // 64), bits)
    return masks


def _unique_rows(keys: NDArray) -> tuple[NDArray, NDArray[np.int64], NDArray[np.int64]]:
    """Distinct values of a 1-D array by sorting: (distinct, counts, inverse); faster than np.unique here."""
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    new = np.r_[True, ordered[1:] != ordered[:-1]] if ordered.size else np.zeros(0, dtype=bool)
    group = np.cumsum(new) - 1
    inverse = np.empty(keys.size, dtype=np.int64)
    inverse[order] = group
    starts = np.flatnonzero(new)
    counts = np.diff(np.r_[starts, ordered.size]).astype(np.int64)
    return ordered[starts], counts, inverse


def _unique_masks(values: U64) -> tuple[U64, NDArray[np.int64], NDArray[np.int64]]:
    """Distinct rows of a (n, words) mask array: (distinct masks, counts, inverse)."""
    if values.shape[1] == 1:
        uniq, counts, inverse = _unique_rows(values[:, 0])
        return uniq[:, None], counts, inverse
    rows = np.ascontiguousarray(values).view(np.dtype((np.void, values.dtype.itemsize * values.shape[1])))
    uniq, counts, inverse = _unique_rows(rows.reshape(-1))
    return np.ascontiguousarray(uniq).view(np.uint64).reshape(-1, values.shape[1]), counts, inverse


def alpha_masi_masks(masks: U64, present: NDArray[np.bool_], *, max_small: int | None = None) -> Stat:
    """Alpha with MASI distance from (coders, units, words) masks; ``present[k, u]`` False = missing.

    Equals ``agreement_stats.alpha_masi`` on the same sets (NLTK weights). ``max_small``
    caps the set size handled by the moment method (tests use it to exercise both paths).
    """
    n_coders = masks.shape[0]
    if n_coders < 2:
        return Stat(None, ONE_CODER, 0, n_coders, method=METHOD)
    if masks.shape[1] == 0:
        return Stat(None, NO_UNITS, 0, n_coders, method=METHOD)
    m = present.sum(axis=0)
    if not m.any():
        return Stat(None, ALL_MISSING, 0, n_coders, method=METHOD)
    pairable = m >= 2
    if not pairable.any():
        return Stat(None, NO_PAIRS, 0, n_coders, method=METHOD)
    n_units = int(pairable.sum())
    within = _within(masks, present, m, pairable)
    values = masks[:, pairable][present[:, pairable]]  # (n, words)
    sets, counts, _ = _unique_masks(values)
    n = int(counts.sum())
    total = _expected_total(sets, counts, max_small)
    if total == 0:
        reason = ONE_VALUE if _popcount(sets).any() else NO_CODES
        return Stat(None, reason, n_units, n_coders, method=METHOD)
    total /= n - 1
    return Stat(1.0 - within / total, None, n_units, n_coders, within / n, total / n, METHOD, (("n_values", float(n)),))


def _within(masks: U64, present: NDArray[np.bool_], m: NDArray, pairable: NDArray[np.bool_]) -> float:
    """sum_u sum_{i != j in u} d(v_i, v_j) / (m_u - 1), one coder pair at a time."""
    total = 0.0
    sizes = _popcount(masks)
    for i in range(masks.shape[0]):
        for j in range(i + 1, masks.shape[0]):
            both = present[i] & present[j] & pairable
            inter = _popcount(masks[i, both] & masks[j, both])
            d = masi_from_sizes(sizes[i, both], sizes[j, both], inter)
            total += float((2.0 * d / (m[both] - 1)).sum())
    return total


def _expected_total(sets: U64, counts: NDArray[np.int64], max_small: int | None) -> float:
    """sum over ordered pairs of values of d = sum_{s, t} n_s n_t d(s, t) (d(s, s) = 0)."""
    sizes = _popcount(sets)
    cap = _small_cap(sizes, int(counts.sum()), max_small)
    small = sizes <= cap
    total = _small_pairs_total(sets[small], counts[small], sizes[small])
    big = np.flatnonzero(~small)
    for start in range(0, big.size, _BLOCK):
        rows = big[start : start + _BLOCK]
        inter = np.stack([_popcount(sets[r][None, :] & sets) for r in rows])
        d = masi_from_sizes(sizes[rows, None], sizes[None, :], inter)
        weights = counts[rows].astype(np.float64)
        other = counts.astype(np.float64)
        # (big, small) and (small, big) pairs are mirror images; (big, big) pairs appear in both orders already
        total += 2.0 * float(weights @ d[:, small] @ other[small]) + float(weights @ d[:, ~small] @ other[~small])
    return total


def _small_cap(sizes: NDArray[np.int64], n: int, max_small: int | None) -> int:
    """Largest set size the moment method takes within the subset budget and integer range."""
    cap = _MAX_SMALL if max_small is None else max_small
    while cap > 0 and comb(cap, cap // 2) * n * n >= 1 << 62:
        cap -= 1
    by_size = np.bincount(sizes, minlength=cap + 1)
    cost = np.cumsum(by_size[: cap + 1] * (2 ** np.arange(cap + 1, dtype=np.float64)))
    within_budget = np.flatnonzero(cost <= _SUBSET_BUDGET)
    return int(within_budget[-1]) if within_budget.size else -1


def _small_pairs_total(sets: U64, counts: NDArray[np.int64], sizes: NDArray[np.int64]) -> float:
    """sum_{s, t} n_s n_t d(s, t) over small sets, via the histogram of (|s|, |t|, |s & t|)."""
    if sets.shape[0] == 0:
        return 0.0
    top = int(sizes.max())
    subsets, size_of_set, weight, j_of_row = [], [], [], []
    for a in range(top + 1):
        chosen = np.flatnonzero(sizes == a)
        if chosen.size == 0:
            continue
        rows = _all_subsets(sets[chosen], a)  # (count, 2^a, words)
        subsets.append(rows.reshape(-1, sets.shape[1]))
        size_of_set.append(np.full(rows.shape[0] * rows.shape[1], a, dtype=np.int64))
        weight.append(np.repeat(counts[chosen], rows.shape[1]))
        j_of_row.append(np.tile(np.bitwise_count(np.arange(2**a, dtype=np.uint64)).astype(np.int64), chosen.size))
    keys, _, inverse = _unique_masks(np.concatenate(subsets))
    a_of_row, w_of_row, j_all = np.concatenate(size_of_set), np.concatenate(weight), np.concatenate(j_of_row)
    width = top + 1
    cover = np.bincount(inverse * width + a_of_row, weights=w_of_row, minlength=keys.shape[0] * width)
    cover = np.rint(cover).astype(np.int64).reshape(keys.shape[0], width)  # C_a(J): exact small integers
    j_of_key = np.zeros(keys.shape[0], dtype=np.int64)
    j_of_key[inverse] = j_all
    moments = _moments(cover, j_of_key, top, int(counts.sum()))
    a_grid = np.arange(width)
    total = 0.0
    for i in range(top + 1):
        hist = [
            [sum((-1) ** (j - i) * comb(j, i) * moments[j][a][b] for j in range(i, top + 1)) for b in range(width)]
            for a in range(width)
        ]
        d = masi_from_sizes(a_grid[:, None], a_grid[None, :], np.full((width, width), i))
        valid = i <= np.minimum(a_grid[:, None], a_grid[None, :])
        total += float((np.array(hist, dtype=np.float64) * np.where(valid, d, 0.0)).sum())
    return total


def _moments(cover: NDArray[np.int64], j_of_key: NDArray[np.int64], top: int, n: int) -> list[list[list[int]]]:
    """M_j(a, b) = sum over j-subsets J of C_a(J) C_b(J), exact integers, for j = 0..top.

    Float matmul (BLAS) is exact while every sum stays below 2^53; otherwise int64.
    """
    order = np.argsort(j_of_key, kind="stable")
    bounds = np.searchsorted(j_of_key[order], np.arange(top + 2))
    moments = []
    for j in range(top + 1):
        block = cover[order[bounds[j] : bounds[j + 1]]]
        if n * n * comb(top, j) < _FLOAT_EXACT:
            as_float = block.astype(np.float64)
            moments.append(np.rint(as_float.T @ as_float).astype(np.int64).tolist())
        else:
            moments.append((block.T @ block).tolist())
    return moments


def _all_subsets(masks: U64, size: int) -> U64:
    """(n, 2^size, words): every subset of each mask of exactly ``size`` bits."""
    n, words = masks.shape
    out = np.zeros((n, 2**size, words), dtype=np.uint64)
    if size == 0:
        return out
    bits = np.unpackbits(np.ascontiguousarray(masks).view(np.uint8), axis=1, bitorder="little")
    positions = np.nonzero(bits)[1].reshape(n, size)  # row-major: each row's bit positions, ascending
    singles = np.zeros((n, size, words), dtype=np.uint64)
    rows = np.repeat(np.arange(n), size)
    singles[rows, np.tile(np.arange(size), n), (positions // 64).reshape(-1)] = np.left_shift(
        np.uint64(1), (positions % 64).astype(np.uint64)
    ).reshape(-1)
    choose = ((np.arange(2**size)[:, None] >> np.arange(size)) & 1).astype(np.uint64)  # (2^size, size)
    for k in range(size):
        out |= singles[:, None, k, :] * choose[None, :, k, None]
    return out
