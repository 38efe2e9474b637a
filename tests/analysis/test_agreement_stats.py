"""Agreement statistics: published worked examples, undefined cases, missing data, cross-checks."""

from __future__ import annotations

import itertools

import krippendorff
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcoder.analysis.agreement_stats import (
    ALL_MISSING,
    ALWAYS_USED,
    FLEISS_MISSING,
    HOLSTI_UNUSED,
    NEVER_USED,
    NO_CODES,
    NO_PAIRS,
    NONE_LABEL,
    NOT_BOTH,
    ONE_CODER,
    ONE_VALUE,
    alpha_masi,
    bootstrap_alpha_ci,
    cohen_kappa,
    cohen_kappa_from_table,
    confusion,
    fleiss_kappa,
    holsti,
    krippendorff_alpha,
    masi_distance,
    pairwise_cohen_kappa,
    pairwise_holsti,
    percent_agreement,
    pooled_alpha,
)

nan = np.nan

# ----------------------------------------------------------------- published examples

# Krippendorff, K. (2011). Computing Krippendorff's Alpha-Reliability. Annenberg School
# for Communication, University of Pennsylvania, section C ("Nominal, ordinal, interval
# data, any number of observers, missing values"): 4 observers x 12 units.
# Published: nominal .743, ordinal .815, interval .849.
KRIPPENDORFF_2011_C = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],  # observer A
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],  # observer B
    [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],  # observer C
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan],  # observer D
]


