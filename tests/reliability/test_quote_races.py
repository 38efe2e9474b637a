"""Changing the quote span of a coding while it is removed, or re-quoted, from another place (both backends).

Issue 15 (quote spans) and the brief's rule that every multi-step write is tested against a concurrent
writer. A coding belongs to one coder, so "a colleague" here is the same coder working from a second
place (the workbench and a script, or two terminals): one session changes the quote of codings it shows
while the other removes them, or changes their quote too, statement by statement, at the same moment.

What must hold, on SQLite and PostgreSQL:
* each change is acknowledged or refused in one line; a refused change wrote nothing;
* no coding comes back once its removal was acknowledged (the quote change did not see it go);
* a quote change based on a quote that changed since is refused, never silently overwriting it;
* the event log tells exactly what happened: replaying it gives the database's codings, every
  ``coding.quote`` names the span the coding really had, every ``coding.remove`` the span it really
  removed — so undoing every step, newest first, brings back the codings as they were before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from factories import add_document
from sqlalchemy import select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.codings import add_codings
from qcoder.coding.workbench import Workbench
from qcoder.errors import QcoderError
from qcoder.store.database import open_project
from qcoder.store.models import Coding, Event, Sentence

STATEMENTS = 60
TEXT = "新基建带动了本地的创新联合体（第{i}条）。"
FIRST, SECOND = (0, 3), (3, 7)  # 新基建 / 带动了本 — the same words in every statement

Span = tuple[int, int] | None


def _prepare(db_url: str) -> tuple[list[int], int, int]:
    """Statements all coded by 甲 with 新基建 as whole statements (outside any undo step); (ids, code, coder)."""
    with open_project(db_url) as project:
        add_document(project, [TEXT.format(i=i) for i in range(STATEMENTS)])

        def code_all(s: Any) -> tuple[list[int], int, int]:
            coder = get_or_create_coder(s, "甲")
            code = create_code(s, "新基建", level=0, coder=coder)
            ids = sorted(s.scalars(select(Sentence.id)))
            add_codings(s, ids, code.id, coder.id)
            return ids, code.id, coder.id

        return project.run(code_all)


def _codings(db_url: str, code_id: int, coder_id: int) -> dict[int, Span]:
    with open_project(db_url) as project, project.session() as s:
        rows = s.execute(
            select(Coding.sentence_id, Coding.quote_start, Coding.quote_end).where(
                Coding.code_id == code_id, Coding.coder_id == coder_id
            )
        )
        return {sid: (None if start is None else (start, end)) for sid, start, end in rows}


def _replay(db_url: str, code_id: int) -> dict[int, Span]:
    """The codings the event log describes, checking every event against the state before it."""
    state: dict[int, Span] = {}
    with open_project(db_url) as project, project.session() as s:
        events = s.scalars(select(Event).where(Event.action.like("coding.%")).order_by(Event.id)).all()
        for event in events:
            payload = event.payload
            if payload.get("code_id") != code_id:
                continue
            quotes = {int(k): tuple(v) for k, v in (payload.get("quotes") or {}).items()}
            if event.action == "coding.add":
                for sid in payload["sentence_ids"]:
                    assert sid not in state, f"event {event.id} adds a coding that is there"
                    state[sid] = quotes.get(sid)  # type: ignore[assignment]
            elif event.action == "coding.remove":
                for sid in payload["sentence_ids"]:
                    assert sid in state, f"event {event.id} removes a coding that is not there"
                    assert state.pop(sid) == quotes.get(sid), f"event {event.id} logs another span than it removed"
            elif event.action == "coding.quote":
                sid = payload["sentence_id"]
                old = tuple(payload["old"]) if payload["old"] else None
                assert sid in state and state[sid] == old, f"event {event.id} logs another old span than the coding had"
                state[sid] = tuple(payload["new"]) if payload["new"] else None  # type: ignore[assignment]
    return state


def _run_together(*workers: Callable[[Workbench], None], db_url: str) -> None:
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(worker: Callable[[Workbench], None]) -> None:
        try:
            with open_project(db_url) as project:
                bench = Workbench(project, "甲")
                start.wait()
                worker(bench)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not errors, errors


def _undo_everything(db_url: str) -> int:
    """Undo 甲's steps newest first until none is left; each one must succeed. How many."""
    with open_project(db_url) as project:
        bench = Workbench(project, "甲")
        undone = 0
        while bench.undo() is not None:
            undone += 1
    return undone


