"""Multi-step writes in qcoder/coding against a concurrent writer (both backends).

Each test holds the first writer's transaction open while the second starts (see
``factories.second_while_first_open``). On PostgreSQL both run at once under READ COMMITTED,
so a write that reads, decides and then writes can act on what it read before the other
committed; on SQLite the second queues behind the first (one writer) and must end the same.
What must hold: the database ends as one of the two orders would leave it, the event log says
what really happened (so undo restores it), and a refusal is one line that changed nothing.
"""

from __future__ import annotations

from typing import Any

from factories import add_document, second_while_first_open
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcoder.analysis.agreement import AgreementRequest
from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code, merge_codes
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.memos import add_memo
from qcoder.coding.reconcile import DECIDE, resolve
from qcoder.coding.relations import add_relation, remove_relation
from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, DocumentReview, Event, Memo, Relation

AB = AgreementRequest(coders=("A", "B"), level=0)


def _count(project: Project, model: Any, *where: Any) -> int:
    with project.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _events(project: Project, action: str) -> list[dict[str, Any]]:
    with project.session() as session:
        return [e.payload for e in session.scalars(select(Event).where(Event.action == action).order_by(Event.id))]


# ----------------------------------------------------------------- reconciliation
def _disagreement(project: Project) -> tuple[int, dict[str, int]]:
    """One statement A coded 甲 and B coded 乙, both reviewed; (statement id, code ids by name)."""
    doc = add_document(project, ["我们一起完成的。", "别的。"])

    def work(session: Session) -> tuple[int, dict[str, int]]:
        a, b = (get_or_create_coder(session, name).id for name in "AB")
        get_or_create_coder(session, "consensus")  # decisions on other statements made it long ago
        codes = {name: create_code(session, name).id for name in ("甲", "乙")}
        mark_reviewed(session, doc, a)
        mark_reviewed(session, doc, b)
        add_codings(session, [1], codes["甲"], a)
        add_codings(session, [1], codes["乙"], b)
        return 1, codes

    return project.run(work)


def _consensus(project: Project) -> set[int]:
    with project.session() as session:
        consensus = session.scalar(select(Coder.id).where(Coder.name == "consensus"))
        return set(session.scalars(select(Coding.code_id).where(Coding.coder_id == consensus)))


def test_two_reconcilers_deciding_one_statement_at_once_leave_the_last_decision(project: Project) -> None:
    """A takes "accept A" while B takes "accept B" on the same statement: the consensus coder ends
    with the codes of the decision logged last, not a mix of both (both read "no consensus yet")."""
    statement, codes = _disagreement(project)
    first, outcome, _waited = second_while_first_open(
        project,
        lambda s: resolve(s, AB, statement, "a"),
        lambda: project.run(lambda s: resolve(s, AB, statement, "b")),
    )
    assert "error" not in outcome, outcome
    assert first.added == ("甲",)
    decisions = _events(project, DECIDE)
    assert [d["choice"] for d in decisions] == ["a", "b"]
    assert _consensus(project) == set(decisions[-1]["codes"]) == {codes["乙"]}
    assert outcome["value"].removed == ("甲",)  # the second saw the first decision and replaced it
    assert _count(project, Coding) == 3  # A's, B's and the one consensus coding


# ----------------------------------------------------------------- reviews
def test_marking_a_document_reviewed_from_two_places_at_once_is_one_review(project: Project) -> None:
    doc = add_document(project, ["一。"])
    bench = Workbench(project, "王")
    first, outcome, _waited = second_while_first_open(
        project,
        lambda s: mark_reviewed(s, doc, bench.coder_id),
        lambda: project.run(lambda s: mark_reviewed(s, doc, bench.coder_id)),
    )
    assert "error" not in outcome, f"the second place got: {outcome.get('error')}"
    assert (first, outcome["value"]) == (True, False)  # already reviewed: nothing to do, not an error
    assert _count(project, DocumentReview) == 1
    assert len(_events(project, "review.add")) == 1


