"""Codings with one code by several coders at once, and codes deleted or merged under them (both backends).

Issue 17: a team codes with one popular code at the same moment. On PostgreSQL each coding
holds the code's row until its transaction ends, so that a merge or delete of the code cannot
slip in between; that hold must be one coders share (``FOR KEY SHARE``), not one that makes
the second coder wait for the first one's whole transaction (``FOR NO KEY UPDATE`` did).
A deletion or merge (``FOR UPDATE``) must still wait for a coding in progress, and a coding
must wait for a deletion or merge in progress and then be refused in one line: never a coding
on a code that is gone, never an acknowledged coding lost. SQLite has one writer at a time:
there the second writer queues, and the outcomes must be the same.

Each race holds the first writer's transaction open while the second starts; on PostgreSQL
the test then sees in ``pg_stat_activity`` whether the second waited on a lock or finished.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from factories import add_document, second_while_first_open
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcoder.coding import history
from qcoder.coding.codes import delete_code, merge_codes
from qcoder.coding.codings import add_codings
from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.check import check_project
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coding, Event


def _step(session: Session, coder_id: int, work: Callable[[], Any]) -> Any:
    """``work`` as one undoable step, the way the workbench runs it (the coder's row held too)."""
    with history.step(session, coder_id, "code"):
        return work()


def _count(project: Project, *where: Any) -> int:
    """Codings counted with plain SQL, apart from the code under test."""
    with project.session() as session:
        return session.scalar(select(func.count()).select_from(Coding).where(*where)) or 0


@pytest.fixture
def team(db_url: str) -> Any:
    """A document of four statements, codes 压力 (popular) and 支持, coders 甲 乙 and the owner 主."""
    with open_project(db_url) as project:
        add_document(project, ["第一句。", "第二句。", "第三句。", "第四句。"])
        owner = Workbench(project, "主")
        code = owner.create_code("压力").id
        other = owner.create_code("支持").id
        first, second = Workbench(project, "甲"), Workbench(project, "乙")
        first.code_statements([3], code)  # codings there before the race: they must survive or move, counted
        second.code_statements([4], code)
        owner.code_statements([1], other)
        yield project, owner, first, second, code, other


def test_two_coders_coding_with_one_code_at_once_both_are_stored_and_neither_waits(team: Any) -> None:
    project, _owner, first, second, code, _other = team
    before = _count(project)
    added, outcome, waited = second_while_first_open(
        project,
        lambda s: _step(s, first.coder_id, lambda: add_codings(s, [1, 2], code, first.coder_id)),
        lambda: second.code_statements([1, 2], code),  # the same statements and code, another coder
    )
    assert "error" not in outcome, f"the second coder got: {outcome.get('error')}"
    assert added == [1, 2] and outcome["value"] == [1, 2]
    if waited is not None:  # PostgreSQL: the second coding was stored while the first was still open
        assert waited is False, "the second coder waited for the first one's transaction (FOR NO KEY UPDATE)"
    assert _count(project) == before + 4
    assert _count(project, Coding.code_id == code, Coding.sentence_id.in_([1, 2])) == 4
    assert check_project(project) == []


def test_deleting_a_code_waits_for_a_coding_with_it_and_logs_that_coding(team: Any) -> None:
    """The coding committed first, so the deletion removes it with the rest and its event keeps it (undo)."""
    project, owner, first, second, code, _other = team
    _added, outcome, waited = second_while_first_open(
        project,
        lambda s: _step(s, first.coder_id, lambda: add_codings(s, [1], code, first.coder_id)),
        lambda: owner.delete_code(code),
    )
    assert "error" not in outcome, f"the deletion got: {outcome.get('error')}"
    if waited is not None:
        assert waited is True, "the deletion did not wait for the coding in progress"
    assert outcome["value"] == 3  # 甲's two (one made during the race) and 乙's one
    assert _count(project, Coding.code_id == code) == 0
    assert _count(project) == 1  # only 主's coding with 支持 is left
    with project.session() as s:
        event = s.scalars(select(Event).where(Event.action == "code.delete")).one()
        logged = {(row["sentence_id"], row["coder_id"]) for row in event.payload["coding_rows"]}
    assert logged == {(1, first.coder_id), (3, first.coder_id), (4, second.coder_id)}
    assert check_project(project) == []
    assert owner.undo() is not None  # the deletion is undone with every coding, the raced one included
    assert _count(project, Coding.code_id == code) == 3


def test_coding_with_a_code_being_deleted_waits_and_is_refused_in_one_line(team: Any) -> None:
    project, owner, first, _second, code, _other = team
    before = _count(project)
    removed, outcome, waited = second_while_first_open(
        project,
        lambda s: _step(s, owner.coder_id, lambda: delete_code(s, s.get_one(Code, code))),
        lambda: first.code_statements([1], code),
    )
    if waited is not None:
        assert waited is True, "the coding did not wait for the deletion in progress"
    assert removed == 2
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the coding was not refused: {outcome}"
    assert "\n" not in str(error) and "was deleted by" in str(error)  # which code, and who
    assert _count(project) == before - 2  # the deleted code's two codings went; nothing was added
    with project.session() as s:
        assert s.get(Code, code) is None
    assert check_project(project) == []


def test_merging_a_code_waits_for_a_coding_with_it_and_carries_it_over(team: Any) -> None:
    project, owner, first, second, code, other = team
    before = _count(project)
    _added, outcome, waited = second_while_first_open(
        project,
        lambda s: _step(s, second.coder_id, lambda: add_codings(s, [1, 2], code, second.coder_id)),
        lambda: owner.merge_codes(code, other),
    )
    assert "error" not in outcome, f"the merge got: {outcome.get('error')}"
    if waited is not None:
        assert waited is True, "the merge did not wait for the coding in progress"
    assert outcome["value"] == 4  # 甲's one, 乙's one before and two during the race
    assert _count(project) == before + 2  # nothing lost, nothing doubled (主's coding is on statement 1 too)
    with project.session() as s:
        on_target = set(s.execute(select(Coding.sentence_id, Coding.coder_id).where(Coding.code_id == other)))
        assert s.get(Code, code) is None
    assert on_target == {
        (1, owner.coder_id),
        (3, first.coder_id),
        (4, second.coder_id),
        (1, second.coder_id),
        (2, second.coder_id),
    }
    assert check_project(project) == []


def test_coding_with_a_code_being_merged_waits_and_is_refused_in_one_line(team: Any) -> None:
    project, owner, first, _second, code, other = team
    before = _count(project)
    moved, outcome, waited = second_while_first_open(
        project,
        lambda s: _step(s, owner.coder_id, lambda: merge_codes(s, s.get_one(Code, code), s.get_one(Code, other))),
        lambda: first.code_statements([2], code),
    )
    if waited is not None:
        assert waited is True, "the coding did not wait for the merge in progress"
    assert moved == 2
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the coding was not refused: {outcome}"
    assert "\n" not in str(error) and "was merged into" in str(error)  # which code, into what, who
    assert _count(project) == before  # both codings moved, nothing added or lost
    assert _count(project, Coding.code_id == other) == 3
    assert check_project(project) == []


def test_two_coders_giving_values_of_one_scale_at_once_neither_waits(team: Any) -> None:
    """A scale's value holds its parent too (FOR SHARE, against marking codes exclusive meanwhile):
    coders coding values of one scale still share every lock they take."""
    from qcoder.coding.scales import make_scale

    project, _owner, first, second, _code, _other = team
    values = project.run(
        lambda s: [
            c.id for c in s.scalars(select(Code).where(Code.parent_id == make_scale(s, "强度", ["弱", "强"]).id))
        ]
    )
    added, outcome, waited = second_while_first_open(
        project,
        lambda s: _step(s, first.coder_id, lambda: add_codings(s, [1, 2], values[0], first.coder_id)),
        lambda: second.code_statements([1, 2], values[0]),
    )
    assert "error" not in outcome, f"the second coder got: {outcome.get('error')}"
    assert added == [1, 2] and outcome["value"] == [1, 2]
    if waited is not None:
        assert waited is False, "the second coder waited for the first one's transaction"
    assert _count(project, Coding.code_id == values[0]) == 4
