"""Coding engine behaviour a researcher relies on, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from factories import add_document
from sqlalchemy import func, select

from qcoder.coding.statements import expand_statement_ids
from qcoder.coding.workbench import Workbench
from qcoder.errors import Conflict, NotFound, QcoderError
from qcoder.store.models import Code, Coding, Event, Memo, Relation

STATEMENTS = ["创新联合体是新质载体。", "企业是科技创新主体。", "揭榜挂帅机制。", "加快成果转化。"]


@pytest.fixture
def bench(project):  # type: ignore[no-untyped-def]
    add_document(project, STATEMENTS)
    return Workbench(project, "alice")


def _codings(project, **where) -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    with project.session() as s:
        query = select(Coding.sentence_id, Coding.code_id, Coding.coder_id)
        for key, value in where.items():
            query = query.where(getattr(Coding, key) == value)
        return sorted(s.execute(query).all())


def test_coding_is_idempotent_and_unique_per_coder(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    code = bench.create_code("新质载体")
    assert bench.code_statements([1, 2], code.id) == [1, 2]
    assert bench.code_statements([1, 2, 3], code.id) == [3]
    other = Workbench(project, "bob")
    other.code_statements([1], code.id)
    rows = _codings(project)
    assert len(rows) == 4
    assert {r[2] for r in rows} == {bench.coder_id, other.coder_id}
    assert bench.uncode_statements([1, 4], code.id) == [1]
    assert len(_codings(project, coder_id=bench.coder_id)) == 2


def test_parent_must_be_higher_level_and_no_cycles(bench: Workbench) -> None:
    concept = bench.create_code("主体地位", 0)
    category = bench.create_code("企业主体", 1)
    main = bench.create_code("创新环境", 2)
    bench.move_code(concept.id, category.id)
    bench.move_code(category.id, main.id)
    with pytest.raises(Conflict, match="higher level"):
        bench.move_code(main.id, concept.id)
    with pytest.raises(Conflict, match="higher level"):
        bench.create_code("x", 1, parent_id=concept.id)
    with pytest.raises(Conflict, match="already exists"):
        bench.create_code("主体地位", 0, parent_id=category.id)
    # names are unique per parent: the same name at the top of the tree is another code
    assert bench.create_code("主体地位", 0).parent_id is None
    # the same name at another level is allowed (a concept can name its category)
    assert bench.create_code("主体地位", 1).level == 1


def test_stale_rename_is_refused_naming_who_changed_it(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    code = bench.create_code("旧名")
    bob = Workbench(project, "bob")
    bob.rename_code(code.id, "鲍勃的名字", expected_version=code.version)
    with pytest.raises(Conflict, match="bob"):
        bench.rename_code(code.id, "爱丽丝的名字", expected_version=code.version)
    assert bench.code(code.id).name == "鲍勃的名字"


def test_merge_moves_codings_keeps_memos_and_relations(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    a = bench.create_code("甲", code_sentences=[1, 2])
    b = bench.create_code("乙", code_sentences=[2, 3])
    other = bench.create_code("丙")
    bench.add_memo("甲的备忘", type_="code", target="code", target_id=a.id)
    bench.add_relation(a.id, other.id, "causal", "甲导致丙")
    bench.add_relation(b.id, other.id, "causal", "乙导致丙")
    moved = bench.merge_codes(a.id, b.id)
    assert moved == 1  # statement 2 already had 乙
    assert sorted(r[0] for r in _codings(project, code_id=b.id)) == [1, 2, 3]
    with project.session() as s:
        assert s.get(Code, a.id) is None
        assert s.scalar(select(Memo.code_id).where(Memo.text == "甲的备忘")) == b.id
        assert s.scalar(select(func.count()).select_from(Relation)) == 1
    with pytest.raises(NotFound):
        bench.code(a.id)


def test_delete_reports_codings_and_lifts_children(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    category = bench.create_code("范畴", 1)
    concept = bench.create_code("概念甲", 0, parent_id=category.id, code_sentences=[1])
    main = bench.create_code("主范畴", 2)
    bench.move_code(category.id, main.id)
    assert bench.coding_count(concept.id) == 1
    assert bench.delete_code(category.id) == 0
    assert bench.code(concept.id).parent_id == main.id


def test_split_moves_chosen_statements(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    code = bench.create_code("宽泛", code_sentences=[1, 2, 3])
    new = bench.split_code(code.id, "具体", [2, 3])
    assert [r[0] for r in _codings(project, code_id=code.id)] == [1]
    assert [r[0] for r in _codings(project, code_id=new.id)] == [2, 3]


def test_undo_redo_restores_exact_state(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    code = bench.create_code("码", code_sentences=[1])
    bench.code_statements([1, 2], code.id)
    bench.review(1)
    assert bench.undo() == "review"
    assert bench.undo() == "code 1 statement with 码"  # only statement 2 was new
    assert [r[0] for r in _codings(project)] == [1]  # statement 1 was coded before: kept
    assert bench.undo() is not None
    with project.session() as s:
        assert s.scalar(select(func.count()).select_from(Code)) == 0
    assert bench.redo() is not None
    assert bench.redo() == "code 1 statement with 码"
    assert [r[0] for r in _codings(project)] == [1, 2]
    with project.session() as s:
        assert s.scalar(select(Code.guid)) == code.guid  # the same code came back
    assert bench.documents()[0].reviewed_by_me is False


def test_every_action_is_logged(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    code = bench.create_code("码")
    bench.code_statements([1], code.id)
    bench.uncode_statements([1], code.id)
    with project.session() as s:
        actions = list(s.scalars(select(Event.action).order_by(Event.id)))
    assert actions == ["code.create", "coding.add", "coding.remove"]


def test_relation_types_checked(bench: Workbench) -> None:
    a, b = bench.create_code("甲", 2), bench.create_code("乙", 2)
    with pytest.raises(QcoderError, match="unknown relation type"):
        bench.add_relation(a.id, b.id, "likes")
    rel = bench.add_relation(a.id, b.id, "Sequence", "先甲后乙")
    assert (rel.type, rel.note) == ("sequence", "先甲后乙")
    assert [r.id for r in bench.relations(a.id)] == [rel.id]
    bench.update_relation(rel.id, note="改")
    assert bench.relations()[0].note == "改"
    bench.remove_relation(rel.id)
    assert bench.relations() == []


def test_storyline_memo_rewritten_in_place(bench: Workbench) -> None:
    core = bench.create_code("创新联合体赋能新质生产力", 3)
    first = bench.set_storyline("故事线一", core.id)
    second = bench.set_storyline("故事线二")
    assert first == second
    story = bench.storyline()
    assert story is not None and story.text == "故事线二"
    assert [m.text for m in bench.memos("code", core.id)] == ["故事线二"]


def test_next_uncoded_wraps_around(bench: Workbench) -> None:
    code = bench.create_code("码", code_sentences=[1, 2])
    assert bench.next_uncoded(1, 0) == 3
    bench.code_statements([3, 4], code.id)
    assert bench.next_uncoded(1, 0) is None
    bench.uncode_statements([1], code.id)
    assert bench.next_uncoded(1, 3) == 1


def test_comparison_rolls_up_children(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    category = bench.create_code("范畴", 1)
    bench.create_code("概念甲", 0, parent_id=category.id, code_sentences=[1])
    bench.create_code("概念乙", 0, parent_id=category.id, code_sentences=[3])
    Workbench(project, "bob").code_statements([4], category.id)
    rows = bench.comparison(category.id)
    assert [(r.label, r.code, r.coder) for r in rows] == [
        ("D01-S001", "概念甲", "alice"),
        ("D01-S003", "概念乙", "alice"),
        ("D01-S004", "范畴", "bob"),
    ]


def test_statement_ids_accept_ranges_and_loose_spelling() -> None:
    assert expand_statement_ids(["d1-s3..5", "D02-S010"]) == ["D01-S003", "D01-S004", "D01-S005", "D02-S010"]
    with pytest.raises(QcoderError, match="not a statement ID"):
        expand_statement_ids(["S3"])


def test_stale_merge_is_refused_and_nothing_moves(bench: Workbench, project) -> None:  # type: ignore[no-untyped-def]
    a = bench.create_code("甲", code_sentences=[1])
    b = bench.create_code("乙")
    Workbench(project, "bob").rename_code(b.id, "乙（鲍勃改）", expected_version=b.version)
    with pytest.raises(Conflict, match="bob"):
        bench.merge_codes(a.id, b.id, expected_versions=(a.version, b.version))
    assert bench.code(a.id).codings == 1  # still there, nothing moved
