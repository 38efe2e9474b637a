"""Agreement on a real project (SQLite and PostgreSQL): hand-checked small projects.

The project: D01 (4 statements) and D02 (3) reviewed by A and B; C reviewed only D01;
D03 (2) reviewed only by A. Codes: category X (level 1) with concepts x1, x2; concepts
y and z (z never used).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import krippendorff
import numpy as np
import pytest
from factories import add_document
from sqlalchemy import update

from qcoder.analysis.agreement import AgreementRequest, agreement_report, confusion_view, load_units
from qcoder.analysis.agreement_stats import NEVER_USED, alpha_masi, krippendorff_alpha, masi_distance, pooled_alpha
from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.store.database import Project
from qcoder.store.models import Sentence
from qcoder.store.settings import set_setting

nan = np.nan


@dataclass
class Built:
    docs: list[int]
    sentences: list[list[int]]  # per document, sentence ids in order
    codes: dict[str, int]


def build(project: Project) -> Built:
    docs = [
        add_document(project, ["一", "二", "三", "四"], name="甲"),
        add_document(project, ["五", "六", "七"], name="乙"),
        add_document(project, ["八", "九"], name="丙"),
    ]

    def work(session) -> Built:  # type: ignore[no-untyped-def]
        set_setting(session, "language", "en")
        coders = {name: get_or_create_coder(session, name).id for name in "ABC"}
        category = create_code(session, "X", level=1)
        codes = {
            "X": category.id,
            "x1": create_code(session, "x1", level=0, parent=category).id,
            "x2": create_code(session, "x2", level=0, parent=category).id,
            "y": create_code(session, "y", level=0).id,
            "z": create_code(session, "z", level=0).id,
        }
        sentences = [
            [s.id for s in session.query(Sentence).filter_by(document_id=d).order_by(Sentence.ordinal)] for d in docs
        ]
        s = [sid for doc in sentences for sid in doc]  # s[0..3] D01, s[4..6] D02, s[7..8] D03
        for coder, doc in [("A", 0), ("A", 1), ("A", 2), ("B", 0), ("B", 1), ("C", 0)]:
            mark_reviewed(session, docs[doc], coders[coder])

        def code(coder: str, name: str, *positions: int) -> None:
            add_codings(session, [s[p] for p in positions], codes[name], coders[coder])

        code("A", "y", 0, 1, 4)
        code("B", "y", 0, 4, 5)
        code("C", "y", 0, 2)
        code("C", "y", 5)  # in D02, which C has not reviewed: left out, not a 1
        code("A", "x1", 1)
        code("A", "x2", 1)  # two concepts of X on one statement: X counts once
        code("B", "x2", 1)
        code("B", "x1", 2)
        code("C", "X", 1)  # directly on the category
        code("A", "y", 7)  # D03: only A reviewed it
        return Built(docs, sentences, codes)

    return project.run(work)


def report_for(project: Project, **kwargs):  # type: ignore[no-untyped-def]
    with project.session() as session:
        return agreement_report(session, AgreementRequest(**kwargs))


Y_EXPECTED = np.array(
    [
        [1, 1, 0, 0, 1, 0, 0],
        [1, 0, 0, 0, 1, 1, 0],
        [1, 0, 1, 0, nan, nan, nan],
    ]
)


def test_missing_stays_missing_and_figures_are_hand_checked(project: Project) -> None:
    build(project)
    report = report_for(project, coders=("A", "B", "C"), level=0)
    assert [d.label for d in report.data.documents] == ["D01", "D02"]  # D03: only A reviewed it
    y_index = [c.name for c in report.data.codes].index("y")
    np.testing.assert_array_equal(report.data.matrix(y_index), Y_EXPECTED)
    row = report.row("y")
    assert row.used == (3, 3, 2)
    # A-B over 7 statements both reviewed: p_o = 5/7, p_e = (3/7)^2 + (4/7)^2, kappa = 10/24
    assert row.kappa[(0, 1)].value == pytest.approx(10 / 24)
    # A-C only over D01 (C has not reviewed D02): A 1100, C 1010 -> p_o = p_e = 1/2, kappa = 0.
    # Had missing become 0, A-C would run over 7 statements with p_o = 4/7 and kappa 1/6.
    assert row.kappa[(0, 2)].n_units == 4
    assert row.kappa[(0, 2)].value == pytest.approx(0.0)
    assert row.percent.value == pytest.approx(4 / 7)
    assert row.holsti[(0, 1)].value == pytest.approx(4 / 6)
    assert (row.holsti[(0, 1)].part("M"), row.holsti[(0, 1)].part("N1")) == (2, 3)
    published = krippendorff.alpha(reliability_data=Y_EXPECTED, level_of_measurement="nominal")
    assert row.alpha.value == pytest.approx(published)
    as_zero = krippendorff_alpha(np.nan_to_num(Y_EXPECTED, nan=0.0)).value
    assert as_zero is not None and abs(as_zero - published) > 0.05
    assert row.fleiss.value is None and "missing" in (row.fleiss.reason or "")
    assert report.data.left_out == (0, 0, 1)
    assert any("left out" in note for note in report.notes)
    assert report.coverage == (0, 0, 3, 4)


def test_roll_up_from_children_and_direct_codings(project: Project) -> None:
    build(project)
    report = report_for(project, coders=("A", "B", "C"), level="initial_category")
    assert [c.name for c in report.data.codes] == ["X"]
    np.testing.assert_array_equal(
        report.data.matrix(0),
        [[0, 1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0], [0, 1, 0, 0, nan, nan, nan]],
    )
    assert report.rows[0].used == (1, 2, 1)


def test_named_codes_at_two_levels_both_count(project: Project) -> None:
    build(project)
    report = report_for(project, coders=("A", "B"), codes=("X", "x1"))
    assert [c.name for c in report.data.codes] == ["X", "x1"]
    np.testing.assert_array_equal(report.data.matrix(0), [[0, 1, 0, 0, 0, 0, 0], [0, 1, 1, 0, 0, 0, 0]])
    np.testing.assert_array_equal(report.data.matrix(1), [[0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0]])


def test_documents_default_to_those_two_chosen_coders_reviewed(project: Project) -> None:
    build(project)
    assert [d.label for d in report_for(project, coders=("A", "C")).data.documents] == ["D01"]
    assert [d.label for d in report_for(project, coders=("A", "B")).data.documents] == ["D01", "D02"]
    chosen = report_for(project, coders=("A", "B"), documents=("D03", "D01"))
    assert [d.label for d in chosen.data.documents] == ["D01", "D03"]
    y = chosen.data.matrix([c.name for c in chosen.data.codes].index("y"))
    np.testing.assert_array_equal(y, [[1, 1, 0, 0, 1, 0], [1, 0, 0, 0, nan, nan]])  # B never reviewed D03


def test_no_shared_documents_is_a_reason_not_a_crash(project: Project) -> None:
    build(project)
    with project.session() as session:
        get_or_create_coder(session, "D")
        session.commit()
    report = report_for(project, coders=("C", "D"))
    assert report.data.n_units == 0
    assert report.overall.pooled_alpha.value is None and report.overall.pooled_alpha.reason
    assert report.overall.masi_alpha.value is None
    assert any("review" in note for note in report.notes)
    assert all(row.alpha.value is None and row.alpha.reason for row in report.rows)


def test_never_used_code_is_undefined_with_reason(project: Project) -> None:
    build(project)
    row = report_for(project, coders=("A", "B", "C")).row("z")
    assert row.used == (0, 0, 0) and row.used_any == 0
    assert row.alpha.value is None and row.alpha.reason == NEVER_USED
    assert all(k.value is None and k.reason == NEVER_USED for k in row.kappa.values())
    assert all(h.value is None and h.reason for h in row.holsti.values())
    assert row.percent.value == 1.0  # percent agreement ignores chance: the reason kappa/alpha exist


def test_pooled_alpha_equals_the_statistic_on_the_same_arrays(project: Project) -> None:
    build(project)
    report = report_for(project, coders=("A", "B", "C"))
    arrays = [report.data.matrix(i) for i in range(len(report.data.codes))]
    assert report.overall.pooled_alpha.value == pooled_alpha(arrays).value
    # ... and equals alpha on the hand-written arrays concatenated along the units
    by_name = {
        "x1": [[0, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 0, nan, nan, nan]],
        "x2": [[0, 1, 0, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, nan, nan, nan]],
        "y": Y_EXPECTED,
        "z": [[0] * 7, [0] * 7, [0, 0, 0, 0, nan, nan, nan]],
    }
    joined = np.hstack([np.asarray(by_name[c.name], dtype=float) for c in report.data.codes])
    expected = krippendorff.alpha(reliability_data=joined, level_of_measurement="nominal")
    assert report.overall.pooled_alpha.value == pytest.approx(expected)


def _masi_alpha_by_hand(units: list[list[frozenset[str] | None]]) -> float:
    """Krippendorff's general alpha, written out pair by pair (no shortcuts)."""
    values = [[v for v in unit if v is not None] for unit in units]
    values = [v for v in values if len(v) >= 2]
    n = sum(len(v) for v in values)
    d_o = sum(sum(masi_distance(a, b) for a, b in itertools.permutations(v, 2)) / (len(v) - 1) for v in values) / n
    flat = [x for v in values for x in v]
    d_e = sum(masi_distance(a, b) for a, b in itertools.permutations(flat, 2)) / (n * (n - 1))
    return 1 - d_o / d_e


