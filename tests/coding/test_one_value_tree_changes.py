"""Changes to the code tree never leave a statement with two values of an exclusive set or a scale.

Coding a value is checked statement by statement; making a coded code a scale, moving a coded
code under an exclusive set and merging a code into a value move many codings at once and were
not checked: a variable marked exclusive then held two values for a statement without a word,
and its agreement figures read one of them. Each is now refused in one line naming the statement,
the two values and the coder, with nothing changed (counted independently, both backends); where
nobody has two values the same change goes through. Another coder's value on the same statement
is not a clash (one value per coder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from factories import add_document, qc, second_while_first_open
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code, merge_codes, move_code
from qcoder.coding.codings import add_codings
from qcoder.coding.scales import make_scale, set_exclusive
from qcoder.errors import Conflict, QcoderError
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coding, Event, Sentence


def _ids(session: Session) -> list[int]:
    return list(session.scalars(select(Sentence.id).order_by(Sentence.id)))


def _code(session: Session, name: str) -> Code:
    return session.scalars(select(Code).where(Code.name == name)).one()


def _state(project: Project) -> tuple[Any, Any, int]:
    """Every coding, every code's parent and flags, and the number of events: what a refusal must leave alone."""
    with project.session() as session:
        codings = sorted(
            tuple(row) for row in session.execute(select(Coding.sentence_id, Coding.code_id, Coding.coder_id))
        )
        codes = sorted(
            tuple(row) for row in session.execute(select(Code.name, Code.parent_id, Code.exclusive, Code.scale))
        )
        events = session.scalar(select(func.count()).select_from(Event)) or 0
    return codings, codes, events


def _stance(project: Project) -> None:
    """An exclusive set 立场 (支持 / 反对) coded by A, and a loose code 犹豫 coded by A and B."""
    add_document(project, ["第一句。", "第二句。", "第三句。"])

    def work(session: Session) -> None:
        a, b = get_or_create_coder(session, "A"), get_or_create_coder(session, "B")
        stance = create_code(session, "立场", level=1)
        for name in ("支持", "反对"):
            create_code(session, name, level=0, parent=stance)
        set_exclusive(session, stance)
        create_code(session, "犹豫", level=0)
        s1, s2, _s3 = _ids(session)
        add_codings(session, [s1, s2], _code(session, "支持").id, a.id)
        add_codings(session, [s1], _code(session, "犹豫").id, a.id)  # A: 支持 and 犹豫 on S001
        add_codings(session, [s2], _code(session, "犹豫").id, b.id)  # B: only 犹豫 on S002

    project.run(work)


def test_moving_a_code_under_an_exclusive_set_where_a_coder_would_hold_two_values_is_refused(project: Project) -> None:
    _stance(project)
    before = _state(project)
    with pytest.raises(Conflict) as refused:
        project.run(lambda s: move_code(s, _code(s, "犹豫"), _code(s, "立场")))
    message = str(refused.value)
    assert "\n" not in message and "D01-S001" in message and "'支持'" in message and "'犹豫'" in message
    assert "'A'" in message and "nothing was changed" in message
    assert _state(project) == before  # every coding, every code's parent, no event
    # once A's second value is gone the same move goes through; B's 犹豫 beside A's 支持 on S002 is no clash
    project.run(
        lambda s: s.execute(
            delete(Coding).where(
                Coding.code_id == _code(s, "犹豫").id, Coding.coder_id == get_or_create_coder(s, "A").id
            )
        )
    )
    project.run(lambda s: move_code(s, _code(s, "犹豫"), _code(s, "立场")))
    with project.session() as session:
        assert _code(session, "犹豫").parent_id == _code(session, "立场").id


def test_merging_a_code_into_a_value_that_would_give_a_statement_two_values_is_refused(project: Project) -> None:
    _stance(project)
    before = _state(project)
    with pytest.raises(Conflict) as refused:
        project.run(lambda s: merge_codes(s, _code(s, "犹豫"), _code(s, "反对")))  # A's S001 would hold 支持 and 反对
    assert "D01-S001" in str(refused.value) and "'A'" in str(refused.value) and "\n" not in str(refused.value)
    assert _state(project) == before
    # merging two values of the set into one is fine: a statement with both keeps one
    project.run(lambda s: merge_codes(s, _code(s, "反对"), _code(s, "支持")))
    with project.session() as session:
        assert session.scalar(select(func.count()).select_from(Code).where(Code.name == "反对")) == 0