@pytest.mark.parametrize(("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)])
def test_krippendorff_2011_section_c(level: str, published: float) -> None:
    stat = krippendorff_alpha(KRIPPENDORFF_2011_C, level)
    assert stat.value is not None and round(stat.value, 3) == published
    assert stat.n_units == 11  # unit 12 has a single value: not pairable
    assert stat.part("n_values") == 40


def test_krippendorff_2011_nominal_disagreements() -> None:
    # Same source: 40 pairable values; the coincidence-matrix margins (values 1..5 over the
    # 11 pairable units) are n_c = 9, 13, 10, 5, 3, so nominal D_e = (40^2 - sum n_c^2) / (40 * 39).
    stat = krippendorff_alpha(KRIPPENDORFF_2011_C, "nominal")
    assert stat.expected == pytest.approx((40 * 40 - (9**2 + 13**2 + 10**2 + 5**2 + 3**2)) / (40 * 39))


# Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and
# Psychological Measurement 20(1), 37-46, Table 1: 200 units, 3 categories, judge A in
# rows, judge B in columns. p_o = .70, p_e = .41, kappa = .492.
COHEN_1960_TABLE = [[88, 14, 18], [10, 40, 10], [2, 6, 12]]


def test_cohen_1960_table() -> None:
    stat = cohen_kappa_from_table(COHEN_1960_TABLE)
    assert stat.observed == pytest.approx(0.70)
    assert stat.expected == pytest.approx(0.41)
    assert stat.value is not None and round(stat.value, 3) == 0.492


def _expand_table(table: list[list[int]], labels: list[str]) -> tuple[list[str], list[str]]:
    a: list[str] = []
    b: list[str] = []
    for i, row in enumerate(table):
        for j, count in enumerate(row):
            a += [labels[i]] * count
            b += [labels[j]] * count
    return a, b


def test_cohen_1960_from_unit_labels_with_missing() -> None:
    a, b = _expand_table(COHEN_1960_TABLE, ["x", "y", "z"])
    # Statements only one judge rated must not change the figure.
    a += ["x", None, "z", None]
    b += [None, "y", None, None]
    stat = cohen_kappa(a, b)
    assert stat.n_units == 200
    assert stat.value is not None and round(stat.value, 3) == 0.492
    numeric = {"x": 1.0, "y": 2.0, "z": 7.0, None: nan}
    assert cohen_kappa([numeric[v] for v in a], [numeric[v] for v in b]).value == pytest.approx(stat.value)


# Fleiss, J. L. (1971). Measuring nominal scale agreement among many raters. Psychological
# Bulletin 76(5), 378-382, Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses
# (1 depression, 2 personality disorder, 3 schizophrenia, 4 neurosis, 5 other).
# Published: P_bar = .556, P_e = .220, kappa = .430. Ratings as in R's irr::diagnoses
# (one string of six ratings per patient).
FLEISS_1971_DIAGNOSES = [
    "444444",
    "222555",
    "233335",
    "555555",
    "222444",
    "113333",
    "333355",
    "113334",
    "114444",
    "555555",
    "144444",
    "124444",
    "222333",
    "144444",
    "224445",
    "333335",
    "111455",
    "111112",
    "224444",
    "133555",
    "555555",
    "244444",
    "224555",
    "114444",
    "144445",
    "222224",
    "111155",
    "224444",
    "133333",
    "555555",
]
# Fleiss (1971) Table 1 as printed: raters per patient assigning each diagnosis 1..5.
FLEISS_1971_COUNTS = [
    (0, 0, 0, 6, 0),
    (0, 3, 0, 0, 3),
    (0, 1, 4, 0, 1),
    (0, 0, 0, 0, 6),
    (0, 3, 0, 3, 0),
    (2, 0, 4, 0, 0),
    (0, 0, 4, 0, 2),
    (2, 0, 3, 1, 0),
    (2, 0, 0, 4, 0),
    (0, 0, 0, 0, 6),
    (1, 0, 0, 5, 0),
    (1, 1, 0, 4, 0),
    (0, 3, 3, 0, 0),
    (1, 0, 0, 5, 0),
    (0, 2, 0, 3, 1),
    (0, 0, 5, 0, 1),
    (3, 0, 0, 1, 2),
    (5, 1, 0, 0, 0),
    (0, 2, 0, 4, 0),
    (1, 0, 2, 0, 3),
    (0, 0, 0, 0, 6),
    (0, 1, 0, 5, 0),
    (0, 2, 0, 1, 3),
    (2, 0, 0, 4, 0),
    (1, 0, 0, 4, 1),
    (0, 5, 0, 1, 0),
    (4, 0, 0, 0, 2),
    (0, 2, 0, 4, 0),
    (1, 0, 5, 0, 0),
    (0, 0, 0, 0, 6),
]


def _diagnoses() -> np.ndarray:
    return np.array([[int(ch) for ch in patient] for patient in FLEISS_1971_DIAGNOSES], dtype=float).T


def test_fleiss_1971_data_matches_printed_table() -> None:
    counts = [tuple(int((row == k).sum()) for k in range(1, 6)) for row in _diagnoses().T]
    assert counts == FLEISS_1971_COUNTS


def test_fleiss_1971_kappa() -> None:
    stat = fleiss_kappa(_diagnoses())
    assert stat.value is not None and round(stat.value, 3) == 0.430
    assert round(stat.observed or 0, 3) == 0.556 and round(stat.expected or 0, 3) == 0.220
    assert (stat.n_units, stat.n_coders) == (30, 6)


def test_fleiss_observed_agreement_is_pairwise_percent_agreement() -> None:
    x = _diagnoses()
    assert percent_agreement(x, pairwise=True).value == pytest.approx(fleiss_kappa(x).observed)
    assert percent_agreement(x).value == pytest.approx(5 / 30)  # patients 1, 4, 10, 21, 30 unanimous


def test_fleiss_binary_fast_path_matches_general_path() -> None:
    rng = np.random.default_rng(7)
    x = (rng.random((4, 200)) < 0.3).astype(float)
    relabelled = np.where(x == 1.0, 5.0, 2.0)  # same partition, takes the general path
    assert fleiss_kappa(x).value == pytest.approx(fleiss_kappa(relabelled).value, abs=1e-12)


# NLTK nltk/metrics/distance.py, masi_distance docstring (Passonneau 2006 MASI): since
# nltk/nltk#3695 (fixing #3361) NLTK uses Passonneau's exact 2/3 and 1/3 and the doctest reads
# masi_distance({1, 2}, {1, 2, 3, 4}) == 2/3; older releases rounded to 0.67 and printed 0.665.
def test_nltk_masi_example() -> None:
    assert masi_distance({1, 2}, {1, 2, 3, 4}) == pytest.approx(2 / 3, abs=1e-15)
    assert masi_distance({1, 2}, {1, 2, 3, 4}, exact=False) == pytest.approx(0.665)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ({"x"}, {"x"}, 0.0),
        (set(), set(), 0.0),
        ({"x"}, {"y"}, 1.0),
        (set(), {"y"}, 1.0),
        ({"x", "y"}, {"y", "z"}, 1 - (1 / 3) * (1 / 3)),
        ({"x", "y", "z"}, {"x"}, 1 - (1 / 3) * (2 / 3)),
    ],
)
def test_masi_cases(a: set[str], b: set[str], expected: float) -> None:
    assert masi_distance(a, b) == pytest.approx(expected)
    assert masi_distance(b, a) == pytest.approx(expected)


