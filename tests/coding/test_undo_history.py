"""Undo and redo of every workbench action, per coder, on SQLite and PostgreSQL.

For each action: do → undo gives back the state before (a digest of every table a
researcher's work lives in), and do → undo → redo gives the state after. Undo never
removes a colleague's work: it refuses, naming who and what, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from factories import add_document
from sqlalchemy import select

from qcoder.coding.workbench import Workbench
from qcoder.errors import Conflict
from qcoder.store.database import Project
from qcoder.store.models import Code, Coding, DocumentReview, Memo, Relation

STATEMENTS = [f"第{n}条原始语句，关于创新联合体。" for n in range(1, 31)]


def digest(project: Project) -> dict[str, list[tuple[Any, ...]]]:
    """What a researcher's work is, table by table (bookkeeping columns such as versions left out)."""
    with project.session() as s:
        return {
            "codes": sorted(
                s.execute(
                    select(
                        Code.id,
                        Code.guid,
                        Code.name,
                        Code.level,
                        Code.parent_id,
                        Code.definition,
                        Code.colour,
                        Code.exemplar_sentence_id,
                        Code.created_by_id,
                    )
                ).all()
            ),
            "codings": sorted(s.execute(select(Coding.sentence_id, Coding.code_id, Coding.coder_id)).all()),
            "reviews": sorted(s.execute(select(DocumentReview.document_id, DocumentReview.coder_id)).all()),
            "relations": sorted(
                s.execute(
                    select(
                        Relation.id,
                        Relation.guid,
                        Relation.source_id,
                        Relation.target_id,
                        Relation.type,
                        Relation.note,
                        Relation.coder_id,
                    )
                ).all()
            ),
            "memos": sorted(
                s.execute(
                    select(
                        Memo.id,
                        Memo.guid,
                        Memo.type,
                        Memo.title,
                        Memo.text,
                        Memo.coder_id,
                        Memo.document_id,
                        Memo.sentence_id,
                        Memo.code_id,
                        Memo.relation_id,
                    )
                ).all()
            ),
        }


@dataclass
class Team:
    project: Project
    a: Workbench
    b: Workbench
    document_id: int


@pytest.fixture
def team(project: Project) -> Team:
    document_id = add_document(project, STATEMENTS)
    return Team(project, Workbench(project, "研究者A"), Workbench(project, "研究者B"), document_id)


def _code_with_work(t: Team) -> dict[str, int]:
    """A category with a concept under it, codings by both coders, a relation and memos."""
    category = t.a.create_code("政策环境", 1)
    concept = t.a.create_code("资金支持", 0, parent_id=category.id, code_sentences=[1, 2, 3])
    other = t.a.create_code("融资渠道", 0, code_sentences=[3, 4])
    t.b.code_statements([2, 5], concept.id)
    t.b.code_statements([4], other.id)
    relation = t.a.add_relation(concept.id, other.id, "causal", "资金带来渠道")
    t.a.add_memo("资金支持的定义", type_="code", target="code", target_id=concept.id)
    t.b.add_memo("关系的备注", target="relation", target_id=relation.id)
    return {"category": category.id, "concept": concept.id, "other": other.id, "relation": relation.id}


def _memo_id(t: Team, target: str, target_id: int | None) -> int:
    return t.a.memos(target, target_id)[0].id


