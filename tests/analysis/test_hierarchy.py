"""The count chain, the rolled-up tree and the hierarchy warnings, counted by hand."""

from __future__ import annotations

import pytest
from factories import add_document
from gt_builders import GT, build_gt

from qcoder.analysis.hierarchy import dot, hierarchy, hierarchy_tables, mermaid
from qcoder.coding.workbench import Workbench
from qcoder.errors import NotFound
from qcoder.store.settings import set_setting


@pytest.fixture
def gt(project) -> GT:  # type: ignore[no-untyped-def]
    return build_gt(project)


def _by_name(h) -> dict:  # type: ignore[no-untyped-def]
    return {c.name: c for c in h.codes}


def test_chain_counts_coded_statements_and_codes_per_level(gt: GT) -> None:
    with gt.project.session() as session:
        h = hierarchy(session)
    assert h.total_statements == 9
    assert h.coded_statements == 6
    assert [(lv.name, lv.codes) for lv in h.levels] == [("概念", 5), ("初始范畴", 2), ("主范畴", 1), ("核心范畴", 1)]
    assert h.chain() == "6 条原始语句 → 5 个概念 → 2 个初始范畴 → 1 个主范畴 → 1 个核心范畴"


def test_chain_in_english_uses_the_english_level_names(gt: GT) -> None:
    gt.project.run(lambda s: set_setting(s, "language", "en"))
    with gt.project.session() as session:
        chain = hierarchy(session).chain()
    assert chain == "6 statements → 5 concepts → 2 initial categories → 1 main category → 1 core category"


def test_roll_up_counts_each_statement_once(gt: GT) -> None:
    with gt.project.session() as session:
        codes = _by_name(hierarchy(session))
    # 概念a: D01-S1 by alice and bob, D01-S2 → 2, not 3
    assert (codes["概念a"].statements, codes["概念a"].coders) == (2, ("alice", "bob"))
    # 范畴1 = a ∪ b = {D01-S1, D01-S2}: S1 was coded by two concepts and two coders
    assert codes["范畴1"].statements == 2
    assert codes["范畴2"].statements == 2
    assert (codes["主A"].statements, codes["主A"].documents) == (5, 2)
    assert codes["核心"].statements == 5
    assert codes["概念e"].statements == 1


def test_tree_is_in_preorder_with_depths(gt: GT) -> None:
    with gt.project.session() as session:
        h = hierarchy(session)
    assert [(c.name, c.depth) for c in h.codes] == [
        ("核心", 0),
        ("主A", 1),
        ("范畴1", 2),
        ("概念a", 3),
        ("概念b", 3),
        ("范畴2", 2),
        ("概念c", 3),
        ("概念d", 2),
        ("概念e", 0),
    ]


def test_warnings_name_orphans_and_skipped_levels(gt: GT) -> None:
    with gt.project.session() as session:
        warnings = hierarchy(session).warnings
    kinds = {w.kind: w for w in warnings}
    assert set(kinds) == {"no-parent", "skipped-level"}
    assert "概念e" in kinds["no-parent"].message and kinds["no-parent"].code_ids == (gt.ids["概念e"],)
    assert "概念d" in kinds["skipped-level"].message and "初始范畴" in kinds["skipped-level"].message


def test_empty_levels_and_unused_codes_are_warned(project) -> None:  # type: ignore[no-untyped-def]
    add_document(project, ["一句话。", "另一句话。"])
    bench = Workbench(project, "alice")
    bench.create_code("用过", 0, code_sentences=[1])
    bench.create_code("没用过", 0)
    with project.session() as session:
        h = hierarchy(session)
    kinds = [w.kind for w in h.warnings]
    assert kinds.count("empty-level") == 3
    assert "no-parent" not in kinds  # nothing above to attach the concepts to
    unused = next(w for w in h.warnings if w.kind == "no-statements")
    assert "没用过" in unused.message and "用过、" not in unused.message
    assert h.chain() == "1 条原始语句 → 2 个概念 → 0 个初始范畴 → 0 个主范畴 → 0 个核心范畴"


def test_merged_codes_are_counted_after_the_merge(gt: GT) -> None:
    gt.alice.merge_codes(gt.ids["概念b"], gt.ids["概念a"])
    with gt.project.session() as session:
        h = hierarchy(session)
    codes = _by_name(h)
    assert "概念b" not in codes
    assert codes["概念a"].statements == 2  # alice's b on D01-S1 duplicated her a: dropped
    assert codes["范畴1"].statements == 2
    assert h.levels[0].codes == 4
    assert h.coded_statements == 6


