"""The coefficients beside κ and α: published worked examples, statsmodels, krippendorff, invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qcoder.analysis.agreement_coefficients import (
    brennan_prediger,
    fleiss_kappa_listwise,
    gwet_ac1,
    is_rare,
    pairwise_scott_pi,
    prevalence,
    scott_pi,
    weighted_kappa,
)
from qcoder.analysis.agreement_stats import cohen_kappa, krippendorff_alpha, percent_agreement
from qcoder.analysis.writers import cell_text, number_text

N = np.nan

# Krippendorff (2011, "Computing Krippendorff's alpha-reliability", section C) — the same
# 4 coders x 12 units with missing values is Gwet's (2014, Handbook of Inter-Rater Reliability,
# 4th ed.) running example, shipped with irrCAC as ``cac.raw4raters``.
RAW4 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
        [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
    ]
)


def test_krippendorff_2011_example_at_all_four_levels() -> None:
    # Krippendorff (2011): nominal .743, ordinal .815, interval .849, ratio .797
    expected = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}
    for level, value in expected.items():
        assert krippendorff_alpha(RAW4, level).value == pytest.approx(value, abs=5e-4), level  # type: ignore[arg-type]


def test_gwet_handbook_example_ac1_fleiss_and_bp_with_missing_ratings() -> None:
    # Gwet (2014) on cac.raw4raters (irrCAC: gwet.ac1.raw 0.7754, fleiss.kappa.raw 0.7612,
    # percent agreement 0.8182); S = (0.8182 - 1/5) / (1 - 1/5) with q = 5 categories.
    ac1 = gwet_ac1(RAW4)
    assert ac1.value == pytest.approx(0.7754, abs=5e-5)
    assert ac1.observed == pytest.approx(0.8182, abs=5e-5)
    assert brennan_prediger(RAW4).value == pytest.approx((9 / 11 - 0.2) / 0.8, abs=1e-12)


def test_listwise_fleiss_says_how_many_units_it_used() -> None:
    stat = fleiss_kappa_listwise(RAW4)
    assert stat.part("used") == 8 and stat.part("dropped") == 4  # units 1, 10, 11, 12 lack a rating
    assert stat.n_units == 8
    complete = RAW4[:, ~np.isnan(RAW4).any(axis=0)]
    statsmodels = pytest.importorskip("statsmodels.stats.inter_rater")
    table, _ = statsmodels.aggregate_raters(complete.T.astype(int))
    assert stat.value == pytest.approx(statsmodels.fleiss_kappa(table), abs=1e-12)


# Artstein & Poesio (2008, Computational Linguistics 34(4), section 2.4, Table 4): two coders,
# 100 utterances, Stat/IReq/Chck. A_o = 0.88; S = 0.82, π = 0.7995, κ = 0.8013.
def _artstein_poesio() -> tuple[list[str], list[str]]:
    table = {("S", "S"): 46, ("S", "I"): 6, ("I", "I"): 32, ("C", "I"): 6, ("C", "C"): 10}
    a: list[str] = []
    b: list[str] = []
    for (x, y), n in table.items():
        a += [x] * n
        b += [y] * n
    return a, b


def test_artstein_poesio_s_pi_kappa() -> None:
    a, b = _artstein_poesio()
    assert scott_pi(a, b).value == pytest.approx(0.7995, abs=5e-5)
    assert cohen_kappa(a, b).value == pytest.approx(0.8013, abs=5e-5)
    codes = {"S": 0.0, "I": 1.0, "C": 2.0}
    x = np.array([[codes[v] for v in a], [codes[v] for v in b]])
    assert brennan_prediger(x, 3).value == pytest.approx(0.82, abs=1e-12)


def test_weighted_kappa_hand_computed_from_cohen_1968() -> None:
    # Cohen (1968): kappa_w = 1 - sum v_ij p_o,ij / sum v_ij p_e,ij. Three ordered categories,
    # 10 units: A = 1 1 1 2 2 2 3 3 3 3, B = 1 1 2 2 2 3 3 3 3 1.
    a = [1, 1, 1, 2, 2, 2, 3, 3, 3, 3]
    b = [1, 1, 2, 2, 2, 3, 3, 3, 3, 1]
    # linear v = |i-j|/2: observed disagreement (0.5 + 0.5 + 1) / 10 = 0.2
    # expected: rows (.3 .3 .4), cols (.3 .3 .4): sum v_ij r_i c_j = 0.5*(2*.09+2*.12)+1*(2*.12) = 0.45
    assert weighted_kappa(a, b, "linear").value == pytest.approx(1 - 0.2 / 0.45, abs=1e-12)
    # quadratic v = (|i-j|/2)^2: observed (0.25 + 0.25 + 1) / 10 = 0.15; expected 0.25*0.42 + 0.24 = 0.345
    assert weighted_kappa(a, b, "quadratic").value == pytest.approx(1 - 0.15 / 0.345, abs=1e-12)


def test_weighted_kappa_uses_every_scale_value_even_unused() -> None:
    a, b = [1.0, 2.0, 2.0], [1.0, 2.0, 1.0]
    two = weighted_kappa(a, b, "linear")
    five = weighted_kappa(a, b, "linear", categories=[1.0, 2.0, 3.0, 4.0, 5.0])
    assert two.value == pytest.approx(five.value)  # linear weights scale with q-1: the ratio is unchanged
    with pytest.raises(ValueError, match="not one of the categories"):
        weighted_kappa([7.0], [1.0], "linear", categories=[1.0, 2.0])


def _random_with_missing(seed: int, coders: int = 3, units: int = 300, q: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, q, units)
    x = np.where(rng.random((coders, units)) < 0.7, truth, rng.integers(0, q, (coders, units))).astype(float)
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


@pytest.mark.parametrize("seed", range(5))
def test_against_statsmodels_on_random_data_with_missing_values(seed: int) -> None:
    inter_rater = pytest.importorskip("statsmodels.stats.inter_rater")
    x = _random_with_missing(seed)
    for weights in ("linear", "quadratic"):
        both = ~np.isnan(x[0]) & ~np.isnan(x[1])
        a, b = x[0, both].astype(int), x[1, both].astype(int)
        table = np.bincount(a * 4 + b, minlength=16).reshape(4, 4)
        ours = weighted_kappa(x[0], x[1], weights, categories=[0.0, 1.0, 2.0, 3.0])  # type: ignore[arg-type]
        assert ours.value == pytest.approx(inter_rater.cohens_kappa(table, wt=weights).kappa, abs=1e-12)
        assert ours.n_units == int(both.sum())
    complete = x[:, ~np.isnan(x).any(axis=0)].T.astype(int)
    counts, _ = inter_rater.aggregate_raters(complete, n_cat=4)
    assert fleiss_kappa_listwise(x).value == pytest.approx(inter_rater.fleiss_kappa(counts), abs=1e-12)
    # Randolph's free-marginal kappa is Brennan-Prediger's S on complete data
    s = brennan_prediger(x[:, ~np.isnan(x).any(axis=0)], 4).value
    assert s == pytest.approx(inter_rater.fleiss_kappa(counts, method="randolph"), abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_ratio_alpha_against_the_krippendorff_package(seed: int) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    x = _random_with_missing(seed, coders=4, q=6) + 1.0
    expected = krippendorff.alpha(reliability_data=x, level_of_measurement="ratio")
    assert krippendorff_alpha(x, "ratio").value == pytest.approx(expected, abs=1e-9)


def test_binary_fast_paths_equal_the_general_paths() -> None:
    rng = np.random.default_rng(3)
    x = (rng.random((3, 400)) < 0.2).astype(float)
    x[rng.random(x.shape) < 0.1] = np.nan
    relabel = np.where(np.isnan(x), np.nan, x + 10.0)  # the same data, not 0/1: general path
    for f in (gwet_ac1, brennan_prediger):
        assert f(x, 2).value == pytest.approx(f(relabel, 2).value, abs=1e-12)
    assert fleiss_kappa_listwise(x).value == pytest.approx(fleiss_kappa_listwise(relabel).value, abs=1e-12)
    fast, slow = pairwise_scott_pi(x), pairwise_scott_pi(relabel)
    for pair in fast:
        assert fast[pair].value == pytest.approx(slow[pair].value, abs=1e-12)


def test_the_kappa_paradox_is_visible_on_a_rare_code() -> None:
    # 100 statements, a code used by A once and B once on different statements: 98% agreement,
    # kappa and pi near 0, AC1 near 1, and the code is flagged rare.
    a, b = np.zeros(100), np.zeros(100)
    a[0], b[1] = 1.0, 1.0
    x = np.vstack([a, b])
    assert percent_agreement(x).value == pytest.approx(0.98)
    assert cohen_kappa(a, b).value == pytest.approx(-0.0101, abs=1e-4)
    assert gwet_ac1(x, 2).value == pytest.approx(0.9796, abs=1e-4)
    assert is_rare(prevalence(x)) and not is_rare(0.5)


def test_undefined_cases_have_reasons_not_numbers() -> None:
    assert weighted_kappa([N, 1.0], [1.0, N]).reason is not None
    assert scott_pi([1.0, 1.0], [1.0, 1.0]).value is None
    listwise = fleiss_kappa_listwise(np.array([[1.0, N], [N, 0.0]]))
    assert listwise.value is None and "rated by all 2 coders" in (listwise.reason or "")
    assert gwet_ac1(np.full((2, 3), N)).value is None


def test_numbers_have_fixed_decimals_and_never_minus_zero() -> None:
    assert number_text(-0.0001) == "0.000" and number_text(-0.0) == "0.000"
    assert cell_text(0.5) == "0.500" and cell_text(-0.02) == "-0.020" and cell_text(1.0) == "1.000"


ratings = st.lists(st.sampled_from([0.0, 1.0, 2.0, N]), min_size=6, max_size=6)


@settings(max_examples=60, deadline=None)
@given(st.lists(ratings, min_size=2, max_size=4), st.permutations(range(4)))
def test_invariants_bounds_and_coder_symmetry(rows: list[list[float]], order: list[int]) -> None:
    x = np.array(rows)
    perm = [i for i in order if i < x.shape[0]]
    for f in (
        lambda d: krippendorff_alpha(d),
        lambda d: krippendorff_alpha(d, "ordinal"),
        lambda d: gwet_ac1(d, 3),
        lambda d: brennan_prediger(d, 3),
        fleiss_kappa_listwise,
    ):
        one, other = f(x), f(x[perm])
        assert (one.value is None) == (other.value is None)
        if one.value is not None:
            assert one.value == pytest.approx(other.value, abs=1e-9)  # the order of coders does not matter
            assert -1.0 - 1e-9 <= one.value <= 1.0 + 1e-9
    if x.shape[0] == 2:
        assert scott_pi(x[0], x[1]).value == pytest.approx(scott_pi(x[1], x[0]).value)


@pytest.mark.parametrize("seed", range(4))
def test_one_pass_figures_equal_the_single_functions(seed: int) -> None:
    from qcoder.analysis.agreement_coefficients import code_figures
    from qcoder.analysis.agreement_stats import fleiss_kappa, pairwise_cohen_kappa, pairwise_holsti

    rng = np.random.default_rng(seed)
    x = (rng.random((4, 500)) < 0.1 * (seed + 1)).astype(float)
    x[rng.random(x.shape) < 0.05 * seed] = np.nan
    fast = code_figures(x)
    assert fast is not None
    assert fast.percent == percent_agreement(x) and fast.percent_pairwise == percent_agreement(x, pairwise=True)
    assert fast.kappa == pairwise_cohen_kappa(x) and fast.holsti == pairwise_holsti(x)
    assert fast.pi == pairwise_scott_pi(x) and fast.alpha == krippendorff_alpha(x)
    assert fast.fleiss == fleiss_kappa(x) and fast.fleiss_listwise == fleiss_kappa_listwise(x)
    assert fast.bp == brennan_prediger(x, 2) and fast.ac1 == gwet_ac1(x, 2) and fast.prevalence == prevalence(x)
    assert code_figures(x + 1.0) is None  # not 0/1: the single functions take the general paths