def test_unmarking_a_review_from_two_places_at_once_is_one_removal(project: Project) -> None:
    doc = add_document(project, ["一。"])
    bench = Workbench(project, "王")
    project.run(lambda s: mark_reviewed(s, doc, bench.coder_id))
    first, outcome, _waited = second_while_first_open(
        project,
        lambda s: mark_reviewed(s, doc, bench.coder_id, reviewed=False),
        lambda: project.run(lambda s: mark_reviewed(s, doc, bench.coder_id, reviewed=False)),
    )
    assert "error" not in outcome, f"the second place got: {outcome.get('error')}"
    assert (first, outcome["value"]) == (True, False)
    assert _count(project, DocumentReview) == 0
    assert len(_events(project, "review.remove")) == 1


# ----------------------------------------------------------------- relations and their memos
def _related(project: Project) -> tuple[Workbench, int, int, int]:
    """Codes 原因 → 结果 (causal) by 王; (bench, relation id, source id, target id)."""
    bench = Workbench(project, "王")
    source, target = bench.create_code("原因").id, bench.create_code("结果").id

    def work(session: Session) -> int:
        coder = session.get_one(Coder, bench.coder_id)
        return add_relation(
            session, session.get_one(Code, source), session.get_one(Code, target), "causal", coder=coder
        ).id

    return bench, project.run(work), source, target


def test_a_memo_written_on_a_relation_being_removed_is_kept_by_the_removal(project: Project) -> None:
    """李 writes a memo on the relation while 王 removes it: the removal waits and logs the memo,
    so undoing the removal brings the memo back (the cascade used to take it unlogged)."""
    bench, relation, _source, _target = _related(project)
    colleague = Workbench(project, "李")
    memo, outcome, waited = second_while_first_open(
        project,
        lambda s: (
            add_memo(
                s, "为什么是因果？", target="relation", target_id=relation, coder=s.get(Coder, colleague.coder_id)
            ).id
        ),
        lambda: project.run(
            lambda s: remove_relation(s, s.get_one(Relation, relation), coder=s.get(Coder, bench.coder_id))
        ),
    )
    assert "error" not in outcome, outcome
    if waited is not None:
        assert waited is True
    assert _count(project, Memo) == 0 and _count(project, Relation) == 0
    (removal,) = _events(project, "relation.remove")
    assert [row["id"] for row in removal["memo_rows"]] == [memo]


def test_a_memo_on_a_relation_that_was_removed_meanwhile_is_refused_in_one_line(project: Project) -> None:
    bench, relation, _source, _target = _related(project)
    colleague = Workbench(project, "李")
    _done, outcome, waited = second_while_first_open(
        project,
        lambda s: remove_relation(s, s.get_one(Relation, relation), coder=s.get(Coder, bench.coder_id)),
        lambda: project.run(
            lambda s: add_memo(
                s, "为什么？", target="relation", target_id=relation, coder=s.get(Coder, colleague.coder_id)
            )
        ),
    )
    if waited is not None:
        assert waited is True
    error = outcome.get("error")
    assert isinstance(error, QcoderError), outcome
    assert "\n" not in str(error) and "no longer exists" in str(error)
    assert _count(project, Memo) == 0 and _count(project, Relation) == 0


def test_two_coders_adding_the_same_relation_at_once_get_one_and_a_clear_line(project: Project) -> None:
    bench = Workbench(project, "王")
    source, target = bench.create_code("原因").id, bench.create_code("结果").id
    colleague = Workbench(project, "李")

    def relate(s: Session, coder_id: int) -> int:
        coder = s.get_one(Coder, coder_id)
        return add_relation(s, s.get_one(Code, source), s.get_one(Code, target), "causal", coder=coder).id

    _first, outcome, _waited = second_while_first_open(
        project,
        lambda s: relate(s, bench.coder_id),
        lambda: project.run(lambda s: relate(s, colleague.coder_id)),
    )
    error = outcome.get("error")
    assert isinstance(error, QcoderError), outcome
    assert "\n" not in str(error) and "already exists" in str(error)
    assert _count(project, Relation) == 1
    assert len(_events(project, "relation.add")) == 1


