"""The toggle's lean path (statements handed straight to the driver) keeps every rule of a coding.

On SQLite and PostgreSQL: what it stores, logs and reads back is what the ORM path stores,
logs and reads (checked by independent reads), undo and redo restore it exactly, and the
refusals (interviewer turns, a second value of an exclusive set, a code merged away) change
nothing.
"""

from __future__ import annotations

import re
from datetime import UTC

import pytest
from factories import add_document
from sqlalchemy import select, text, update

from qcoder.coding.codings import codes_on_sentences
from qcoder.coding.scales import set_exclusive
from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.models import Code, Coder, Coding, Event, HistoryEntry, Sentence

STATEMENTS = [f"第{n}条语句，关于数字政府的建设。" for n in range(1, 11)]


def _ids(project: Project) -> list[int]:
    with project.session() as s:
        return list(s.scalars(select(Sentence.id).order_by(Sentence.id)))


def _codings(project: Project) -> list[tuple[int, int, int, int | None, int | None]]:
    with project.session() as s:
        return sorted(
            s.execute(
                select(Coding.sentence_id, Coding.code_id, Coding.coder_id, Coding.quote_start, Coding.quote_end)
            ).all()
        )


def _events(project: Project) -> int:
    with project.session() as s:
        return len(s.scalars(select(Event.id)).all())


def test_toggle_stores_logs_and_reads_back_like_the_orm(project: Project) -> None:
    add_document(project, STATEMENTS)
    ids = _ids(project)
    a, b = Workbench(project, "研究者A"), Workbench(project, "研究者B")
    code = a.create_code("数字政府")
    other = a.create_code("公共服务", code_sentences=[ids[1]])
    b.code_statements([ids[1], ids[2]], code.id)  # a colleague's codings: read back with all_coders only

    coded, truth = a.toggle_and_read([ids[0], ids[1], ids[2]], code.id)
    assert coded
    with project.session() as s:
        assert truth == codes_on_sentences(s, [ids[0], ids[1], ids[2]], a.coder_id)  # an ORM read, independent
    assert truth[ids[1]] == [(other.id, a.coder_id), (code.id, a.coder_id)]
    coded, everyone = a.toggle_and_read([ids[3]], code.id, all_coders=True)
    assert coded and everyone == {ids[3]: [(code.id, a.coder_id)]}
    _coded, everyone = a.toggle_and_read([ids[3]], code.id, all_coders=True)
    assert everyone == {}  # uncoded: nothing left on it
    _coded, everyone = a.toggle_and_read([ids[3]], code.id, all_coders=True)
    _coded, everyone = a.toggle_and_read([ids[2]], code.id, all_coders=True)
    assert not _coded and everyone == {ids[2]: [(code.id, b.coder_id)]}  # mine went, the colleague's stays
    a.toggle_and_read([ids[2]], code.id)

    with project.session() as s:
        toggled = s.scalars(select(Event).where(Event.action.like("coding.%")).order_by(Event.id.desc())).first()
        assert toggled is not None
        assert toggled.payload == {"code_id": code.id, "sentence_ids": [ids[2]]}
        assert toggled.action == "coding.add" and toggled.coder_id == a.coder_id
        entry = s.get(HistoryEntry, toggled.history_id)
        assert entry is not None and entry.description == "code 1 statement with 数字政府" and entry.state == "done"
        stamps = [toggled.at, entry.created_at]
        stamps += list(s.scalars(select(Coding.created_at).where(Coding.code_id == code.id)))
        assert all(stamp.tzinfo is not None and stamp.utcoffset() == UTC.utcoffset(None) for stamp in stamps)
        if project.is_sqlite:  # stored as the ORM stores them: the same text, so they sort together
            raw = s.execute(text("SELECT at FROM events")).scalars().all()
            assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", value) for value in raw), raw


def test_toggle_of_quoted_codings_undoes_to_the_same_spans(project: Project) -> None:
    add_document(project, STATEMENTS)
    ids = _ids(project)
    a = Workbench(project, "研究者A")
    code = a.create_code("数字政府", code_sentences=[ids[0]])
    a.code_quote(ids[1], code.id, (2, 6))
    before = _codings(project)

    coded, truth = a.toggle_and_read([ids[0], ids[1]], code.id)
    assert not coded and truth == {}
    assert _codings(project) == []
    assert a.undo() == "uncode 2 statements with 数字政府"
    assert _codings(project) == before  # the span came back with its coding
    assert a.redo() == "uncode 2 statements with 数字政府"
    assert _codings(project) == []


