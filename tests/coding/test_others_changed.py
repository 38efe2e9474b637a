"""Live refresh's question "has someone else changed the project?" misses no committed change.

On PostgreSQL an event's id is handed out when the row is inserted, not when its
transaction commits: a colleague's long transaction (a merge, an import) can commit an
event whose id is below one the workbench has already seen. Each test here really commits
out of order on the session's PostgreSQL server: T1 logs an event and stays open, T2 logs
a later one and commits, the reader looks, then T1 commits — and the reader must notice.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import create_code
from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project, open_project
from qcoder.store.models import Event


@pytest.fixture
def colleagues(db_url: str, project: Project) -> Iterator[tuple[Project, Project]]:
    """Two other machines on the same project: each its own engine and connections."""
    first, second = open_project(db_url), open_project(db_url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
def test_out_of_order_commits_are_all_noticed(pg_project: Project, pg_colleagues: tuple[Project, Project]) -> None:
    reader = Workbench(pg_project, "ana")
    slow, quick = pg_colleagues
    rounds, noticed, reported_twice = 5, 0, 0
    mark = reader.latest_event()
    for round_ in range(rounds):
        with slow.transaction() as t1:
            create_code(t1, f"慢的{round_}", coder=get_or_create_coder(t1, "bo"))
            t1.flush()  # T1's event has its id now: lower than T2's
            low = t1.scalar(select(func.max(Event.id)))  # T1's own event, the newest it can see
            Workbench(quick, "carl").create_code(f"快的{round_}")  # T2 commits
            mark, changed = reader.others_changed(mark)
            assert changed  # T2 is seen …
            assert mark.top > low  # … and with it an id above T1's, still invisible
        # T1 has committed now, below the newest id the reader has seen
        mark, changed = reader.others_changed(mark)
        noticed += changed
        mark, again = reader.others_changed(mark)
        reported_twice += again
    print(f"out-of-order commits noticed: {noticed} of {rounds}; reported twice: {reported_twice}")
    assert (noticed, reported_twice) == (rounds, 0)


@pytest.mark.postgres
def test_a_rolled_back_event_is_not_a_change_and_is_forgotten(
    pg_project: Project, pg_colleagues: tuple[Project, Project]
) -> None:
    reader = Workbench(pg_project, "ana")
    slow, quick = pg_colleagues
    mark = reader.latest_event()
    t1 = slow.write_session_factory()
    try:
        create_code(t1, "作废", coder=get_or_create_coder(t1, "bo"))
        t1.flush()
        Workbench(quick, "carl").create_code("留下")
        mark, changed = reader.others_changed(mark)
        assert changed and mark.holes  # the lower id is watched while T1 may still commit
    finally:
        t1.rollback()
        t1.close()
    for _ in range(3):  # the id can never come now: after the transactions of the time end, it is dropped
        mark, changed = reader.others_changed(mark)
        assert not changed
    assert mark.holes == ()


@pytest.mark.postgres
def test_own_events_out_of_order_are_not_someone_elses(
    pg_project: Project, pg_colleagues: tuple[Project, Project]
) -> None:
    reader = Workbench(pg_project, "ana")
    slow, quick = pg_colleagues
    mark = reader.latest_event()
    with slow.transaction() as t1:
        create_code(t1, "我的", coder=get_or_create_coder(t1, "ana"))  # ana on another machine
        t1.flush()
        Workbench(quick, "carl").create_code("他的")
        mark, changed = reader.others_changed(mark)
        assert changed
    mark, changed = reader.others_changed(mark)
    assert not changed and mark.holes == ()  # ana's own change: already shown where she made it
    assert reader.others_changed(mark) == (mark, False)


def test_changes_are_noticed_once_on_each_backend(project: Project, colleagues: tuple[Project, Project]) -> None:
    reader = Workbench(project, "ana")
    other, _ = colleagues
    mark = reader.latest_event()
    assert reader.others_changed(mark) == (mark, False)
    Workbench(other, "ana").create_code("自己的")
    mark, changed = reader.others_changed(mark)
    assert not changed and mark.top > 0
    Workbench(other, "bo").create_code("别人的")
    mark, changed = reader.others_changed(mark)
    assert changed
    assert reader.others_changed(mark) == (mark, False)


@pytest.fixture
def pg_project(pg_url: str) -> Iterator[Project]:
    opened = open_project(pg_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def pg_colleagues(pg_url: str, pg_project: Project) -> Iterator[tuple[Project, Project]]:
    first, second = open_project(pg_url), open_project(pg_url)
    try:
        yield first, second
    finally:
        first.close()
        second.close()