def test_a_memo_on_a_relation_of_a_code_being_deleted_is_kept_by_the_deletion(project: Project) -> None:
    """The deletion of 原因 cascades to its relation and that relation's memos: the memo a colleague
    was writing must be in the deletion's event (undo restores it), not cascaded away unlogged."""
    bench, relation, source, _target = _related(project)
    colleague = Workbench(project, "李")
    memo, outcome, waited = second_while_first_open(
        project,
        lambda s: (
            add_memo(
                s, "因果要再看。", target="relation", target_id=relation, coder=s.get(Coder, colleague.coder_id)
            ).id
        ),
        lambda: bench.delete_code(source),
    )
    assert "error" not in outcome, outcome
    if waited is not None:
        assert waited is True
    assert _count(project, Memo) == 0
    (deletion,) = _events(project, "code.delete")
    assert [row["id"] for row in deletion["memo_rows"]] == [memo]
    assert bench.undo() is not None
    assert _count(project, Memo, Memo.relation_id == relation) == 1


# ----------------------------------------------------------------- undo against a colleague
def test_undoing_a_coding_while_its_code_is_merged_is_refused_not_a_silent_no_op(project: Project) -> None:
    """甲 undoes a coding while 主 merges its code away: the undo must not report success while the
    coding, moved by the merge, stays where it is (the removal found nothing left on the code)."""
    add_document(project, ["一。", "二。"])
    owner, coder = Workbench(project, "主"), Workbench(project, "甲")
    code, other = owner.create_code("压力").id, owner.create_code("负担").id
    coder.code_statements([1], code)
    moved, outcome, _waited = second_while_first_open(
        project,
        lambda s: merge_codes(s, s.get_one(Code, code), s.get_one(Code, other), coder=s.get(Coder, owner.coder_id)),
        coder.undo,
    )
    assert moved == 1
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the undo was not refused: {outcome}"
    assert "\n" not in str(error) and "code '压力' was merged into '负担' by 主" in str(error)
    assert _count(project, Coding, Coding.code_id == other, Coding.coder_id == coder.coder_id) == 1
    assert coder.pending_history()[0] is not None  # the step is still there to undo (or to explain)


def test_undoing_a_new_code_while_a_colleague_codes_with_it_is_refused(project: Project) -> None:
    """主 undoes creating 新码 while 甲's coding with it is in progress: the undo must see that
    coding and refuse, not delete the code with 甲's acknowledged coding."""
    add_document(project, ["一。", "二。"])
    owner, coder = Workbench(project, "主"), Workbench(project, "甲")
    code = owner.create_code("新码").id
    added, outcome, _waited = second_while_first_open(
        project,
        lambda s: add_codings(s, [1], code, coder.coder_id),
        owner.undo,
    )
    assert added == [1]
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the undo was not refused: {outcome}"
    assert "\n" not in str(error) and "甲 has 1 coding with it" in str(error)
    assert _count(project, Coding, Coding.code_id == code) == 1


# ----------------------------------------------------------------- exclusive sets
def _two_values(project: Project) -> tuple[Workbench, Workbench, int, int, int]:
    """Codes 身份 (level 1) over 学生 and 教师, not exclusive yet; 甲 coded statement 1 学生."""
    add_document(project, ["我是学生也当过老师。", "二。"])
    owner, coder = Workbench(project, "主"), Workbench(project, "甲")
    parent = owner.create_code("身份", level=1).id
    student = owner.create_code("学生", parent_id=parent).id
    teacher = owner.create_code("教师", parent_id=parent).id
    coder.code_statements([1], student)
    return owner, coder, parent, student, teacher