def test_masi_alpha_on_code_sets(project: Project) -> None:
    build(project)
    report = report_for(project, coders=("A", "B", "C"))
    f = frozenset
    units: list[list[frozenset[str] | None]] = [
        [f({"y"}), f({"y"}), f({"y"})],
        [f({"x1", "x2", "y"}), f({"x2"}), f()],
        [f(), f({"x1"}), f({"y"})],
        [f(), f(), f()],
        [f({"y"}), f({"y"}), None],
        [f(), f({"y"}), None],
        [f(), f(), None],
    ]
    assert report.overall.masi_alpha.value == pytest.approx(alpha_masi(units).value)
    assert report.overall.masi_alpha.value == pytest.approx(_masi_alpha_by_hand(units))


def test_confusion_view_for_two_coders(project: Project) -> None:
    build(project)
    with project.session() as session:
        view = confusion_view(session, AgreementRequest(coders=("A", "B")))
    conf = view.confusion
    assert conf.n_units == 7
    assert conf.get("y", "y") == 2  # s1 and s5
    # s2: A {x1, x2, y}, B {x2}: x2 shared; A's extras meet nothing of B's own
    assert conf.get("x2", "x2") == 1 and conf.get("x1", "x2") == 0
    assert conf.get("y", "(none)") == 1 and conf.get("x1", "(none)") == 1
    assert conf.get("(none)", "x1") == 1  # s3
    assert conf.get("(none)", "y") == 1  # s6
    assert conf.get("(none)", "(none)") == 2  # s4 and s7: both reviewed, neither coded


