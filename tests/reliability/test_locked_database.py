"""A CLI write while another program holds the SQLite write lock.

Held for longer than the command's retry budget: the command fails with one line saying
the project is busy and to try again, and nothing is lost or half-written. Released
quickly: the command waits, retries and succeeds.

The real budget is 8 attempts × a 10 s busy timeout (about 80 s); the child runs the
real CLI with a 200 ms busy timeout so the test takes seconds. The child also drops a
flag file on its first retryable lock error, so the test knows it is really waiting on the
lock (and not still starting up) before it lets go.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from factories import add_document
from sqlalchemy import select

from qcoder.coding.workbench import Workbench
from qcoder.store.check import check_project
from qcoder.store.database import open_project
from qcoder.store.models import Code, Coder, Coding, Sentence, Setting

HARNESS = Path(__file__).with_name("reliability_harness.py")
BUSY_MS = 200


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A project with one statement already coded by ana."""
    path = tmp_path / "team.qcoder.db"
    with open_project(path) as project:
        doc = add_document(project, ["第一句已经编码。", "第二句等待编码。", "第三句。"])
        bench = Workbench(project, "ana")
        code = bench.create_code("已有概念")
        bench.code_statements([bench.statements(doc)[0].id], code.id)
    return path


@contextmanager
def write_lock(path: Path) -> Iterator[sqlite3.Connection]:
    """Another program's open write transaction (it has written a setting, not yet committed)."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=5)
    try:
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO settings (key, value) VALUES ('held_by_other_program', '\"yes\"')")
        yield holder
    finally:
        if holder.in_transaction:
            holder.execute("COMMIT")
        holder.close()


def start_cli(flag: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HARNESS), "impatient-cli", str(BUSY_MS), str(flag), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(flag: Path, child: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not flag.exists():
        assert child.poll() is None, f"the command ended before meeting the lock: {child.communicate()}"
        assert time.monotonic() < deadline, "the command never hit the lock"
        time.sleep(0.02)


def codings(path: Path) -> set[tuple[str, str, str]]:
    with open_project(path) as project, project.session() as session:
        rows = session.execute(
            select(Sentence.label, Code.name, Coder.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
        )
        return {(s, c, who) for s, c, who in rows}


def test_a_lock_held_past_the_retry_budget_fails_in_one_line_and_loses_nothing(db: Path, tmp_path: Path) -> None:
    before = codings(db)
    flag = tmp_path / "retried"
    with write_lock(db):
        child = start_cli(flag, "code", "D01-S002", "--code", "新概念", "--coder", "bo", "--db", str(db))
        out, err = child.communicate(timeout=120)  # the lock outlives the command
    assert child.returncode == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ") and "busy" in lines[0] and "try again" in lines[0]
    assert "Traceback" not in err and out == ""
    assert flag.exists(), "the command gave up without retrying"

    # Nothing lost (the earlier coding, the other program's write), nothing half-done.
    assert codings(db) == before
    with open_project(db) as project:
        with project.session() as session:
            assert session.get(Setting, "held_by_other_program") is not None
            assert session.scalar(select(Code).where(Code.name == "新概念")) is None
            assert session.scalar(select(Coder).where(Coder.name == "bo")) is None
        assert check_project(project) == []


def test_a_lock_released_quickly_is_waited_for_and_the_command_succeeds(db: Path, tmp_path: Path) -> None:
    before = codings(db)
    flag = tmp_path / "retried"
    with write_lock(db):
        child = start_cli(flag, "code", "D01-S002", "D01-S003", "--code", "新概念", "--coder", "bo", "--db", str(db))
        wait_for(flag, child)  # it has met the lock and is retrying: now let go
    out, err = child.communicate(timeout=120)
    assert child.returncode == 0, err
    assert err == ""
    assert "coded 2 of 2 statements" in out
    assert codings(db) == before | {("D01-S002", "新概念", "bo"), ("D01-S003", "新概念", "bo")}
    with open_project(db) as project:
        with project.session() as session:
            assert session.get(Setting, "held_by_other_program") is not None
        assert check_project(project) == []