def _clashes(project: Project, parent: int) -> int:
    """Statements on which one coder has two children of ``parent`` (counted with plain SQL)."""
    with project.session() as session:
        children = select(Code.id).where(Code.parent_id == parent)
        pairs = session.execute(
            select(Coding.sentence_id, Coding.coder_id)
            .where(Coding.code_id.in_(children))
            .group_by(Coding.sentence_id, Coding.coder_id)
            .having(func.count() > 1)
        ).all()
        return len(pairs)


def test_marking_codes_exclusive_while_a_coder_gives_a_second_one_leaves_no_clash(project: Project) -> None:
    from qcoder.coding.scales import set_exclusive

    owner, coder, parent, _student, teacher = _two_values(project)
    _done, outcome, _waited = second_while_first_open(
        project,
        lambda s: set_exclusive(s, s.get_one(Code, parent), coder=s.get(Coder, owner.coder_id)),
        lambda: coder.code_statements([1], teacher),
    )
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the second value was stored: {outcome}"
    assert "\n" not in str(error) and "one value per statement" in str(error)
    assert _clashes(project, parent) == 0


def test_a_second_value_being_coded_while_codes_are_marked_exclusive_refuses_the_marking(project: Project) -> None:
    from qcoder.coding.scales import set_exclusive

    owner, coder, parent, _student, teacher = _two_values(project)
    _added, outcome, _waited = second_while_first_open(
        project,
        lambda s: add_codings(s, [1], teacher, coder.coder_id),
        lambda: project.run(lambda s: set_exclusive(s, s.get_one(Code, parent), coder=s.get(Coder, owner.coder_id))),
    )
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the codes were marked exclusive over a clash: {outcome}"
    assert "\n" not in str(error) and "remove one before marking them exclusive" in str(error)
    with project.session() as session:
        assert session.get_one(Code, parent).exclusive is False


# ----------------------------------------------------------------- the workbench's toggle (SQL on a connection)
def test_a_toggle_while_its_code_is_merged_away_is_refused_and_stores_nothing(project: Project) -> None:
    """甲 presses a number key for 压力 while 主 merges 压力 into 负担: the toggle (written on a connection,
    without a session) waits for the merge and is refused in one line naming it — no coding of a code that is
    gone, none moved under 负担 behind the coder's back, nothing in the log."""
    add_document(project, ["一。", "二。"])
    owner, coder = Workbench(project, "主"), Workbench(project, "甲")
    code, other = owner.create_code("压力").id, owner.create_code("负担").id
    coder.code_statements([2], other)
    logged = len(_events(project, "coding.add"))
    _moved, outcome, waited = second_while_first_open(
        project,
        lambda s: merge_codes(s, s.get_one(Code, code), s.get_one(Code, other), coder=s.get(Coder, owner.coder_id)),
        lambda: coder.toggle_and_read([1], code),
    )
    assert waited is not False  # PostgreSQL: the toggle met the merge's lock (SQLite: it queued)
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the toggle was not refused: {outcome}"
    assert "\n" not in str(error) and "压力" in str(error) and "nothing was coded" in str(error)
    assert _count(project, Coding, Coding.sentence_id == 1) == 0
    assert len(_events(project, "coding.add")) == logged
    assert coder.toggle_and_read([1], other)[0]  # the next toggle goes through


def test_a_toggle_of_a_second_value_while_codes_are_marked_exclusive_leaves_no_clash(project: Project) -> None:
    """甲 toggles 教师 on a statement that has 学生 while 主 marks 身份's values exclusive: the toggle's
    one-value rule (read through a session joined to the toggle's connection) sees the marking and refuses."""
    from qcoder.coding.scales import set_exclusive

    owner, coder, parent, _student, teacher = _two_values(project)
    _done, outcome, waited = second_while_first_open(
        project,
        lambda s: set_exclusive(s, s.get_one(Code, parent), coder=s.get(Coder, owner.coder_id)),
        lambda: coder.toggle_and_read([1], teacher),
    )
    assert waited is not False
    error = outcome.get("error")
    assert isinstance(error, QcoderError), f"the second value was stored: {outcome}"
    assert "\n" not in str(error) and "one value per statement" in str(error)
    assert _clashes(project, parent) == 0