def test_one_coders_view(gt: GT) -> None:
    with gt.project.session() as session:
        h = hierarchy(session, coder="bob")
        with pytest.raises(NotFound, match="carol"):
            hierarchy(session, coder="carol")
    codes = _by_name(h)
    assert h.coded_statements == 3  # D01-S1, D02-S2, D02-S3
    assert (codes["主A"].statements, codes["概念a"].coders, codes["概念b"].statements) == (3, ("bob",), 0)


def test_tables_hold_the_chain_tree_and_warnings(gt: GT) -> None:
    with gt.project.session() as session:
        chain, tree, warnings = hierarchy_tables(session)
    assert chain.rows[0][1] == 6 and chain.rows[1] == ["概念", 5]
    assert chain.notes[0].startswith("6 条原始语句")
    row = next(r for r in tree.rows if r[0].strip() == "范畴1")
    assert row[1:] == ["初始范畴", "主A", 2, 1, "alice、bob"]
    assert {r[0] for r in warnings.rows} == {"no-parent", "skipped-level"}


def test_mermaid_has_level_subgraphs_tree_edges_and_labelled_relations(gt: GT) -> None:
    gt.alice.add_relation(gt.ids["范畴1"], gt.ids["范畴2"], "causal", "一导致二")
    with gt.project.session() as session:
        chart = mermaid(session)
        td = mermaid(session, direction="TD", relations=False)
    lines = chart.splitlines()
    assert lines[0] == "flowchart BT"
    assert '  subgraph L1["初始范畴"]' in lines and '  subgraph L3["核心范畴"]' in lines
    assert f'    c{gt.ids["范畴1"]}["范畴1<br/>(2)"]' in lines
    assert f"  c{gt.ids['概念a']} --> c{gt.ids['范畴1']}" in lines
    assert f'  c{gt.ids["范畴1"]} -.->|"因果关系"| c{gt.ids["范畴2"]}' in lines
    assert td.startswith("flowchart TD") and "-.->" not in td


def test_dot_ranks_levels_and_draws_relations_dashed(gt: GT) -> None:
    gt.alice.add_relation(gt.ids["概念a"], gt.ids["概念c"], "similarity", "")
    with gt.project.session() as session:
        text = dot(session)
    assert text.startswith("digraph hierarchy {") and text.rstrip().endswith("}")
    assert text.count("rank=same;") == 4
    assert f"c{gt.ids['概念d']} -> c{gt.ids['主A']};" in text
    assert f'c{gt.ids["概念a"]} -> c{gt.ids["概念c"]} [style=dashed, label="相似关系", constraint=false];' in text
    assert "level0 -> level1 -> level2 -> level3 [style=invis];" in text
    # every code sits in the rank=same block of its own level
    block = text[text.index("subgraph rank_0") : text.index("}", text.index("subgraph rank_0"))]
    assert all(f"c{gt.ids[n]} " in block for n in ("概念a", "概念b", "概念c", "概念d", "概念e"))


def test_the_unpacked_read_gives_the_same_figures(gt: GT, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids too large to pack into one integer fall back to reading plain rows."""
    from qcoder.analysis import snapshot

    with gt.project.session() as session:
        packed = hierarchy(session)
        assert snapshot.load_snapshot(session).coding_ids is not None
    monkeypatch.setattr(snapshot, "_packed", lambda *args, **kwargs: None)
    with gt.project.session() as session:
        plain = hierarchy(session)
        assert snapshot.load_snapshot(session).coding_ids is None
    assert plain.codes == packed.codes and plain.coded_statements == packed.coded_statements == 6


def test_snapshot_is_shared_within_a_session_and_fresh_in_the_next(gt: GT) -> None:
    from qcoder.analysis.snapshot import forget_snapshot, load_snapshot

    with gt.project.session() as session:
        first = load_snapshot(session)
        assert load_snapshot(session) is first
        forget_snapshot(session)
        assert load_snapshot(session) is not first
    gt.alice.code_statements([gt.s["D01-S003"]], gt.ids["概念e"])
    with gt.project.session() as session:
        assert hierarchy(session).coded_statements == 7
