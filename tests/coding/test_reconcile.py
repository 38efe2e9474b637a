"""Reconciliation on both backends: listing disagreements, accepting A/B/both/neither, durable progress.

Project: D01 (4 statements) reviewed by A and B; D02 (2) reviewed by A only.
Codes: category X (level 1) over concepts x1, x2; concept y (no parent).
A: s1 y, s2 x1, s3 x1 + y, D02-s1 y.  B: s1 y, s2 x2, s4 y.
"""

from __future__ import annotations

import pytest
from factories import add_document
from sqlalchemy import func, select

from qcoder.analysis.agreement import AgreementRequest
from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings, mark_reviewed
from qcoder.coding.reconcile import DECIDE, disagreements, reconciliation_memos, resolve
from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, Event, Sentence

AB = AgreementRequest(coders=("A", "B"), level=0)
AB_CATEGORIES = AgreementRequest(coders=("A", "B"), level=1)


def build(project: Project) -> None:
    docs = [add_document(project, ["一", "二", "三", "四"]), add_document(project, ["五", "六"])]

    def work(session) -> None:  # type: ignore[no-untyped-def]
        a, b = (get_or_create_coder(session, name).id for name in "AB")
        category = create_code(session, "X", level=1)
        codes = {
            "x1": create_code(session, "x1", parent=category).id,
            "x2": create_code(session, "x2", parent=category).id,
            "y": create_code(session, "y").id,
        }
        ids = {s.label: s.id for s in session.scalars(select(Sentence))}
        mark_reviewed(session, docs[0], a)
        mark_reviewed(session, docs[0], b)
        mark_reviewed(session, docs[1], a)
        for coder, code, labels in [
            (a, "y", ["D01-S001", "D01-S003", "D02-S001"]),
            (a, "x1", ["D01-S002", "D01-S003"]),
            (b, "y", ["D01-S001", "D01-S004"]),
            (b, "x2", ["D01-S002"]),
        ]:
            add_codings(session, [ids[label] for label in labels], codes[code], coder)

    project.run(work)


def consensus_codes(project: Project, label: str, consensus: str = "consensus") -> set[str]:
    with project.session() as session:
        query = (
            select(Code.name)
            .join(Coding, Coding.code_id == Code.id)
            .join(Coder, Coder.id == Coding.coder_id)
            .join(Sentence, Sentence.id == Coding.sentence_id)
            .where(Coder.name == consensus, Sentence.label == label)
        )
        return set(session.scalars(query))


def state(project: Project, request: AgreementRequest = AB):  # type: ignore[no-untyped-def]
    with project.session() as session:
        return disagreements(session, request)


def test_lists_disagreements_side_by_side(project: Project) -> None:
    build(project)
    listed = state(project)
    assert [item.label for item in listed.items] == ["D01-S002", "D01-S003", "D01-S004"]
    assert [item.codes for item in listed.items] == [(("x1",), ("x2",)), (("x1", "y"), ()), ((), ("y",))]
    assert listed.progress() == "0/3" and all(item.decision is None for item in listed.items)
    assert listed.items[0].text == "二" and listed.items[0].document_label == "D01"
    # at the category level x1 and x2 both roll up into X: only s3 (X vs nothing) disagrees
    categories = state(project, AB_CATEGORIES)
    assert [item.label for item in categories.items] == ["D01-S003"]
    assert categories.items[0].codes == (("X",), ()) and categories.items[0].applied == (("x1",), ())


def test_accept_a_b_both_neither_write_the_consensus_coder(project: Project) -> None:
    build(project)
    done = project.run(lambda s: resolve(s, AB, "D01-S002", "a"))
    assert done.added == ("x1",) and consensus_codes(project, "D01-S002") == {"x1"}
    project.run(lambda s: resolve(s, AB, "D01-S003", "both", memo="同意A：两个编码都成立"))
    assert consensus_codes(project, "D01-S003") == {"x1", "y"}
    project.run(lambda s: resolve(s, AB, "D01-S004", "neither"))
    assert consensus_codes(project, "D01-S004") == set()
    listed = state(project)
    assert listed.progress() == "3/3"
    assert [item.decision for item in listed.items] == ["a", "both", "neither"]
    # changing one's mind replaces the consensus codes and the recorded decision
    again = project.run(lambda s: resolve(s, AB, "D01-S002", "b"))
    assert (again.added, again.removed) == (("x2",), ("x1",))
    assert consensus_codes(project, "D01-S002") == {"x2"}
    assert state(project).items[0].decision == "b"
    assert state(project).items[0].consensus == ("x2",)
    with project.session() as session:
        sid = session.scalar(select(Sentence.id).where(Sentence.label == "D01-S003"))
        assert reconciliation_memos(session, sid) == ["同意A：两个编码都成立"]
        assert session.scalar(select(func.count()).select_from(Event).where(Event.action == DECIDE)) == 4