# ----------------------------------------------------------------- undefined cases


def test_code_never_used_is_undefined_not_one() -> None:
    x = np.zeros((3, 50))
    x[1, :10] = nan
    for stat in (krippendorff_alpha(x), fleiss_kappa(np.zeros((3, 50))), pooled_alpha([x, x])):
        assert stat.value is None and stat.reason == NEVER_USED
    kappa = cohen_kappa(x[0], x[1])
    assert kappa.value is None and kappa.reason == NEVER_USED
    h = holsti(x[0], x[2])
    assert h.value is None and h.reason == HOLSTI_UNUSED
    # Percent agreement is defined (and 1.0): it is the figure that hides this.
    assert percent_agreement(x).value == 1.0


def test_code_used_everywhere_is_undefined() -> None:
    stat = krippendorff_alpha(np.ones((2, 5)))
    assert stat.value is None and stat.reason == ALWAYS_USED


def test_single_coder() -> None:
    x = np.array([[1.0, 0.0, 1.0]])
    for stat in (krippendorff_alpha(x), percent_agreement(x), fleiss_kappa(x), pooled_alpha([x])):
        assert stat.value is None and stat.reason == ONE_CODER
    assert alpha_masi([[frozenset({"a"})], [frozenset()]]).reason == ONE_CODER


def test_all_missing() -> None:
    x = np.full((3, 4), nan)
    for stat in (krippendorff_alpha(x), percent_agreement(x), pooled_alpha([x])):
        assert stat.value is None and stat.reason == ALL_MISSING
    assert cohen_kappa(x[0], x[1]).reason == NOT_BOTH
    assert holsti(x[0], x[1]).reason == NOT_BOTH
    assert alpha_masi([[None, None], [None, None]]).reason == ALL_MISSING


def test_no_unit_with_two_coders() -> None:
    x = np.array([[1.0, nan, 0.0], [nan, 1.0, nan]])
    for stat in (krippendorff_alpha(x), percent_agreement(x), pooled_alpha([x])):
        assert stat.value is None and stat.reason == NO_PAIRS
    assert krippendorff_alpha(np.array([[1.0, nan], [nan, 2.0]]), "interval").reason == NO_PAIRS
    assert cohen_kappa(x[0], x[1]).reason == NOT_BOTH


def test_fleiss_undefined_with_missing() -> None:
    x = _diagnoses()
    x[2, 5] = nan
    stat = fleiss_kappa(x)
    assert stat.value is None and stat.reason == FLEISS_MISSING.format(k=1, n=30)


def test_multivalued_single_value_undefined() -> None:
    stat = krippendorff_alpha(np.array([[3.0, 3.0, nan], [3.0, 3.0, 3.0]]), "interval")
    assert stat.value is None and stat.reason is not None and stat.reason.startswith("no variation")


def test_label_kappa_without_variation() -> None:
    stat = cohen_kappa(["a", "a", None], ["a", "a", "b"])
    assert stat.value is None and stat.reason == ONE_VALUE and stat.n_units == 2


def test_masi_nobody_coded_anything() -> None:
    empty = frozenset()
    stat = alpha_masi([[empty, empty, None], [empty, empty, empty]])
    assert stat.value is None and stat.reason == NO_CODES


