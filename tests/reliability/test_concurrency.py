"""Eight coders writing at once lose nothing, duplicate nothing and see no errors.

The issue's scenario: 8 processes × 500 coding actions (add coding, remove coding, create
code, memo) against one SQLite file in WAL mode and against PostgreSQL. Each process is
a fresh interpreter with its own project and workbench; every action it got an answer
for is logged, and the database must end up exactly as those answers imply.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from factories import wait_until_blocked_on_a_lock
from reliability_harness import actual_state, expected_state, percentile, run_writers
from sqlalchemy import func, select

from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codes import ensure_code
from qcoder.store.check import check_project
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coding

PROCESSES = 8
ACTIONS = 500


@pytest.mark.slow
def test_eight_writers_lose_nothing_and_duplicate_nothing(
    db_url: str, tmp_path: Path, figures: Callable[[str], None]
) -> None:
    result = run_writers(db_url, tmp_path, processes=PROCESSES, actions=ACTIONS)
    latencies = result.latencies_ms()
    figures(
        f"{result.acked} acknowledged actions by {PROCESSES} processes in {result.elapsed:.1f} s "
        f"({result.acked / result.elapsed:.0f}/s), median {statistics.median(latencies):.1f} ms, "
        f"p95 {percentile(latencies, 0.95):.1f} ms, {result.retries} lock errors retried"
    )

    # No process failed, none printed anything (a traceback would land in its stderr file).
    for log, exitcode in zip(result.logs, result.exitcodes, strict=True):
        assert exitcode == 0, f"writer {log.index} exited with {exitcode}:\n{log.stderr}"
        assert log.stderr == "", f"writer {log.index} wrote to stderr:\n{log.stderr}"
        assert len(log.actions) == ACTIONS
    expected = expected_state(result)
    assert expected.inconsistent == [], "an acknowledgement contradicts the coder's own earlier actions"

    with open_project(db_url) as project:
        actual = actual_state(project)
        with project.session() as session:
            duplicate_codings = session.execute(
                select(Coding.sentence_id, Coding.code_id, Coding.coder_id, func.count())
                .group_by(Coding.sentence_id, Coding.code_id, Coding.coder_id)
                .having(func.count() > 1)
            ).all()
            duplicate_codes = session.execute(
                select(Code.name, Code.level).group_by(Code.name, Code.level).having(func.count() > 1)
            ).all()
        problems = check_project(project)

    writer_ids = {coder_id for coder_id, name in actual.coder_names.items() if name.startswith("coder")}
    assert len(writer_ids) == PROCESSES
    figures(
        f"final state: {len(actual.codings)} codings, {len(expected.codes)} codes created, {len(actual.memos)} memos"
    )

    assert duplicate_codings == [] and duplicate_codes == []
    # Every acknowledged coding that its coder did not later remove is there, and no other.
    writer_codings = {row for row in actual.codings if row[2] in writer_ids}
    missing = expected.codings - writer_codings
    assert not missing, f"{len(missing)} acknowledged codings are missing, e.g. {sorted(missing)[:5]}"
    assert writer_codings == expected.codings, "codings the coders removed (or never added) are present"
    assert len(actual.codings) == len(writer_codings)  # nobody else coded anything
    # Every acknowledged new code and memo exists, with what the coder wrote.
    shared = {*result.setup.shared_code_ids, result.setup.parent_code_id}
    assert {i: n for i, n in actual.codes.items() if i not in shared} == expected.codes
    assert actual.memos == expected.memos
    # The audit log has one event per change: retries left no extra events, commits lost none.
    assert {key: n for key, n in actual.events.items() if key[0] in writer_ids} == expected.events
    assert problems == []


def test_two_coders_creating_the_same_new_code_at_once_both_get_it(db_url: str, request: pytest.FixtureRequest) -> None:
    """``qcoder code … --code 新概念`` by two coders at the same moment: one code, both coded.

    The first coder's transaction has inserted the code but not committed when the second
    looks for it, finds nothing and inserts too. The second must end up using the first
    one's code, not fail.
    """
    with open_project(db_url) as project:
        outcome: dict[str, object] = {}

        def second_coder() -> None:
            try:
                outcome["code"] = project.run(lambda s: ensure_code(s, "新概念", 0, get_or_create_coder(s, "bo"))[0].id)
            except Exception as error:
                outcome["error"] = error

        with project.transaction() as first:
            code, created = ensure_code(first, "新概念", 0, get_or_create_coder(first, "ana"))
            first.flush()
            racer = threading.Thread(target=second_coder)
            racer.start()
            wait_until_blocked_on_a_lock(project)
        racer.join(timeout=60)
        assert created
        assert "error" not in outcome, f"the second coder got: {outcome.get('error')}"
        assert outcome["code"] == code.id
        with project.session() as session:
            assert session.scalar(select(func.count()).select_from(Code).where(Code.name == "新概念")) == 1
