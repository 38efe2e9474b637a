"""Paper tables: categories with example statements, main categories, relations, storyline."""

from __future__ import annotations

import pytest
from gt_builders import GT, build_gt

from qcoder.analysis.tables import (
    category_table,
    examples,
    main_category_table,
    paper_tables,
    relation_table,
    storyline,
    storyline_table,
)
from qcoder.store.settings import set_setting


@pytest.fixture
def gt(project) -> GT:  # type: ignore[no-untyped-def]
    return build_gt(project)


def test_category_table_lists_concepts_and_first_statement_in_document_order(gt: GT) -> None:
    with gt.project.session() as session:
        table = category_table(session, level=1)
    assert table.columns == ["初始范畴", "概念", "典型原始语句"]
    assert table.rows == [
        ["范畴1", "概念a、概念b", "“企业是科技创新的主体。”（D01-S001）"],
        ["范畴2", "概念c", "“市场需求牵引技术创新。”（D02-S001）"],
    ]


def test_example_is_first_in_document_order_not_in_coding_order(gt: GT) -> None:
    late = gt.alice.create_code("后来的概念", 0, parent_id=gt.ids["范畴2"], code_sentences=[gt.s["D02-S003"]])
    gt.bob.code_statements([gt.s["D01-S003"]], late.id)  # coded later, but earlier in the corpus
    with gt.project.session() as session:
        found = examples(session, [late.id, gt.ids["范畴2"]])
    assert found[late.id].label == "D01-S003" and not found[late.id].chosen
    assert found[gt.ids["范畴2"]].label == "D01-S003"  # rolled up: the category sees it too


def test_chosen_exemplar_wins(gt: GT) -> None:
    gt.alice.update_code(gt.ids["范畴2"], exemplar_sentence_id=gt.s["D02-S002"])
    with gt.project.session() as session:
        table = category_table(session, level=1)
        found = examples(session, [gt.ids["范畴2"]])
    assert table.rows[1][2] == "“关键核心技术需要突破。”（D02-S002）"
    assert found[gt.ids["范畴2"]].chosen


def test_per_child_rows_give_each_concept_its_own_example(gt: GT) -> None:
    with gt.project.session() as session:
        table = category_table(session, level=1, per_child=True)
    assert [r[:2] for r in table.rows] == [["范畴1", "概念a"], ["范畴1", "概念b"], ["范畴2", "概念c"]]
    assert table.rows[2][2].endswith("（D02-S001）")


def test_main_category_table_joins_sub_categories_and_definitions(gt: GT) -> None:
    with gt.project.session() as session:
        table = main_category_table(session, level=2)
    assert table.columns == ["主范畴", "对应范畴", "范畴内涵"]
    assert table.rows == [["主A", "范畴1、范畴2、概念d", "主范畴A的内涵\n范畴1：范畴一的定义\n范畴2：范畴二的定义"]]


def test_relation_table_shows_arrows_types_and_notes_higher_levels_first(gt: GT) -> None:
    gt.alice.add_relation(gt.ids["概念a"], gt.ids["概念c"], "sequence", "先a后c")
    gt.alice.add_relation(gt.ids["范畴1"], gt.ids["范畴2"], "causal", "范畴一引发范畴二")
    with gt.project.session() as session:
        table = relation_table(session)
    assert table.rows == [
        ["范畴1 → 范畴2", "因果关系", "范畴一引发范畴二"],
        ["概念a → 概念c", "顺序关系", "先a后c"],
    ]


def test_storyline_is_the_memo_text(gt: GT) -> None:
    with gt.project.session() as session:
        assert storyline(session) is None
        assert storyline_table(session).rows == []
    gt.alice.set_storyline("创新联合体通过……赋能新质生产力。", core_code_id=gt.ids["核心"])
    with gt.project.session() as session:
        assert storyline(session) == "创新联合体通过……赋能新质生产力。"
        assert storyline_table(session).rows == [["创新联合体通过……赋能新质生产力。"]]


def test_paper_tables_in_english(gt: GT) -> None:
    gt.project.run(lambda s: set_setting(s, "language", "en"))
    with gt.project.session() as session:
        tables = paper_tables(session)
    assert [t.name for t in tables] == ["categories_1", "main_categories_2", "relations", "storyline"]
    assert tables[0].columns == ["initial category", "concept", "example statement"]
    assert tables[0].rows[0] == ["范畴1", "概念a, 概念b", '"企业是科技创新的主体。" (D01-S001)']
