"""Coding throughput with 8 concurrent writer processes, on SQLite (WAL) and PostgreSQL.

Each writer is a fresh interpreter with its own project and workbench doing a mix of coding
actions (add 55 %, remove 20 %, create code 10 %, memo 15 %); the clock starts when all of
them have opened the project. Reported: acknowledged actions per second over the whole
run, and the median and 95th-percentile latency of one action as the coder feels it
(lock waits and retries included). The run is also checked: the database must hold
exactly what the acknowledgements imply.

PostgreSQL: without ``--pg`` a private throwaway server is started the way the test
suite does (as the ``postgres`` user via ``runuser`` when run as root); ``--pg URL``
uses an existing *empty* database instead.

Run: .venv/bin/python bench/bench_concurrency.py [--processes 8] [--actions 500] [--pg URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "reliability"), str(ROOT / "tests")]

import reliability_harness as harness  # noqa: E402

from qcoder.store import schema  # noqa: E402
from qcoder.store.database import make_engine, open_project, resolve_url  # noqa: E402


def run(label: str, url: str, processes: int, actions: int) -> None:
    with tempfile.TemporaryDirectory(prefix="qcbench-") as tmp:
        started = time.perf_counter()
        result = harness.run_writers(url, Path(tmp), processes=processes, actions=actions)
        wall = time.perf_counter() - started
        failed = [log.index for log, code in zip(result.logs, result.exitcodes) if code != 0 or log.stderr]
        expected = harness.expected_state(result) if not failed else None
        with open_project(url) as project:
            actual = harness.actual_state(project)
    latencies = result.latencies_ms()
    kinds: dict[str, list[float]] = {}
    for log in result.logs:
        for action in log.actions:
            kinds.setdefault(action["kind"], []).append(action["ms"])
    ok = (
        expected is not None
        and not expected.inconsistent
        and set(actual.codings) == expected.codings
        and len(actual.codings) == len(set(actual.codings))
        and all(actual.memos.get(i) == t for i, t in expected.memos.items())
    )
    print(f"\n{label}: {processes} writers × {actions} actions")
    print(
        f"  acknowledged   {result.acked} actions in {result.elapsed:.2f} s "
        f"(+{wall - result.elapsed:.1f} s start-up and checks)"
    )
    print(f"  throughput     {result.acked / result.elapsed:,.0f} actions/s")
    print(
        f"  latency        median {statistics.median(latencies):.1f} ms, "
        f"p95 {harness.percentile(latencies, 0.95):.1f} ms, max {max(latencies):.0f} ms"
    )
    for kind, values in sorted(kinds.items()):
        print(
            f"    {kind:<7} n={len(values):<5} median {statistics.median(values):6.1f} ms, "
            f"p95 {harness.percentile(values, 0.95):6.1f} ms"
        )
    print(f"  lock/serialization errors retried: {result.retries}")
    print(f"  final state    {len(actual.codings)} codings, {len(actual.codes)} codes, {len(actual.memos)} memos")
    print(
        f"  verified       {'yes: every acknowledged action is stored, nothing else' if ok else 'NO'}"
        + (f"; writers failed: {failed}" if failed else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--actions", type=int, default=500, help="actions per writer")
    parser.add_argument("--pg", help="an empty PostgreSQL database URL (default: start a private server)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()

    if not args.no_sqlite:
        with tempfile.TemporaryDirectory(prefix="qcbench-db-") as tmp:
            run("SQLite (WAL)", f"sqlite:///{Path(tmp) / 'bench.qcoder.db'}", args.processes, args.actions)
    if args.no_pg:
        return
    if args.pg:
        url = resolve_url(args.pg)
        engine = make_engine(url)
        try:
            if schema.state(engine) != "empty":
                sys.exit(f"error: {args.pg} is not empty; the bench needs a database of its own")
        finally:
            engine.dispose()
        run("PostgreSQL", url, args.processes, args.actions)
        return
    with harness.private_postgres() as server:
        name = server.create_database()
        try:
            run(
                f"PostgreSQL {server.version} (private server, fsync off)",
                server.url(name),
                args.processes,
                args.actions,
            )
        finally:
            server.drop_database(name)


if __name__ == "__main__":
    main()