def test_decisions_follow_the_coder_order_and_the_choice_of_codes(project: Project) -> None:
    build(project)
    project.run(lambda s: resolve(s, AB, "D01-S002", "a"))
    swapped = state(project, AgreementRequest(coders=("B", "A"), level=0))
    assert swapped.items[0].codes == (("x2",), ("x1",)) and swapped.items[0].decision == "b"
    assert state(project, AB_CATEGORIES).progress() == "0/1"  # decisions belong to one choice of codes


def test_category_level_touches_only_codes_under_the_chosen_codes(project: Project) -> None:
    build(project)
    project.run(lambda s: resolve(s, AB, "D01-S003", "both"))
    assert consensus_codes(project, "D01-S003") == {"x1", "y"}
    project.run(lambda s: resolve(s, AB_CATEGORIES, "D01-S003", "neither"))
    assert consensus_codes(project, "D01-S003") == {"y"}  # y is not under X: untouched
    project.run(lambda s: resolve(s, AB_CATEGORIES, "D01-S003", "a"))
    assert consensus_codes(project, "D01-S003") == {"x1", "y"}  # A's actual concept, not the category
    assert state(project, AB_CATEGORIES).progress() == "1/1"


def test_refusals_are_one_line_errors(project: Project) -> None:
    build(project)
    with pytest.raises(QcoderError, match="has not marked D02 reviewed"):
        project.run(lambda s: resolve(s, AB, "D02-S001", "b"))
    with pytest.raises(QcoderError, match="one of: a, b, both, neither"):
        project.run(lambda s: resolve(s, AB, "D01-S002", "maybe"))
    with pytest.raises(QcoderError, match="must not be one of the coders"):
        project.run(lambda s: resolve(s, AB, "D01-S002", "a", consensus="A"))
    with pytest.raises(QcoderError, match="exactly two coders"):
        state(project, AgreementRequest(coders=("A",), level=0))
    assert consensus_codes(project, "D01-S002") == set()


def test_custom_consensus_name_and_author(project: Project) -> None:
    build(project)
    project.run(lambda s: resolve(s, AB, "D01-S004", "b", consensus="终稿", memo="B 对", by="主持人"))
    assert consensus_codes(project, "D01-S004", "终稿") == {"y"}
    with project.session() as session:
        listed = disagreements(session, AB, consensus="终稿")
        assert listed.progress() == "1/3" and listed.items[2].decision == "b"
        assert disagreements(session, AB).progress() == "0/3"  # the default consensus coder decided nothing
        author = session.scalar(select(Event.coder_id).where(Event.action == DECIDE))
        assert author == session.scalar(select(Coder.id).where(Coder.name == "主持人"))


def test_a_decision_and_the_coder_unmarking_the_document_at_that_moment_never_both_pass(project: Project) -> None:
    """B un-marks D01 reviewed while a reconciler decides on D01-S002 with B's codes: whichever comes second
    sees the first. Un-marking first: the decision waits and is refused (B's codes are not final). Deciding
    first: the un-marking waits for it and then goes through. Both backends (SQLite: one writer)."""
    from factories import second_while_first_open

    from qcoder.store.database import open_project

    build(project)
    with project.session() as session:
        d01 = session.scalar(select(Sentence.document_id).where(Sentence.label == "D01-S002"))
        b = session.scalar(select(Coder.id).where(Coder.name == "B"))

    def decide() -> dict[str, object]:
        with open_project(project.url) as other:
            try:
                return {"decided": other.run(lambda s: resolve(s, AB, "D01-S002", "both").choice)}
            except QcoderError as error:
                return {"refused": str(error)}

    _held, outcome, waited = second_while_first_open(project, lambda s: mark_reviewed(s, d01, b, False), decide)
    assert waited in (True, None), "the decision read B's review without waiting for the un-marking"
    assert "refused" in outcome["value"] and "not marked D01 reviewed" in outcome["value"]["refused"]
    assert consensus_codes(project, "D01-S002") == set()  # no consensus from codes that are not final

    project.run(lambda s: mark_reviewed(s, d01, b))

    def unmark() -> bool:
        with open_project(project.url) as other:
            return other.run(lambda s: mark_reviewed(s, d01, b, False))

    _held, outcome, waited = second_while_first_open(project, lambda s: resolve(s, AB, "D01-S002", "both"), unmark)
    assert waited in (True, None), "the un-marking did not wait for the decision that read B's review"
    assert outcome == {"value": True}
    assert consensus_codes(project, "D01-S002") == {"x1", "x2"}  # decided while reviewed; un-marked after
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(Event.action == "review.remove")) == 2
