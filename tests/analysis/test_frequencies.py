"""Frequencies per code and coder, the code × document matrix and co-occurrence, by hand."""

from __future__ import annotations

import pytest
from gt_builders import GT, build_gt

from qcoder.analysis.frequencies import (
    code_document_matrix,
    code_frequencies,
    cooccurrence,
    cooccurrence_table,
    frequency_table,
    matrix_table,
)


@pytest.fixture
def gt(project) -> GT:  # type: ignore[no-untyped-def]
    return build_gt(project)


def test_frequencies_roll_up_and_split_by_coder(gt: GT) -> None:
    with gt.project.session() as session:
        rows = {f.name: f for f in code_frequencies(session)}
    cat = rows["范畴1"]
    assert (cat.statements, cat.documents, cat.codings) == (2, 1, 4)  # a: alice 2 + bob 1, b: alice 1
    assert cat.per_coder == {"alice": 2, "bob": 1}
    main = rows["主A"]
    assert (main.statements, main.codings, main.per_coder) == (5, 7, {"alice": 3, "bob": 3})


def test_frequencies_at_one_level_sorted_by_statements(gt: GT) -> None:
    with gt.project.session() as session:
        rows = code_frequencies(session, level=0)
        direct = {f.name: f.statements for f in code_frequencies(session, level=1, rolled=False)}
        bob = {f.name: f for f in code_frequencies(session, level=0, coder="bob")}
    assert [(f.name, f.statements) for f in rows] == [
        ("概念a", 2),
        ("概念c", 2),
        ("概念b", 1),
        ("概念d", 1),
        ("概念e", 1),
    ]
    assert direct == {"范畴1": 0, "范畴2": 0}  # nobody coded a category directly
    assert (bob["概念a"].statements, bob["概念b"].statements, bob["概念a"].per_coder) == (1, 0, {"bob": 1})


def test_frequency_table_has_a_column_per_coder(gt: GT) -> None:
    with gt.project.session() as session:
        table = frequency_table(session, level=1)
    assert table.columns == ["编码", "层级", "语句数", "文档数", "编码次数", "alice", "bob"]
    assert table.rows == [["范畴1", "初始范畴", 2, 1, 4, 2, 1], ["范畴2", "初始范畴", 2, 1, 2, 1, 1]]


def test_code_document_matrix_counts_distinct_statements(gt: GT) -> None:
    with gt.project.session() as session:
        concepts = code_document_matrix(session, level=0)
        categories = code_document_matrix(session, level=1)
        direct = code_document_matrix(session, level=1, rolled=False)
        table = matrix_table(session, level=0)
    assert concepts.documents == ["D01", "D02", "D03"]
    assert [name for _, name in concepts.codes] == ["概念a", "概念b", "概念c", "概念d", "概念e"]
    assert concepts.counts.tolist() == [[2, 0, 0], [1, 0, 0], [0, 2, 0], [0, 1, 0], [1, 0, 0]]
    assert categories.counts.tolist() == [[2, 0, 0], [0, 2, 0]]
    assert direct.counts.sum() == 0
    assert table.columns == ["编码", "D01", "D02", "D03", "合计"] and table.rows[0] == ["概念a", 2, 0, 0, 2]


def test_cooccurrence_pooled_and_per_coder(gt: GT) -> None:
    gt.bob.code_statements([gt.s["D01-S002"]], gt.ids["概念c"])  # alice has 概念a there
    with gt.project.session() as session:
        pooled = cooccurrence(session, level=0)
        alice = cooccurrence(session, level=0, coder="alice")
        bob = cooccurrence(session, level=0, coder="bob")
        categories = cooccurrence(session, level=1)
        table = cooccurrence_table(session, level=0)
    assert pooled.pairs() == [("概念a", "概念b", 1), ("概念a", "概念c", 1)]
    assert alice.pairs() == [("概念a", "概念b", 1)]  # only alice coded both a and b on D01-S1
    assert bob.pairs() == []  # bob never put two concepts on one statement
    assert pooled.counts[0, 0] == 2  # the diagonal is the code's own statements
    assert categories.pairs() == [("范畴1", "范畴2", 1)]
    assert table.columns == ["编码A", "编码B", "全部编码者", "alice", "bob"]
    assert table.rows == [["概念a", "概念b", 1, 1, 0], ["概念a", "概念c", 1, 0, 0]]


def test_cooccurrence_counts_statements_with_many_codes(project) -> None:  # type: ignore[no-untyped-def]
    from factories import add_document

    from qcoder.coding.workbench import Workbench

    add_document(project, ["一。", "二。", "三。"])
    bench = Workbench(project, "alice")
    codes = [bench.create_code(f"c{i}", 0, code_sentences=[1, 2] if i < 3 else [2]) for i in range(5)]
    with project.session() as session:
        found = cooccurrence(session)
    counts = {(a, b): n for a, b, n in found.pairs()}
    # statement 2 carries all five codes, statement 1 the first three
    assert counts[("c0", "c1")] == counts[("c1", "c2")] == 2
    assert counts[("c0", "c4")] == counts[("c3", "c4")] == 1
    assert len(counts) == 10 and len(codes) == 5