ACTIONS: dict[str, tuple[Callable[[Team], Any], Callable[[Team, Any], Any]]] = {
    "code": (lambda t: t.a.create_code("数字政府").id, lambda t, c: t.a.code_statements([1, 2, 3], c)),
    "uncode": (
        lambda t: t.a.create_code("数字政府", code_sentences=[1, 2, 3]).id,
        lambda t, c: t.a.uncode_statements([2, 3], c),
    ),
    "toggle": (lambda t: t.a.create_code("数字政府", code_sentences=[1]).id, lambda t, c: t.a.toggle([1, 2], c)),
    "review": (lambda t: None, lambda t, _: t.a.review(t.document_id)),
    "unreview": (lambda t: t.a.review(t.document_id), lambda t, _: t.a.review(t.document_id, False)),
    "create code with codings": (lambda t: None, lambda t, _: t.a.create_code("新码", code_sentences=[4, 5])),
    "rename": (lambda t: t.a.create_code("旧名").id, lambda t, c: t.a.rename_code(c, "新名")),
    "define": (lambda t: t.a.create_code("码").id, lambda t, c: t.a.update_code(c, definition="定义")),
    "colour": (lambda t: t.a.create_code("码").id, lambda t, c: t.a.update_code(c, colour="#aa3300")),
    "exemplar": (
        lambda t: t.a.create_code("码", code_sentences=[6]).id,
        lambda t, c: t.a.update_code(c, exemplar_sentence_id=6),
    ),
    "move": (
        lambda t: (t.a.create_code("概念").id, t.a.create_code("范畴", 1).id),
        lambda t, ids: t.a.move_code(ids[0], ids[1]),
    ),
    "merge": (_code_with_work, lambda t, ids: t.a.merge_codes(ids["concept"], ids["other"])),
    "merge into a category's child": (
        _code_with_work,
        lambda t, ids: t.a.merge_codes(ids["other"], ids["concept"]),
    ),
    "split": (_code_with_work, lambda t, ids: t.a.split_code(ids["concept"], "资金来源", [2, 3])),
    "delete": (_code_with_work, lambda t, ids: t.a.delete_code(ids["concept"])),
    "delete a category": (_code_with_work, lambda t, ids: t.a.delete_code(ids["category"])),
    "relation add": (
        lambda t: (t.a.create_code("原因").id, t.a.create_code("结果").id),
        lambda t, ids: t.a.add_relation(ids[0], ids[1], "causal", "因为"),
    ),
    "relation edit": (
        _code_with_work,
        lambda t, ids: t.a.update_relation(ids["relation"], type_="condition", note="条件"),
    ),
    "relation remove": (_code_with_work, lambda t, ids: t.a.remove_relation(ids["relation"])),
    "memo add": (lambda t: None, lambda t, _: t.a.add_memo("项目备忘", title="想法")),
    "memo on a statement": (lambda t: None, lambda t, _: t.a.add_memo("语句备忘", target="sentence", target_id=3)),
    "memo edit": (
        lambda t: t.a.add_memo("初稿", target="document", target_id=t.document_id),
        lambda t, m: t.a.update_memo(m, text="二稿", type_="code"),
    ),
    "memo delete": (
        lambda t: t.a.add_memo("要删的备忘", target="document", target_id=t.document_id),
        lambda t, m: t.a.delete_memo(m),
    ),
    "storyline": (
        lambda t: t.a.create_code("核心", 3).id,
        lambda t, c: t.a.set_storyline("故事线：……", c),
    ),
    "storyline rewrite": (
        lambda t: (t.a.set_storyline("第一版"), t.a.create_code("核心", 3).id)[1],
        lambda t, c: t.a.set_storyline("第二版", c),
    ),
}


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_undoes_and_redoes_exactly(team: Team, action: str) -> None:
    setup, do = ACTIONS[action]
    context = setup(team)
    before = digest(team.project)
    do(team, context)
    after = digest(team.project)
    assert after != before, "the action changed nothing: the test would prove nothing"

    assert team.a.undo() is not None
    assert digest(team.project) == before
    assert team.a.redo() is not None
    assert digest(team.project) == after
    # the redo's own record is exact too: undo it again, and redo again
    assert team.a.undo() is not None
    assert digest(team.project) == before
    assert team.a.redo() is not None
    assert digest(team.project) == after


def test_merge_by_b_is_undone_by_b_only(team: Team) -> None:
    ids = _code_with_work(team)
    before = digest(team.project)
    team.b.merge_codes(ids["other"], ids["concept"])
    undone_by_a = team.a.undo()  # A's newest step is A's own memo, not B's merge
    assert undone_by_a == "write a code memo"
    assert team.b.undo() is not None
    after_both = digest(team.project)
    assert after_both["codes"] == before["codes"]
    assert after_both["codings"] == before["codings"]


def test_the_workbench_sequence_undoes_in_strict_reverse_order(team: Team) -> None:
    """Issue 12: concept from the picker, category, move, causal relation, memo; u, u, …"""
    project = team.project
    relation_target = team.b.create_code("攻关成效", 1)  # B's own step, never on A's stack
    states = [digest(project)]
    concept = team.a.create_code("揭榜挂帅", code_sentences=[1])
    states.append(digest(project))
    category = team.a.create_code("创新机制", 1)
    states.append(digest(project))
    team.a.move_code(concept.id, category.id)
    states.append(digest(project))
    team.a.add_relation(category.id, relation_target.id, "causal")
    states.append(digest(project))
    team.a.add_memo("机制带来成效", target="code", target_id=category.id)
    states.append(digest(project))

    expected = [
        "write a code memo",
        "add relation 创新机制 → 攻关成效",
        "move 揭榜挂帅 under 创新机制",
        "create code 创新机制",
        "create code 揭榜挂帅",
    ]
    for step, state in zip(expected, reversed(states[:-1]), strict=True):
        assert team.a.undo() == step
        assert digest(project) == state
    assert team.a.undo() is None
    for step, state in zip(reversed(expected), states[1:], strict=True):
        assert team.a.redo() == step
        assert digest(project) == state
    assert team.a.redo() is None
    with project.session() as s:
        assert s.get(Code, relation_target.id) is not None  # B's code was never touched