def test_headings_are_not_units(project: Project) -> None:
    built = build(project)
    project.run(
        lambda s: s.execute(update(Sentence).where(Sentence.id == built.sentences[0][3]).values(kind="heading"))
    )
    with project.session() as session:
        data = load_units(session, AgreementRequest(coders=("A", "B")))
    assert data.n_units == 6 and built.sentences[0][3] not in data.sentence_ids.tolist()


def test_bootstrap_intervals(project: Project) -> None:
    build(project)
    report = report_for(project, coders=("A", "B", "C"), bootstrap=200, seed=7)
    row = report.row("y")
    assert row.alpha_ci is not None and row.alpha_ci.n_boot == 200
    assert row.alpha_ci.low is not None and row.alpha_ci.high is not None
    assert row.alpha_ci.low <= row.alpha.value <= row.alpha_ci.high  # type: ignore[operator]
    ci = report.overall.pooled_ci
    assert ci is not None and ci.low is not None and ci.high is not None and ci.n_valid > 0
    assert ci.low < ci.high
    assert ci.estimate == pytest.approx(report.overall.pooled_alpha.value)  # the resampled formula is pooled alpha
    assert report.row("z").alpha_ci is not None and report.row("z").alpha_ci.reason == NEVER_USED  # type: ignore[union-attr]
    again = report_for(project, coders=("A", "B", "C"), bootstrap=200, seed=7).overall.pooled_ci
    assert again == ci  # the seed fixes the interval


def test_method_paragraph_states_unit_coders_documents_and_formulas(project: Project) -> None:
    build(project)
    report = report_for(project, coders=("A", "B", "C"))
    text = report.method
    for needle in (
        "statement",
        "A, B, C",
        "D01, D02",
        "Cohen's kappa",
        "Fleiss",
        "Krippendorff",
        "Holsti",
        "CR = 2M/(N₁ + N₂)",
        "MASI",
        "Passonneau",
        "missing",
        "2/3",
        "two empty sets are at distance 0",
        f"{report.overall.pooled_alpha.value:.3f}",
    ):
        assert needle in text, needle
    project.run(lambda s: set_setting(s, "language", "zh"))
    zh = report_for(project, coders=("A", "B", "C")).method
    assert "原始语句" in zh and "缺失值不按0处理" in zh and "MASI" in zh and "D01、D02" in zh


def test_unknown_coder_and_single_coder_are_one_line_errors(project: Project) -> None:
    from qcoder.errors import QcoderError

    build(project)
    with project.session() as session:
        with pytest.raises(QcoderError, match="no coder named 'Q'"):
            load_units(session, AgreementRequest(coders=("A", "Q")))
        with pytest.raises(QcoderError, match="two or more"):
            load_units(session, AgreementRequest(coders=("A", "A")))


# ----------------------------------------------------------------- the exact fast MASI path


