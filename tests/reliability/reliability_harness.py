"""Shared machinery of the reliability tests and ``bench/bench_concurrency.py``.

Concurrent writers run in fresh interpreters (multiprocessing 'spawn'): each opens its own
project and workbench, waits at a barrier so all of them really write at once, and appends
every *acknowledged* action (the workbench call returned) to its own JSON-lines log. The
parent later replays the logs against the database. A writer's stderr goes to a file so the
parent can prove there was no traceback.

Run as a script it is the child of the crash and locked-database tests (see ``main``).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.engine import ExceptionContext

from qcoder.coding.workbench import Workbench
from qcoder.store import database
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coder, Coding, Event, Memo

# The mix of actions a coder makes (weights): mostly coding, some uncoding, codes and memos.
ACTION_WEIGHTS = {"add": 55, "remove": 20, "create": 10, "memo": 15}


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a spawned writer needs; plain data so it pickles."""

    url: str
    index: int
    actions: int
    seed: int
    sentence_ids: tuple[int, ...]
    shared_code_ids: tuple[int, ...]
    parent_code_id: int  # a shared level-1 code new codes are put under
    log_path: str
    stderr_path: str


@dataclass
class SharedSetup:
    """What ``prepare_project`` created for the writers to share."""

    sentence_ids: tuple[int, ...]
    shared_code_ids: tuple[int, ...]
    parent_code_id: int


def prepare_project(project: Project, statements: int = 200) -> SharedSetup:
    """One document and a few shared codes: the common ground all coders work on."""
    from factories import add_document  # tests/ is on sys.path under pytest and in the bench

    doc_id = add_document(
        project, [f"第{i}句：受访者谈到创新联合体的第{i}个经验。" for i in range(1, statements + 1)], name="shared"
    )
    lead = Workbench(project, "lead")
    parent = lead.create_code("协同创新", level=1)
    codes = [
        lead.create_code(name, level=0, parent_id=parent.id).id
        for name in ("需求牵引", "创新环境", "技术突破", "效率变革")
    ]
    sentence_ids = tuple(row.id for row in lead.statements(doc_id))
    return SharedSetup(sentence_ids=sentence_ids, shared_code_ids=tuple(codes), parent_code_id=parent.id)


def count_retryable_errors(project: Project) -> Counter[str]:
    """Count lock/serialization errors the engine sees (each one leads to a retry or a failure)."""
    seen: Counter[str] = Counter()

    def on_error(context: ExceptionContext) -> None:
        error = context.sqlalchemy_exception
        if error is not None and database.is_retryable(error):
            seen["retryable"] += 1

    event.listen(project.engine, "handle_error", on_error)
    return seen


def coding_worker(spec: WorkerSpec, barrier: Any = None) -> None:
    """One coder making ``spec.actions`` random actions; each acknowledged one is logged."""
    err = open(spec.stderr_path, "w", buffering=1)  # noqa: SIM115 - lives as long as the process
    os.dup2(err.fileno(), 2)
    sys.stderr = err
    rng = random.Random(spec.seed)
    project = open_project(spec.url)
    retries = count_retryable_errors(project)
    bench = Workbench(project, f"coder{spec.index}")
    my_codes: list[int] = []
    coded: set[tuple[int, int]] = set()  # this coder's (sentence, code) pairs, as acknowledged
    kinds = list(ACTION_WEIGHTS)
    weights = list(ACTION_WEIGHTS.values())
    with open(spec.log_path, "w", buffering=1, encoding="utf-8") as log:
        if barrier is not None:
            barrier.wait()
        began = time.perf_counter()
        for n in range(spec.actions):
            kind = rng.choices(kinds, weights)[0]
            if kind == "remove" and not coded:
                kind = "add"
            start = time.perf_counter()
            record: dict[str, Any] = {"kind": kind}
            if kind == "add":
                sid = rng.choice(spec.sentence_ids)
                cid = rng.choice([*spec.shared_code_ids, *my_codes])
                record.update(sentence=sid, code=cid, result=bench.code_statements([sid], cid))
                coded.add((sid, cid))
            elif kind == "remove":
                sid, cid = rng.choice(sorted(coded))
                record.update(sentence=sid, code=cid, result=bench.uncode_statements([sid], cid))
                coded.discard((sid, cid))
            elif kind == "create":
                name = f"P{spec.index}-{n} 新概念"
                info = bench.create_code(name, level=0, parent_id=spec.parent_code_id)
                my_codes.append(info.id)
                record.update(code=info.id, name=name)
            else:
                text = f"备忘 {spec.index}-{n}: 编码者{spec.index}的第{n}条理论备忘。"
                target, target_id = rng.choice(
                    [
                        ("project", None),
                        ("sentence", rng.choice(spec.sentence_ids)),
                        ("code", rng.choice(spec.shared_code_ids)),
                    ]
                )
                record.update(memo=bench.add_memo(text, target=target, target_id=target_id), text=text)
            record["ms"] = (time.perf_counter() - start) * 1000
            log.write(json.dumps(record) + "\n")
        log.write(
            json.dumps(
                {
                    "kind": "done",
                    "elapsed": time.perf_counter() - began,
                    "retries": retries["retryable"],
                    "coder_id": bench.coder_id,
                }
            )
            + "\n"
        )
    project.close()