def test_undoing_a_code_a_colleague_used_is_refused_naming_them(team: Team) -> None:
    """Issue 12: A creates a code on the spot; B codes 20 statements and writes a memo; A presses u."""
    code = team.a.create_code("新型研发机构", code_sentences=[1])
    team.b.code_statements(list(range(1, 21)), code.id)
    team.b.add_memo("B 的想法", type_="code", target="code", target_id=code.id)
    before = digest(team.project)
    with pytest.raises(Conflict) as refused:
        team.a.undo()
    message = str(refused.value)
    assert "研究者B has 20 codings" in message and "研究者B wrote 1 memo" in message
    assert "nothing was changed" in message
    assert digest(team.project) == before
    # B's memo was B's newest step; B can still undo their own work
    assert team.b.undo() == "write a code memo"


def test_undo_survives_a_restart(team: Team) -> None:
    code = team.a.create_code("持久")
    team.a.code_statements([7, 8], code.id)
    restarted = Workbench(team.project, "研究者A")
    assert restarted.pending_history()[0] == "code 2 statements with 持久"
    assert restarted.undo() == "code 2 statements with 持久"
    assert restarted.undo() == "create code 持久"
    assert digest(team.project)["codes"] == []


def test_a_new_step_clears_the_redo_stack(team: Team) -> None:
    code = team.a.create_code("甲")
    team.a.code_statements([1], code.id)
    team.a.undo()
    team.a.code_statements([2], code.id)
    assert team.a.redo() is None


def test_ids_are_never_reused_and_undo_cannot_hit_a_newcomer(team: Team, project: Project) -> None:
    """Issue 12: B codes with X, A deletes X, C creates a code; B's undo/redo must not touch C's code."""
    x = team.a.create_code("X码")
    team.b.code_statements([1, 2, 3], x.id)
    team.a.delete_code(x.id)
    c = Workbench(project, "研究者C")
    newcomer = c.create_code("C的码")
    assert newcomer.id != x.id
    with pytest.raises(Conflict, match="deleted by 研究者A"):
        team.b.undo()
    assert team.b.redo() is None
    with project.session() as s:
        assert s.scalars(select(Coding).where(Coding.code_id == newcomer.id)).all() == []
    # A undoes the delete: B's three codings come back on X, with X's identity
    assert team.a.undo() == "delete code X码"
    assert team.b.undo() == "code 3 statements with X码"
    assert digest(project)["codings"] == []


def test_a_stale_memo_save_is_refused_naming_who_saved(team: Team) -> None:
    memo_id = team.a.add_memo("第一稿", target="document", target_id=team.document_id)
    opened_by_b = team.b.memos("document", team.document_id)[0]
    team.a.update_memo(memo_id, text="A 的修改", expected_version=opened_by_b.version)
    with pytest.raises(Conflict, match="changed by 研究者A"):
        team.b.update_memo(memo_id, text="B 的修改", expected_version=opened_by_b.version)
    memo = team.a.memos("document", team.document_id)[0]
    assert memo.text == "A 的修改"
    assert memo.edited_by == "研究者A"
    fresh = team.b.memos("document", team.document_id)[0]
    team.b.update_memo(memo_id, text="B 在 A 之后", expected_version=fresh.version)
    memo = team.a.memos("document", team.document_id)[0]
    assert (memo.text, memo.coder, memo.edited_by) == ("B 在 A 之后", "研究者A", "研究者B")


def test_undoing_a_memo_edit_after_a_colleague_edited_it_is_refused(team: Team) -> None:
    memo_id = team.a.add_memo("一", target="document", target_id=team.document_id)
    team.a.update_memo(memo_id, text="二")
    team.b.update_memo(memo_id, text="三")
    with pytest.raises(Conflict, match="edited by 研究者B"):
        team.a.undo()
    assert team.a.memos("document", team.document_id)[0].text == "三"


def test_the_history_is_bounded(team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    from qcoder.coding import history
    from qcoder.store.models import HistoryEntry

    monkeypatch.setattr(history, "UNDO_LIMIT", 5)
    monkeypatch.setattr(history, "TRIM_EVERY", 3)
    code = team.a.create_code("界")
    for sentence in range(1, 21):
        team.a.code_statements([sentence], code.id)
    with team.project.session() as s:
        kept = s.scalars(select(HistoryEntry.id).where(HistoryEntry.coder_id == team.a.coder_id)).all()
    assert 5 <= len(kept) < 5 + 3
    for _ in kept:
        assert team.a.undo() is not None
    assert team.a.undo() is None  # the oldest steps were forgotten, not half-undone
    assert len(digest(team.project)["codings"]) == 20 - len(kept)