@pytest.mark.parametrize("n_codes", [3, 8, 70, 130])  # 130 codes: masks of three 64-bit words
def test_fast_masi_alpha_equals_alpha_masi(n_codes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random code sets with missing values: every path of the fast computation gives alpha_masi's figure."""
    from qcoder.analysis import agreement_masi
    from qcoder.analysis.agreement_masi import alpha_masi_masks, coder_masks

    rng = np.random.default_rng(n_codes)
    for _ in range(25):
        k, u = int(rng.integers(2, 5)), int(rng.integers(1, 40))
        present = rng.random((k, u)) < rng.uniform(0.3, 1.0)
        rate = rng.uniform(0.02, 0.6 if n_codes < 50 else 0.06)  # sets of up to ~10 codes keep this quick
        coded = (rng.random((k, u, n_codes)) < rate) & present[:, :, None]
        masks = coder_masks(k, u, n_codes, *np.nonzero(coded))
        units = [
            [frozenset(np.flatnonzero(coded[c, i]).tolist()) if present[c, i] else None for c in range(k)]
            for i in range(u)
        ]
        expected = alpha_masi(units)
        for max_small in (None, 0, 3):  # moment method only, pairwise only, both
            got = alpha_masi_masks(masks, present, max_small=max_small)
            assert (got.value is None) == (expected.value is None)
            assert got.reason == expected.reason and got.n_units == expected.n_units
            if expected.value is not None:
                assert got.value == pytest.approx(expected.value, abs=1e-12)
        monkeypatch.setattr(agreement_masi, "_FLOAT_EXACT", 0)  # integer moments instead of float BLAS
        got = alpha_masi_masks(masks, present)
        monkeypatch.undo()
        assert got.value == expected.value or got.value == pytest.approx(expected.value, abs=1e-12)


def test_tables_for_four_coders_show_pair_means_and_a_pairwise_table(project: Project) -> None:
    from qcoder.analysis.agreement_output import report_tables

    built = build(project)

    def add_d(session) -> None:  # type: ignore[no-untyped-def]
        d = get_or_create_coder(session, "D").id
        mark_reviewed(session, built.docs[0], d)
        add_codings(session, [built.sentences[0][0]], built.codes["y"], d)

    project.run(add_d)
    report = report_for(project, coders=("A", "B", "C", "D"))
    per_code, chance, pairwise, overall = report_tables(report)
    assert chance.name == "agreement_chance" and len(chance.rows) == len(report.rows)
    assert "mean Cohen's κ" in per_code.columns and "mean Holsti CR" in per_code.columns
    y = per_code.rows[[r[0] for r in per_code.rows].index("y")]
    kappas = [report.row("y").kappa[p].value for p in report.pairs]
    assert y[per_code.columns.index("mean Cohen's κ")] == pytest.approx(np.mean([k for k in kappas if k is not None]))
    assert len(pairwise.rows) == len(report.rows) * 6
    a_b = next(r for r in pairwise.rows if r[0] == "y" and r[1] == "A–B")
    assert a_b[3] == pytest.approx(10 / 24) and a_b[5:8] == [2, 3, 3]  # kappa, then Holsti's M, N1, N2
    assert overall.notes and overall.notes[0].startswith("Method: The unit of analysis")


def test_long_id_lists_are_filtered_in_numpy_with_the_same_result(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past 500 documents or codes the SQL IN (...) is dropped; D03's codings must still stay out."""
    from qcoder.coding import agreement_units as agreement

    build(project)
    usual = report_for(project, coders=("A", "B", "C"))
    monkeypatch.setattr(agreement, "_IN_LIMIT", 1)
    unfiltered = report_for(project, coders=("A", "B", "C"))
    assert unfiltered.data.n_units == usual.data.n_units == 7
    for i in range(len(usual.data.codes)):
        np.testing.assert_array_equal(unfiltered.data.matrix(i), usual.data.matrix(i))


def test_rows_too_wide_to_pack_are_fetched_plainly(project: Project) -> None:
    from sqlalchemy import select

    from qcoder.coding.agreement_units import _fetch_ints
    from qcoder.store.models import Coding

    build(project)
    columns = [Coding.sentence_id, Coding.code_id, Coding.coder_id]
    with project.session() as session:
        packed = _fetch_ints(session, columns, [1000, 1000, 1000], lambda *e: select(*e))
        plain = _fetch_ints(session, columns, [2**30, 2**30, 2**30], lambda *e: select(*e))  # 93 bits: no packing
        rows = session.execute(select(*columns)).all()
    assert sorted(map(tuple, packed.tolist())) == sorted(map(tuple, plain.tolist())) == sorted(map(tuple, rows))
    assert len(rows) == 15
