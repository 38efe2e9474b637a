"""A coder's process killed mid-burst (kill -9) loses no acknowledged coding and no data.

The child codes statement after statement and prints each coding only after the commit
returned; the parent kills it without warning part-way through, three times over on the
same file. SQLite in WAL mode with synchronous=NORMAL must keep every committed
transaction when the process (not the machine) dies, and recovery on the next open must
leave a sound file.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from factories import add_document
from sqlalchemy import select

from qcoder.coding.workbench import Workbench
from qcoder.store.check import check_project
from qcoder.store.database import open_project, sqlite_path
from qcoder.store.models import Coder, Coding, Event

HARNESS = Path(__file__).with_name("reliability_harness.py")
ROUNDS = 3


def burst_until_killed(url: str, kill_after: int) -> tuple[list[tuple[int, int]], str]:
    """Run one burst, SIGKILL it after ``kill_after`` acknowledgements; return every ack it printed."""
    child = subprocess.Popen(
        [sys.executable, str(HARNESS), "crash-burst", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stderr is not None
    assert child.stdout.readline().strip() == "ready", child.stderr.read()
    acked: list[tuple[int, int]] = []
    for line in child.stdout:
        if line.strip() == "finished":
            break
        sid, cid = line.split()
        acked.append((int(sid), int(cid)))
        if len(acked) == kill_after:
            os.kill(child.pid, signal.SIGKILL)
    # Lines flushed before the kill are acknowledgements too: the loop reads them all.
    child.wait(timeout=60)
    stderr = child.stderr.read()
    assert child.returncode == -signal.SIGKILL, f"the burst ended on its own ({child.returncode}): {stderr}"
    return acked, stderr


def test_acknowledged_codings_survive_kill_9_and_the_file_stays_sound(
    sqlite_url: str, figures: Callable[[str], None]
) -> None:
    with open_project(sqlite_url) as project:
        # 2,000 statement × code pairs: more than three bursts of at most 400 can code.
        add_document(project, [f"第{i}句：访谈记录中的一个陈述。" for i in range(1, 501)])
        lead = Workbench(project, "lead")
        for name in ("需求牵引", "创新环境", "技术突破", "效率变革"):
            lead.create_code(name)

    rng = random.Random(7)
    acked: list[tuple[int, int]] = []
    for _ in range(ROUNDS):
        got, stderr = burst_until_killed(sqlite_url, kill_after=rng.randint(150, 400))
        assert "Traceback" not in stderr
        acked.extend(got)
    path = sqlite_path(sqlite_url)
    assert path is not None
    wal = path.with_name(path.name + "-wal")
    figures(
        f"{ROUNDS} kill -9 mid-burst, {len(acked)} acknowledged codings; "
        f"WAL left behind: {wal.stat().st_size if wal.exists() else 0} bytes"
    )

    # A plain sqlite3 connection sees a sound file (recovering the WAL as any reader would).
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        raw.close()

    with open_project(sqlite_url) as project:
        assert check_project(project) == []
        with project.session() as session:
            crasher = session.scalar(select(Coder.id).where(Coder.name == "crasher"))
            stored = {
                (sid, cid)
                for sid, cid in session.execute(
                    select(Coding.sentence_id, Coding.code_id).where(Coding.coder_id == crasher)
                )
            }
            logged = {
                (sid, event.payload["code_id"])
                for event in session.scalars(
                    select(Event).where(Event.action == "coding.add", Event.coder_id == crasher)
                )
                for sid in event.payload["sentence_ids"]
            }
        missing = set(acked) - stored
        assert not missing, f"{len(missing)} acknowledged codings lost, e.g. {sorted(missing)[:5]}"
        assert len(acked) == len(set(acked))  # each coding was acknowledged once, never twice
        # Atomicity: a coding and its audit event commit together or not at all, even when
        # the kill lands inside the transaction (at most one unacknowledged commit per round).
        assert stored == logged
        assert len(stored - set(acked)) <= ROUNDS

        # And the project is still usable for coding.
        bench = Workbench(project, "crasher")
        sid, cid = next(iter(stored))
        assert bench.uncode_statements([sid], cid) == [sid]
        assert bench.code_statements([sid], cid) == [sid]