def test_bootstrap_undefined_propagates() -> None:
    ci = bootstrap_alpha_ci(np.zeros((2, 10)), n_boot=50)
    assert (ci.low, ci.high, ci.reason) == (None, None, NEVER_USED)


# ----------------------------------------------------------------- missing is never 0

# Coder B has not reviewed the statements coder A coded on units 2-3. Treated as 0 these
# would be disagreements; as missing they drop out (units 2-3 have a single value).
A = [1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
B = [1.0, nan, nan, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0]


def _zero_filled(*rows: list[float]) -> np.ndarray:
    return np.nan_to_num(np.array(rows), nan=0.0)


def test_missing_not_zero_alpha() -> None:
    both = [0, 3, 4, 5, 6, 7, 8, 9]
    expected = krippendorff_alpha(np.array([A, B])[:, both]).value
    assert krippendorff_alpha([A, B]).value == pytest.approx(expected)
    assert krippendorff_alpha([A, B]).value != pytest.approx(krippendorff_alpha(_zero_filled(A, B)).value)
    assert pooled_alpha([np.array([A, B])]).value == pytest.approx(expected)


def test_missing_not_zero_kappa_percent_holsti() -> None:
    pa = percent_agreement([A, B])
    assert (pa.value, pa.n_units) == (7 / 8, 8)
    assert percent_agreement(_zero_filled(A, B)).value == 0.7
    kappa, zero_kappa = cohen_kappa(A, B), cohen_kappa(*_zero_filled(A, B))
    assert kappa.n_units == 8 and kappa.value != pytest.approx(zero_kappa.value)
    h = holsti(A, B)
    assert (h.part("M"), h.part("N1"), h.part("N2")) == (3, 3, 4)
    assert h.value == pytest.approx(6 / 7)
    assert holsti(*_zero_filled(A, B)).value == pytest.approx(6 / 9)


def test_missing_not_zero_masi() -> None:
    units = [[frozenset({"a"}), frozenset({"a"})], [frozenset({"b"}), None], [frozenset(), frozenset()]]
    filled = [[frozenset({"a"}), frozenset({"a"})], [frozenset({"b"}), frozenset()], [frozenset(), frozenset()]]
    assert alpha_masi(units).value == pytest.approx(1.0)
    assert alpha_masi(filled).value is not None and alpha_masi(filled).value < 1.0


# ----------------------------------------------------------------- small hand examples


def test_percent_agreement_all_vs_pairwise() -> None:
    x = np.array([[1, 1, 0, 0], [1, 0, 0, nan], [1, 1, 1, nan]], dtype=float)
    assert percent_agreement(x).value == pytest.approx(1 / 3)  # of 3 pairable units only unit 1 is unanimous
    # agreeing ordered pairs: unit1 6/6, unit2 2/6, unit3 2/6, unit4 (one value) skipped
    assert percent_agreement(x, pairwise=True).value == pytest.approx(10 / 18)


def test_holsti_all_decisions_equals_percent_agreement() -> None:
    stat = holsti(A, B, basis="all")
    assert stat.value == pytest.approx(percent_agreement([A, B]).value)


def test_confusion_counts() -> None:
    a = [frozenset({"x"}), frozenset({"x", "y"}), frozenset(), frozenset({"y"}), None, frozenset()]
    b = [frozenset({"x"}), frozenset({"z"}), frozenset({"z"}), frozenset(), frozenset({"x"}), frozenset()]
    table = confusion(a, b)
    assert table.n_units == 5
    assert table.as_dict() == {
        ("x", "x"): 1,
        ("x", "z"): 1,
        ("y", "z"): 1,
        (NONE_LABEL, "z"): 1,
        ("y", NONE_LABEL): 1,
        (NONE_LABEL, NONE_LABEL): 1,
    }
    assert table.get("z", "x") == 0
    assert table.labels[-1] == NONE_LABEL


# ----------------------------------------------------------------- cross-checks


def _random_data(rng: np.random.Generator, shape: tuple[int, int], values: int, missing: float) -> np.ndarray:
    x = rng.integers(0, values, size=shape).astype(float)
    x[rng.random(shape) < missing] = nan
    return x


def _reference(x: np.ndarray, level: str) -> float:
    return float(krippendorff.alpha(reliability_data=x, level_of_measurement=level))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(("values", "level"), [(2, "nominal"), (5, "nominal"), (6, "interval"), (6, "ordinal")])
def test_alpha_matches_krippendorff_package_seeded(seed: int, values: int, level: str) -> None:
    rng = np.random.default_rng(seed)
    x = _random_data(rng, (int(rng.integers(2, 7)), 300), values, missing=0.25)
    if level == "interval":
        x = x * 1.7 - 3.0  # non-integer scale
    assert krippendorff_alpha(x, level).value == pytest.approx(_reference(x, level), abs=1e-9)


@st.composite
def reliability_data(draw: st.DrawFn) -> np.ndarray:
    coders = draw(st.integers(2, 5))
    units = draw(st.integers(2, 25))
    values = draw(st.integers(2, 4))
    cells = draw(
        st.lists(st.one_of(st.none(), st.integers(0, values - 1)), min_size=coders * units, max_size=coders * units)
    )
    return np.array([nan if v is None else float(v) for v in cells]).reshape(coders, units)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(reliability_data(), st.sampled_from(["nominal", "interval", "ordinal"]))
def test_alpha_matches_krippendorff_package_hypothesis(x: np.ndarray, level: str) -> None:
    stat = krippendorff_alpha(x, level)
    if stat.value is None:
        assert stat.reason is not None
        present = x[:, np.count_nonzero(~np.isnan(x), axis=0) >= 2]
        assert np.unique(present[~np.isnan(present)]).size <= 1
        return
    assert stat.value == pytest.approx(_reference(x, level), abs=1e-9)


@pytest.mark.parametrize(("values", "level"), [(2, "nominal"), (4, "nominal"), (4, "ordinal"), (5, "interval")])
def test_pooled_alpha_equals_alpha_on_concatenation(values: int, level: str) -> None:
    rng = np.random.default_rng(values)
    codes = [_random_data(rng, (4, int(rng.integers(1, 80))), values, missing=0.2) for _ in range(7)]
    codes.append(np.full((4, 5), nan))
    expected = _reference(np.hstack(codes), level)
    assert pooled_alpha(codes, level).value == pytest.approx(expected, abs=1e-9)
    assert krippendorff_alpha(np.hstack(codes), level).value == pytest.approx(expected, abs=1e-9)


def test_pairwise_kappa_and_holsti_match_two_coder_functions() -> None:
    rng = np.random.default_rng(3)
    x = (rng.random((4, 500)) < 0.2).astype(float)
    x[rng.random(x.shape) < 0.1] = nan
    kappas, holstis = pairwise_cohen_kappa(x), pairwise_holsti(x)
    holstis_all = pairwise_holsti(x, basis="all")
    assert sorted(kappas) == list(itertools.combinations(range(4), 2))
    for i, j in kappas:
        assert kappas[(i, j)].value == pytest.approx(cohen_kappa(x[i], x[j]).value, abs=1e-12)
        assert holstis[(i, j)].value == pytest.approx(holsti(x[i], x[j]).value, abs=1e-12)
        assert holstis_all[(i, j)].value == pytest.approx(holsti(x[i], x[j], basis="all").value, abs=1e-12)


def test_large_binary_data_across_blocks() -> None:
    # More units than one processing block, and not a multiple of 8 (bit packing).
    rng = np.random.default_rng(17)
    units = 40_003
    truth = rng.random(units) < 0.06
    x = np.vstack([np.where(rng.random(units) < 0.08, ~truth, truth) for _ in range(4)]).astype(float)
    x[rng.random(x.shape) < 0.05] = nan
    x[:, -1] = [1.0, 1.0, nan, 0.0]
    assert krippendorff_alpha(x).value == pytest.approx(_reference(x, "nominal"), abs=1e-9)
    pairable = x[:, np.count_nonzero(~np.isnan(x), axis=0) >= 2]
    unanimous = np.nanmin(pairable, axis=0) == np.nanmax(pairable, axis=0)
    assert percent_agreement(x).value == pytest.approx(unanimous.mean(), abs=1e-12)
    kappas, holstis = pairwise_cohen_kappa(x), pairwise_holsti(x)
    for i, j in kappas:
        assert kappas[(i, j)].value == pytest.approx(cohen_kappa(x[i], x[j]).value, abs=1e-12)
        assert holstis[(i, j)].parts == holsti(x[i], x[j]).parts


def test_binary_cohen_matches_textbook_formula() -> None:
    rng = np.random.default_rng(11)
    a, b = (rng.random((2, 400)) < 0.4).astype(float)
    po = float(np.mean(a == b))
    pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    assert cohen_kappa(a, b).value == pytest.approx((po - pe) / (1 - pe), abs=1e-12)


def _alpha_masi_reference(units: list[list[frozenset | None]]) -> float:
    """Textbook pairable-values alpha with MASI, by explicit pair enumeration."""
    pairable = [[v for v in u if v is not None] for u in units]
    pairable = [u for u in pairable if len(u) >= 2]
    values = [v for u in pairable for v in u]
    n = len(values)
    d_o = (
        sum(
            masi_distance(u[i], u[j]) / (len(u) - 1)
            for u in pairable
            for i in range(len(u))
            for j in range(len(u))
            if i != j
        )
        / n
    )
    d_e = sum(masi_distance(values[i], values[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    return 1 - d_o / d_e


@pytest.mark.parametrize("seed", range(4))
def test_alpha_masi_matches_pair_enumeration(seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = ["a", "b", "c", "d"]
    units = [
        [None if rng.random() < 0.2 else frozenset(c for c in codes if rng.random() < 0.35) for _ in range(3)]
        for _ in range(40)
    ]
    assert alpha_masi(units).value == pytest.approx(_alpha_masi_reference(units), abs=1e-12)


def test_alpha_masi_on_single_labels_is_nominal_alpha() -> None:
    rng = np.random.default_rng(5)
    x = _random_data(rng, (3, 60), 4, missing=0.2)
    units = [[None if np.isnan(v) else frozenset({int(v)}) for v in x[:, u]] for u in range(x.shape[1])]
    assert alpha_masi(units).value == pytest.approx(_reference(x, "nominal"), abs=1e-12)


def test_bootstrap_ci_is_seeded_and_brackets_estimate() -> None:
    rng = np.random.default_rng(2)
    truth = (rng.random(400) < 0.3).astype(float)
    x = np.vstack([np.where(rng.random(400) < 0.1, 1 - truth, truth) for _ in range(3)])
    x[rng.random(x.shape) < 0.05] = nan
    first, again = bootstrap_alpha_ci(x, n_boot=300, seed=1), bootstrap_alpha_ci(x, n_boot=300, seed=1)
    assert first == again
    assert first.low is not None and first.high is not None
    assert first.low < (first.estimate.value or 0) < first.high
    # A naive bootstrap (resample columns, recompute alpha) gives nearly the same interval.
    naive_rng = np.random.default_rng(9)
    pairable = x[:, np.count_nonzero(~np.isnan(x), axis=0) >= 2]
    naive = [
        krippendorff_alpha(pairable[:, naive_rng.integers(0, pairable.shape[1], pairable.shape[1])]).value
        for _ in range(300)
    ]
    low, high = np.quantile(naive, [0.025, 0.975])
    assert first.low == pytest.approx(low, abs=0.03) and first.high == pytest.approx(high, abs=0.03)


def test_bootstrap_perfect_agreement() -> None:
    x = np.array([[1, 0, 2, 1, 0, 2, 1] * 5] * 3, dtype=float)
    ci = bootstrap_alpha_ci(x, n_boot=100, measurement="interval")
    assert (ci.low, ci.high) == (1.0, 1.0)