@dataclass
class WorkerLog:
    """A writer's acknowledged actions, read back by the parent."""

    index: int
    actions: list[dict[str, Any]]
    done: dict[str, Any] | None
    stderr: str

    @property
    def latencies_ms(self) -> list[float]:
        return [a["ms"] for a in self.actions]


def read_log(spec: WorkerSpec) -> WorkerLog:
    lines = Path(spec.log_path).read_text(encoding="utf-8").splitlines() if Path(spec.log_path).exists() else []
    records = [json.loads(line) for line in lines]
    done = records.pop() if records and records[-1]["kind"] == "done" else None
    stderr = Path(spec.stderr_path).read_text(errors="replace") if Path(spec.stderr_path).exists() else ""
    return WorkerLog(spec.index, records, done, stderr)


@dataclass
class RunResult:
    """What ``run_writers`` observed: the logs, exit codes and wall time."""

    specs: list[WorkerSpec]
    logs: list[WorkerLog]
    exitcodes: list[int | None]
    elapsed: float
    setup: SharedSetup

    @property
    def acked(self) -> int:
        return sum(len(log.actions) for log in self.logs)

    @property
    def retries(self) -> int:
        return sum(int(log.done["retries"]) for log in self.logs if log.done)

    def latencies_ms(self) -> list[float]:
        return [ms for log in self.logs for ms in log.latencies_ms]


def run_writers(
    url: str, workdir: Path, *, processes: int = 8, actions: int = 500, seed: int = 1, timeout: float = 600
) -> RunResult:
    """Prepare the project, start the writers together, wait for all of them."""
    import multiprocessing

    with open_project(url) as project:
        setup = prepare_project(project)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    specs = [
        WorkerSpec(
            url=url,
            index=i,
            actions=actions,
            seed=seed * 1000 + i,
            sentence_ids=setup.sentence_ids,
            shared_code_ids=setup.shared_code_ids,
            parent_code_id=setup.parent_code_id,
            log_path=str(workdir / f"writer{i}.jsonl"),
            stderr_path=str(workdir / f"writer{i}.stderr"),
        )
        for i in range(processes)
    ]
    workers = [ctx.Process(target=coding_worker, args=(spec, barrier), name=f"writer{spec.index}") for spec in specs]
    for worker in workers:
        worker.start()
    try:
        barrier.wait(timeout=120)  # every writer has opened the project: start the clock
        began = time.perf_counter()
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
        elapsed = time.perf_counter() - began
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.kill()
                worker.join()
    return RunResult(specs, [read_log(s) for s in specs], [w.exitcode for w in workers], elapsed, setup)


# --------------------------------------------------------------------------- verification


@dataclass
class Expected:
    """The database state the acknowledged actions imply."""

    codings: set[tuple[int, int, int]] = field(default_factory=set)  # (sentence, code, coder)
    codes: dict[int, str] = field(default_factory=dict)  # created by the writers: id → name
    memos: dict[int, str] = field(default_factory=dict)  # id → text
    events: Counter[tuple[int, str]] = field(default_factory=Counter)  # (coder, action) → count
    inconsistent: list[str] = field(default_factory=list)  # acks that contradict the coder's own history


