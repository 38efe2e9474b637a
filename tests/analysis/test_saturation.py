"""Saturation: the new-concept curve, the held-out check's computed verdict, and the plots."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta

import pytest
from factories import add_document
from gt_builders import GT, build_gt

from qcoder.analysis.plots import nice_ticks, text_plot
from qcoder.analysis.saturation import holdout_check, saturation, saturation_tables
from qcoder.coding.workbench import Workbench
from qcoder.store.settings import set_setting


@pytest.fixture
def gt(project) -> GT:  # type: ignore[no-untyped-def]
    return build_gt(project)


def test_curve_counts_concepts_where_first_used(gt: GT) -> None:
    with gt.project.session() as session:
        curve = saturation(session)
    assert [(p.label, p.new, p.cumulative) for p in curve.points] == [
        ("D01", ("概念a", "概念b", "概念e"), 3),
        ("D02", ("概念c", "概念d"), 5),
        ("D03", (), 5),
    ]
    assert curve.total == 5 and curve.points[2].role == "holdout"


def test_coding_order_follows_the_first_coding_not_the_import(project) -> None:  # type: ignore[no-untyped-def]
    first = add_document(project, ["甲。", "乙。"])
    second = add_document(project, ["丙。", "丁。"])
    bench = Workbench(project, "alice")
    x = bench.create_code("x", 0, code_sentences=[3])  # the second document is coded first
    bench.create_code("y", 0, code_sentences=[1])
    bench.code_statements([4], x.id)
    with project.session() as session:
        coding = saturation(session)
        imported = saturation(session, order="import")
    assert [(p.document_id, p.new) for p in coding.points] == [(second, ("x",)), (first, ("y",))]
    assert [(p.document_id, p.new) for p in imported.points] == [(first, ("y",)), (second, ("x",))]


def test_holdout_not_coded_yet(gt: GT) -> None:
    with gt.project.session() as session:
        check = holdout_check(session)
    assert check.status == "not-coded" and check.freeze_at is None
    assert check.verdict_en == "the 1 held-out document(s) are not coded yet"


def test_no_new_concept_in_the_holdout_says_so(gt: GT) -> None:
    gt.alice.code_statements([gt.s["D03-S001"]], gt.ids["概念a"])
    with gt.project.session() as session:
        check = holdout_check(session)
    assert check.status == "saturated" and check.new_concepts == [] and check.freeze_source == "first held-out coding"
    assert check.verdict_en == (
        "no new concepts emerged in the held-out documents (1 document(s), 1 coded statement(s))"
    )
    assert check.verdict == "1 份留存文档（1 条已编码语句）中未出现新的概念"


def test_a_concept_first_used_in_the_holdout_is_listed(gt: GT) -> None:
    gt.alice.code_statements([gt.s["D03-S001"]], gt.ids["概念a"])
    gt.alice.create_code("概念f", 0, parent_id=gt.ids["范畴2"], code_sentences=[gt.s["D03-S002"]])
    with gt.project.session() as session:
        check = holdout_check(session)
    assert check.status == "new-concepts"
    assert [(c.name, c.reasons) for c in check.new_concepts] == [("概念f", ("only-holdout", "created-after-freeze"))]
    assert check.verdict_en == "1 new concept emerged: 概念f"
    assert check.verdict_zh == "留存文档中出现了 1 个新概念：概念f"


def test_a_concept_that_emerged_in_the_holdout_counts_even_if_used_later_elsewhere(gt: GT) -> None:
    g = gt.bob.create_code("概念g", 0, code_sentences=[gt.s["D03-S002"]])
    gt.bob.code_statements([gt.s["D01-S003"]], g.id)  # applied back to a coding document afterwards
    freeze = datetime.now(UTC) + timedelta(days=1)  # nothing was created after this freeze
    with gt.project.session() as session:
        check = holdout_check(session, freeze_at=freeze)
    assert [(c.name, c.reasons) for c in check.new_concepts] == [("概念g", ("first-used-in-holdout",))]
    assert check.freeze_source == "argument"


def test_codes_and_relations_created_after_an_explicit_freeze(gt: GT) -> None:
    gt.alice.code_statements([gt.s["D03-S001"]], gt.ids["概念a"])
    freeze = datetime.now(UTC)
    gt.alice.create_code("新范畴", 1, parent_id=gt.ids["主A"])
    gt.alice.add_relation(gt.ids["范畴1"], gt.ids["范畴2"], "causal", "")
    with gt.project.session() as session:
        check = holdout_check(session, freeze_at=freeze)
        early = holdout_check(session, freeze_at=datetime(2000, 1, 1))  # naive: taken as UTC
    assert check.new_concepts == [] and check.status == "saturated"
    assert [(c.name, c.reasons) for c in check.new_codes] == [("新范畴", ("created-after-freeze",))]
    assert [(r.source, r.target) for r in check.new_relations] == [("范畴1", "范畴2")]
    assert check.verdict_en.startswith("no new concepts emerged in the held-out documents")
    assert "1 other code(s) created after the freeze: 新范畴" in check.verdict_en
    assert "1 relation(s) created after the freeze: 范畴1 → 范畴2" in check.verdict_en
    assert len(early.new_concepts) == 5 and early.verdict_en.startswith("5 new concepts emerged: ")


def test_without_holdout_documents(project) -> None:  # type: ignore[no-untyped-def]
    add_document(project, ["一。"])
    Workbench(project, "alice").create_code("x", 0, code_sentences=[1])
    with project.session() as session:
        check = holdout_check(session)
    assert check.status == "no-holdout" and check.new_concepts == []
    assert "--role holdout" in check.verdict_en


def test_saturation_tables_carry_the_verdict(gt: GT) -> None:
    gt.alice.code_statements([gt.s["D03-S001"]], gt.ids["概念a"])
    gt.project.run(lambda s: set_setting(s, "language", "en"))
    with gt.project.session() as session:
        curve, check = saturation_tables(session)
    assert curve.columns == ["document", "name", "role", "new", "cumulative", "new codes"]
    assert curve.rows[0] == ["D01", "访谈一", "coding", 3, 3, "概念a, 概念b, 概念e"]
    assert check.rows[-1][1] == check.notes[0]
    assert check.notes[0].startswith("no new concepts emerged")


# ---------------------------------------------------------------------- plots
def test_nice_ticks() -> None:
    assert nice_ticks(5) == [0, 1, 2, 3, 4, 5]
    assert nice_ticks(33) == [0, 10, 20, 30, 40]
    assert nice_ticks(0) == [0, 1]


def test_figure_draws_the_curve_with_chinese_labels(gt: GT) -> None:
    """The drawn figure (matplotlib, CJK font): SVG keeps its labels as text; PNG is at print resolution."""
    from qcoder.analysis.figures import cjk_font, draw_saturation
    from qcoder.errors import QcoderError

    try:
        cjk_font()
    except QcoderError:
        pytest.skip("no CJK font installed")
    with gt.project.session() as session:
        curve = saturation(session)
    svg = draw_saturation(curve, "svg").decode()
    for label in ("概念饱和度曲线", "留存文档", "D01", "D03", "新增概念"):
        assert label in svg, label
    png = draw_saturation(curve, "png")
    width, height = struct.unpack(">II", png[16:24])
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and width >= 1500 and height >= 900


def test_text_plot_shows_bars_line_and_holdout(gt: GT) -> None:
    with gt.project.session() as session:
        lines = text_plot(saturation(session), width=30, height=5)
    assert lines[0].startswith("5 |") and lines[4].startswith("0 |")
    body = "\n".join(lines[:5])
    assert "*" in body and "#" in body
    assert any(set(line.strip()) == {"h"} for line in lines)
    assert "D01" in lines[-2] and "D03" in lines[-2]


def test_order_and_first_use_without_coding_ids_in_the_snapshot(gt: GT) -> None:
    """When coding ids do not fit the packed read, the same answers come from SQL."""
    from qcoder.analysis.snapshot import load_snapshot

    g = gt.bob.create_code("概念g", 0, code_sentences=[gt.s["D03-S002"]])
    gt.bob.code_statements([gt.s["D01-S003"]], g.id)
    future = datetime.now(UTC) + timedelta(days=1)
    with gt.project.session() as session:
        expected = (saturation(session, coder="bob").points, holdout_check(session, freeze_at=future).new_concepts)
    with gt.project.session() as session:
        load_snapshot(session).coding_ids = None
        found = (saturation(session, coder="bob").points, holdout_check(session, freeze_at=future).new_concepts)
    assert found == expected
    # bob coded D02 first; 概念g counts where it first appears in that order (D01), not in time
    assert [(p.label, p.new) for p in found[0]] == [
        ("D02", ("概念c", "概念d")),
        ("D01", ("概念a", "概念g")),
        ("D03", ()),
    ]
    assert [c.name for c in found[1]] == ["概念g"]


def test_document_labels_thin_out_but_keep_the_last() -> None:
    from qcoder.analysis.plots import _label_indices

    assert _label_indices(10, 3) == [0, 3, 6, 9]
    assert _label_indices(120, 5)[-3:] == [105, 110, 119]  # 115 would crowd D120
    assert _label_indices(3, 1) == [0, 1, 2] and _label_indices(0, 4) == []


def test_the_project_freeze_setting_is_used_when_no_time_is_given(gt: GT) -> None:
    gt.alice.code_statements([gt.s["D03-S001"]], gt.ids["概念a"])
    freeze = datetime.now(UTC)
    gt.project.run(lambda s: set_setting(s, "codebook_frozen_at", freeze.isoformat()))
    gt.alice.create_code("冻结后范畴", 1, parent_id=gt.ids["主A"])
    with gt.project.session() as session:
        check = holdout_check(session)
    assert check.freeze_source.startswith("project setting")
    assert [c.name for c in check.new_codes] == ["冻结后范畴"]