def test_merging_a_code_whose_children_would_clash_under_an_exclusive_target_is_refused(project: Project) -> None:
    _stance(project)

    def loose_pair(session: Session) -> None:
        group = create_code(session, "态度", level=1)
        create_code(session, "赞同", level=0, parent=group)
        create_code(session, "怀疑", level=0, parent=group)
        a = get_or_create_coder(session, "A")
        s3 = _ids(session)[2]
        add_codings(session, [s3], _code(session, "赞同").id, a.id)
        add_codings(session, [s3], _code(session, "怀疑").id, a.id)  # two children, allowed: 态度 is not exclusive

    project.run(loose_pair)
    before = _state(project)
    with pytest.raises(Conflict, match="D01-S003") as refused:
        project.run(lambda s: merge_codes(s, _code(s, "态度"), _code(s, "立场")))  # its children come under 立场
    assert "'怀疑'" in str(refused.value) and "'赞同'" in str(refused.value)
    assert _state(project) == before


def test_making_a_coded_code_a_scale_with_two_values_on_a_statement_is_refused(project: Project) -> None:
    add_document(project, ["第一句。", "第二句。"])

    def coded(session: Session) -> None:
        a = get_or_create_coder(session, "A")
        strength = create_code(session, "强度", level=1)
        weak = create_code(session, "强度=弱", level=0, parent=strength)
        strong = create_code(session, "强度=强", level=0, parent=strength)
        s1, s2 = _ids(session)
        add_codings(session, [s1], weak.id, a.id)
        add_codings(session, [s1, s2], strong.id, a.id)  # S001: 弱 and 强 — fine while 强度 is not a scale

    project.run(coded)
    before = _state(project)
    with pytest.raises(Conflict) as refused:
        project.run(lambda s: make_scale(s, "强度", ["弱", "中", "强"], level=1))
    message = str(refused.value)
    assert "D01-S001" in message and "'A'" in message and "scale" in message and "\n" not in message
    assert _state(project) == before  # not a scale, no 强度=中 created, nothing logged
    project.run(lambda s: s.execute(delete(Coding).where(Coding.code_id == _code(s, "强度=弱").id)))
    project.run(lambda s: make_scale(s, "强度", ["弱", "中", "强"], level=1))
    with project.session() as session:
        assert _code(session, "强度").scale == "ordinal" and _code(session, "强度=中").parent_id is not None


def test_a_move_under_a_set_and_a_value_coded_at_that_moment_never_leave_two_values(project: Project) -> None:
    """The move checks, then a coder codes 反对 on a statement where the moved code sits: one of them is refused."""
    _stance(project)
    project.run(
        lambda s: s.execute(
            delete(Coding).where(
                Coding.code_id == _code(s, "支持").id, Coding.coder_id == get_or_create_coder(s, "A").id
            )
        )
    )  # A: only 犹豫 on S001 now: the move alone is fine

    def move(session: Session) -> None:
        move_code(session, _code(session, "犹豫"), _code(session, "立场"))

    def code_a_value() -> str:
        with open_project(project.url) as other:
            try:
                other.run(lambda s: add_codings(s, [_ids(s)[0]], _code(s, "反对").id, get_or_create_coder(s, "A").id))
            except QcoderError as error:
                return str(error)
        return "coded"

    _held, outcome, _waited = second_while_first_open(project, move, code_a_value)
    assert "error" not in outcome, outcome
    with project.session() as session:
        a = get_or_create_coder(session, "A").id
        values = session.scalar(
            select(func.count())
            .select_from(Coding)
            .join(Code, Code.id == Coding.code_id)
            .where(
                Coding.coder_id == a,
                Coding.sentence_id == _ids(session)[0],
                Code.parent_id == _code(session, "立场").id,
            )
        )
    assert values == 1  # 犹豫 (moved under 立场) alone: the value coded meanwhile was refused
    assert "one value per statement" in outcome["value"]


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "p.qcoder")
    with open_project(db) as project:
        _stance(project)
    code, _out, err = qc("codebook", "move", "犹豫", "--parent", "立场", "--coder", "A", "--db", db)
    assert code == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "D01-S001" in err and "one value per statement" in err


def test_undoing_the_delete_of_a_value_after_another_value_was_given_is_refused(project: Project) -> None:
    """B gave S003 支持; A deletes 支持 (everyone's codings with it go too); B gives S003 反对 instead; A undoes
    the delete: B's 支持 would come back beside B's 反对. The undo is refused in one line, nothing changes."""
    from qcoder.coding.workbench import Workbench

    _stance(project)
    a, b = Workbench(project, "A"), Workbench(project, "B")
    with project.session() as session:
        supported, against, third = _code(session, "支持").id, _code(session, "反对").id, _ids(session)[2]
    b.code_statements([third], supported)
    a.delete_code(supported)
    b.code_statements([third], against)
    before = _state(project)
    with pytest.raises(Conflict) as refused:
        a.undo()
    message = str(refused.value)
    assert "D01-S003" in message and "'支持'" in message and "'反对'" in message and "'B'" in message
    assert "\n" not in message
    assert _state(project) == before  # 支持 still deleted, every coding as it was, no event