def _one_line(error: QcoderError, *words: str) -> None:
    text = str(error)
    assert "\n" not in text and any(word in text for word in words), text


def test_quote_change_racing_removal_never_brings_a_coding_back(db_url: str) -> None:
    ids, code_id, coder_id = _prepare(db_url)
    quoted: dict[int, Span] = {}
    refused: list[int] = []
    removed: list[int] = []

    def requote(bench: Workbench) -> None:
        for sid in ids:  # the face shows each coding as a whole statement and selects 新基建
            try:
                if bench.code_quote(sid, code_id, FIRST, expected=None):
                    quoted[sid] = FIRST
            except QcoderError as error:  # removed a moment ago: refused, nothing written
                _one_line(error, "no longer carries")
                refused.append(sid)

    def remove(bench: Workbench) -> None:
        for sid in ids:
            removed.extend(bench.uncode_statements([sid], code_id))

    _run_together(requote, remove, db_url=db_url)
    assert sorted(removed) == ids  # every removal found its coding (changed or not) and was acknowledged
    assert _codings(db_url, code_id, coder_id) == {}  # none came back
    assert len(quoted) + len(refused) == STATEMENTS
    assert _replay(db_url, code_id) == {}  # the log is exact, event by event
    assert _undo_everything(db_url) == STATEMENTS + len(quoted)
    assert _codings(db_url, code_id, coder_id) == dict.fromkeys(ids)  # back to whole statements


def test_two_quote_changes_at_once_never_overwrite_each_other_silently(db_url: str) -> None:
    ids, code_id, coder_id = _prepare(db_url)
    acknowledged: dict[str, dict[int, Span]] = {"first": {}, "second": {}}
    refused: dict[str, list[int]] = {"first": [], "second": []}

    def requote(name: str, span: tuple[int, int]) -> Callable[[Workbench], None]:
        def work(bench: Workbench) -> None:
            for sid in ids:  # both show the whole statement and select other words
                try:
                    if bench.code_quote(sid, code_id, span, expected=None):
                        acknowledged[name][sid] = span
                except QcoderError as error:  # the other one came first: refused, nothing written
                    _one_line(error, "changed since")
                    refused[name].append(sid)

        return work

    _run_together(requote("first", FIRST), requote("second", SECOND), db_url=db_url)
    final = _codings(db_url, code_id, coder_id)
    for sid in ids:  # exactly one of the two changes per statement, and it is the one stored
        won = [acknowledged[name][sid] for name in acknowledged if sid in acknowledged[name]]
        assert len(won) == 1 and final[sid] == won[0], (sid, won, final[sid])
        assert sum(sid in refused[name] for name in refused) == 1
    assert _replay(db_url, code_id) == final
    assert _undo_everything(db_url) == STATEMENTS
    assert _codings(db_url, code_id, coder_id) == dict.fromkeys(ids)


def test_a_stale_quote_change_is_refused_in_one_line_and_changes_nothing(db_url: str) -> None:
    """The same two outcomes one after the other, with the words a researcher reads."""
    ids, code_id, coder_id = _prepare(db_url)
    first, second = ids[0], ids[1]
    with open_project(db_url) as project:
        workbench, script = Workbench(project, "甲"), Workbench(project, "甲")
        assert workbench.code_quote(first, code_id, FIRST, expected=None)
        with pytest.raises(QcoderError) as stale:  # the script still shows the whole statement
            script.code_quote(first, code_id, SECOND, expected=None)
        assert str(stale.value) == (
            "the quote of '新基建' on this statement was changed since you saw it (now [0, 3) '新基建');"
            " nothing was changed; refresh and try again"
        )
        assert script.code_quote(first, code_id, SECOND, expected=FIRST)  # after a refresh it goes through
        assert script.uncode_statements([second], code_id) == [second]
        with pytest.raises(QcoderError) as gone:
            workbench.code_quote(second, code_id, FIRST, expected=None)
        assert str(gone.value) == (
            "the statement no longer carries '新基建' for this coder (removed from another place?);"
            " nothing was changed; refresh"
        )
    codings = _codings(db_url, code_id, coder_id)
    assert codings[first] == SECOND and second not in codings and len(codings) == STATEMENTS - 1
    assert _replay(db_url, code_id) == codings