def test_toggle_clears_redo_and_joins_a_new_coder(project: Project) -> None:
    add_document(project, STATEMENTS)
    ids = _ids(project)
    a = Workbench(project, "研究者A")
    code = a.create_code("数字政府")
    a.toggle([ids[0]], code.id)
    assert a.undo() == "code 1 statement with 数字政府"
    a.toggle([ids[1]], code.id)
    assert a.redo() is None  # a new step ends what redo could do
    assert a.undo() == "code 1 statement with 数字政府"
    assert _codings(project) == []

    late = Workbench(project, "新来的", join_now=False)
    with project.session() as s:
        assert s.scalar(select(Coder.id).where(Coder.name == "新来的")) is None
    coded, truth = late.toggle_and_read([ids[4]], code.id)
    assert coded and truth == {ids[4]: [(code.id, late.coder_id)]}
    with project.session() as s:
        assert s.scalar(select(Coder.id).where(Coder.name == "新来的")) == late.coder_id


def test_toggle_refusals_change_nothing(project: Project) -> None:
    add_document(project, STATEMENTS)
    ids = _ids(project)
    a = Workbench(project, "研究者A")
    parent = a.create_code("满意度", 1)
    high = a.create_code("高", parent_id=parent.id, code_sentences=[ids[0]])
    low = a.create_code("低", parent_id=parent.id)
    project.run(lambda s: set_exclusive(s, s.get(Code, parent.id)))
    project.run(lambda s: s.execute(update(Sentence).where(Sentence.id == ids[5]).values(kind="context")))
    gone = a.create_code("被合并")
    a.merge_codes(gone.id, high.id)
    before, logged = _codings(project), _events(project)

    with pytest.raises(QcoderError, match="interviewer turns"):
        a.toggle_and_read([ids[5]], low.id)
    with pytest.raises(QcoderError):
        a.toggle_and_read([ids[0]], low.id)  # a second value of the exclusive set on the statement
    with pytest.raises(QcoderError, match="code '被合并' was merged into '高'"):
        a.toggle_and_read([ids[1]], gone.id)
    assert (_codings(project), _events(project)) == (before, logged)

    coded, truth = a.toggle_and_read([ids[5], ids[6]], low.id)  # the interviewer turn is skipped
    assert coded and truth == {ids[6]: [(low.id, a.coder_id)]}


def test_toggle_of_more_statements_than_one_statement_holds(project: Project) -> None:
    """A selection longer than one SQL statement's chunk (500) is coded, read back and uncoded whole."""
    add_document(project, [f"第{n}句。" for n in range(1, 651)])
    ids = _ids(project)
    a = Workbench(project, "研究者A")
    code = a.create_code("大段", code_sentences=ids[:3])
    coded, truth = a.toggle_and_read(ids, code.id)
    assert coded and set(truth) == set(ids)
    with project.session() as s:
        assert len(s.scalars(select(Coding.id).where(Coding.code_id == code.id)).all()) == 650
        event = s.scalars(select(Event).order_by(Event.id.desc())).first()
        assert event is not None and event.payload["sentence_ids"] == ids[3:]  # the 647 it added, in order
    coded, truth = a.toggle_and_read(ids, code.id)
    assert not coded and truth == {}
    assert a.undo() == "uncode 650 statements with 大段"
    with project.session() as s:
        assert len(s.scalars(select(Coding.id).where(Coding.code_id == code.id)).all()) == 650


def test_a_code_gone_meanwhile_is_named_with_who_and_what(project: Project) -> None:
    """A toggle or coding with a code a colleague merged or deleted says which code, what became of it, and who."""
    add_document(project, STATEMENTS)
    ids = _ids(project)
    a, b = Workbench(project, "研究者A"), Workbench(project, "研究者B")
    merged, kept, deleted = a.create_code("压力"), a.create_code("负担"), a.create_code("旧码")
    b.merge_codes(merged.id, kept.id)
    b.delete_code(deleted.id)
    before = _codings(project)
    with pytest.raises(QcoderError, match=r"code '压力' was merged into '负担' by 研究者B at .*; nothing was coded"):
        a.toggle_and_read([ids[1]], merged.id)
    with pytest.raises(QcoderError, match=r"code '旧码' was deleted by 研究者B at .*; nothing was coded"):
        a.code_statements([ids[1]], deleted.id)
    assert _codings(project) == before