def expected_state(result: RunResult) -> Expected:
    """Replay every writer's acknowledgements in order (a coder's codings are only its own)."""
    expected = Expected()
    for log in result.logs:
        assert log.done is not None, f"writer {log.index} did not finish"
        coder = int(log.done["coder_id"])
        mine: set[tuple[int, int]] = set()
        for n, action in enumerate(log.actions):
            kind = action["kind"]
            if kind in ("add", "remove"):
                pair = (action["sentence"], action["code"])
                was_there = pair in mine
                should = ([pair[0]] if not was_there else []) if kind == "add" else ([pair[0]] if was_there else [])
                if action["result"] != should:
                    expected.inconsistent.append(
                        f"writer {log.index} action {n}: {kind} {pair} returned {action['result']}, its history says {should}"
                    )
                if action["result"]:
                    expected.events[(coder, f"coding.{kind}")] += 1
                (mine.add if kind == "add" else mine.discard)(pair)
            elif kind == "create":
                expected.codes[action["code"]] = action["name"]
                expected.events[(coder, "code.create")] += 1
            elif kind == "memo":
                expected.memos[action["memo"]] = action["text"]
                expected.events[(coder, "memo.add")] += 1
        expected.codings |= {(sid, cid, coder) for sid, cid in mine}
    return expected


@dataclass
class Actual:
    codings: list[tuple[int, int, int]]
    codes: dict[int, str]
    memos: dict[int, str]
    events: Counter[tuple[int, str]]
    coder_names: dict[int, str]


def actual_state(project: Project) -> Actual:
    with project.session() as s:
        codings = [tuple(row) for row in s.execute(select(Coding.sentence_id, Coding.code_id, Coding.coder_id))]
        events = Counter(
            {
                (int(coder), str(action)): int(n)
                for coder, action, n in s.execute(
                    select(Event.coder_id, Event.action, func.count())
                    .where(Event.coder_id.is_not(None))
                    .group_by(Event.coder_id, Event.action)
                )
            }
        )
        return Actual(
            codings=codings,  # type: ignore[arg-type]
            codes=dict(s.execute(select(Code.id, Code.name)).all()),  # type: ignore[arg-type]
            memos=dict(s.execute(select(Memo.id, Memo.text)).all()),  # type: ignore[arg-type]
            events=events,
            coder_names=dict(s.execute(select(Coder.id, Coder.name)).all()),  # type: ignore[arg-type]
        )


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --------------------------------------------------------------------------- PostgreSQL for the bench


@contextmanager
def private_postgres() -> Iterator[Any]:
    """A throwaway PostgreSQL server, set up exactly as tests/conftest.py's fixture does."""
    import importlib.util
    import shutil
    import tempfile

    # Load tests/conftest.py by path: "conftest" on sys.path could be this folder's own.
    spec = importlib.util.spec_from_file_location(
        "qcoder_tests_conftest", Path(__file__).resolve().parents[1] / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    suite = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = suite
    spec.loader.exec_module(suite)
    PostgresServer, find_pg_bindir = suite.PostgresServer, suite.find_pg_bindir

    bindir = find_pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    socket_dir = Path(tempfile.mkdtemp(prefix="qcpg-", dir="/tmp"))
    if as_root:
        shutil.chown(socket_dir, user="postgres", group="postgres")
    socket_dir.chmod(0o755)
    server = PostgresServer(bindir=bindir, socket_dir=socket_dir, as_postgres_user=as_root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(socket_dir, ignore_errors=True)


# --------------------------------------------------------------------------- child entry points


def crash_burst(url: str) -> None:
    """Code every statement with every code, printing each coding after its commit returned.

    Pairs coded by an earlier (killed) run are skipped, so repeated runs move on.
    """
    project = open_project(url)
    bench = Workbench(project, "crasher")
    code_ids = [c.id for c in bench.codes()]
    sentence_ids = [row.id for doc in bench.documents() for row in bench.statements(doc.id)]
    print("ready", flush=True)
    for cid in code_ids:
        for sid in sentence_ids:
            if bench.code_statements([sid], cid):
                print(f"{sid} {cid}", flush=True)
    print("finished", flush=True)


def impatient_cli(busy_ms: int, flag: str, argv: list[str]) -> None:
    """``qcoder`` with a short SQLite busy timeout (so the test need not sit out 80 s).

    The first lock error that ``Project.run`` is about to retry creates the file ``flag``,
    so the parent knows the command is waiting on the lock and has not yet given up.
    """
    database.SQLITE_BUSY_TIMEOUT_MS = busy_ms
    original = database.is_retryable

    def is_retryable(error: BaseException) -> bool:
        retry = original(error)
        if retry:
            Path(flag).touch()
        return retry

    database.is_retryable = is_retryable
    from qcoder.cli import main as cli_main

    sys.argv = ["qcoder", *argv]
    cli_main()


def main(argv: list[str]) -> None:
    if argv[0] == "crash-burst":
        crash_burst(argv[1])
    elif argv[0] == "impatient-cli":
        impatient_cli(int(argv[1]), argv[2], argv[3:])
    else:
        raise SystemExit(f"unknown entry point {argv[0]!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
