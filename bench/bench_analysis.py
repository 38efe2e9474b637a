"""Analysis speed: every report of a large project, computed together.

The project: 100,000 statements in 120 documents (the last 10 held out), 3 coders,
300,000 codings (each coder codes every statement with one concept; they disagree on
about one statement in six), a 33/19/6/1 code hierarchy with relations and a storyline.
Statement texts and their jieba tokens are recycled from the sample corpus.

Target: all analyses together in ≤ 1 s (SQLite), word frequencies ≤ 0.3 s. Wall and CPU
time are both printed: on a shared machine the CPU time says what the analyses cost; on
PostgreSQL it leaves out the server's own work.

Three parts, because a researcher waits for more than the analyses of a warm session:

* **in one session**: every analysis after the others, as the figures of one report run share
  one snapshot (the warm figure: the connection and its page cache are reused run after run);
* **cold, as asked**: each report the way ``qcoder report KIND`` computes it — a project
  opened afresh (a new connection, nothing cached), the snapshot read, the report written
  as text — and what the workbench's reports screen waits for (``load_report_data``);
* **the command**: ``qcoder report KIND`` run as a child process, interpreter start-up and
  imports included, beside the floor every report pays before it reads anything
  (``python -c "import qcoder.cli, qcoder.analysis.report, …"``); and the workbench's reports
  screen as a researcher opens it: a headless workbench on the project, R pressed, until every
  tab is filled and drawn (with the shares of the analyses' thread and of filling the widgets).

Run: .venv/bin/python bench/bench_analysis.py [--pg postgresql://…] [--keep FILE] [--runs N] [--no-cli]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qcoder.analysis import frequencies, hierarchy, saturation, tables, words
from qcoder.analysis.plots import text_plot
from qcoder.analysis.report import KINDS, build_report, default_format, write_report
from qcoder.analysis.writers import render
from qcoder.corpus.tokenize import tokenize
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coder, Coding, Document, Memo, Relation, Sentence

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "sample_corpus"
STATEMENTS, DOCUMENTS, HOLDOUT, CODERS = 100_000, 120, 10, ("alice", "bob", "carol")
SHAPE = (33, 19, 6, 1)


def seed_pool() -> tuple[list[str], list[str]]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("0*.txt")))
    text = re.sub(r"\s+", "", text)
    pool = [s for s in re.findall(r"[^。！？]+[。！？]", text) if 5 <= len(s) <= 120][:800]
    return pool, [" ".join(tokens) for tokens in tokenize(pool)]


def _codes(session: Any, t0: datetime) -> list[int]:
    """33 concepts → 19 initial categories → 6 main categories → 1 core; returns concept ids."""
    ids_by_level: list[list[int]] = []
    for level, count in reversed(list(enumerate(SHAPE))):
        parents = ids_by_level[0] if ids_by_level else []
        rows = [
            {
                "guid": f"00000000-0000-4000-8000-{level:04d}{i:08d}",
                "name": f"{'ABCD'[level]}{i + 1}",
                "level": level,
                "parent_id": parents[i * len(parents) // count] if parents else None,
                "definition": f"定义{level}-{i + 1}",
                "created_at": t0,
                "updated_at": t0,
                "version": 1,
            }
            for i in range(count)
        ]
        ids_by_level.insert(0, list(session.scalars(insert(Code).returning(Code.id), rows)))
    return ids_by_level[0]


def build(project: Project) -> None:
    pool, pool_tokens = seed_pool()
    t0 = datetime(2024, 3, 1, tzinfo=UTC)

    def work(session: Any) -> None:
        coder_ids = list(
            session.scalars(insert(Coder).returning(Coder.id), [{"name": n, "created_at": t0} for n in CODERS])
        )
        concepts = _codes(session, t0)
        per_doc = STATEMENTS // DOCUMENTS
        coding_rows: list[dict[str, Any]] = []
        ordinal_base = 0
        for d in range(DOCUMENTS):
            count = per_doc if d < DOCUMENTS - 1 else STATEMENTS - per_doc * (DOCUMENTS - 1)
            label = f"D{d + 1:03d}"
            doc_id = session.scalar(
                insert(Document).returning(Document.id),
                [
                    {
                        "label": label,
                        "name": f"访谈{d + 1}",
                        "sha256": f"{d:064d}",
                        "raw_bytes": b"",
                        "encoding": "utf-8",
                        "original_text": "",
                        "text": "",
                        "attributes": {},
                        "import_report": [],
                        "role": "holdout" if d >= DOCUMENTS - HOLDOUT else "coding",
                        "imported_at": t0,
                    }
                ],
            )
            rows = []
            for i in range(count):
                piece = pool[(ordinal_base + i) % len(pool)]
                rows.append(
                    {
                        "document_id": doc_id,
                        "ordinal": i + 1,
                        "label": f"{label}-S{i + 1:04d}",
                        "start": 0,
                        "end": len(piece),
                        "kind": "sentence",
                        "text": piece,
                        "tokens": pool_tokens[(ordinal_base + i) % len(pool)],
                        "cell_width": 2 * len(piece),
                    }
                )
            sentence_ids = list(session.scalars(insert(Sentence).returning(Sentence.id), rows))
            # concepts are introduced gradually (a saturation curve), none new in held-out documents
            available = min(len(concepts), 3 + d // 3)
            when = t0 + timedelta(days=d)
            for n, sid in enumerate(sentence_ids):
                base = concepts[(ordinal_base + n) * 7 % available]
                for k, coder_id in enumerate(coder_ids):
                    code_id = base if (n + k) % 6 else concepts[(ordinal_base + n + 1) * 5 % available]
                    coding_rows.append(
                        {"sentence_id": sid, "code_id": code_id, "coder_id": coder_id, "created_at": when}
                    )
            ordinal_base += count
        for start in range(0, len(coding_rows), 20_000):
            session.execute(insert(Coding), coding_rows[start : start + 20_000])
        session.execute(
            insert(Relation),
            [
                {
                    "guid": f"00000000-0000-4000-9000-{i:012d}",
                    "source_id": concepts[i],
                    "target_id": concepts[i + 1],
                    "type": ("causal", "similarity", "sequence")[i % 3],
                    "note": f"关系说明{i}",
                    "created_at": t0,
                }
                for i in range(10)
            ],
        )
        session.execute(
            insert(Memo),
            [
                {
                    "guid": "00000000-0000-4000-a000-000000000001",
                    "type": "storyline",
                    "title": "storyline",
                    "text": "故事线：……",
                    "created_at": t0,
                    "updated_at": t0,
                }
            ],
        )

    project.run(work)


def run_all(project: Project) -> dict[str, tuple[float, float]]:
    """Every analysis, in one session (one snapshot read): name → (wall ms, CPU ms).

    CPU time is printed beside wall time because the machine may be shared: it shows what
    the analyses cost when they do not have to wait for a core.
    """
    timings: dict[str, tuple[float, float]] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = work()
        timings[name] = ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
        return result

    with project.session() as session:
        from qcoder.analysis.snapshot import load_snapshot

        timed("load snapshot", lambda: load_snapshot(session))
        timed("hierarchy", lambda: hierarchy.hierarchy(session))
        timed("diagram (mermaid+dot)", lambda: (hierarchy.mermaid(session), hierarchy.dot(session)))
        timed(
            "tables",
            lambda: (
                tables.category_table(session),
                tables.main_category_table(session),
                tables.relation_table(session),
                tables.storyline(session),
            ),
        )
        timed("frequencies", lambda: frequencies.code_frequencies(session))
        timed("matrix", lambda: frequencies.code_document_matrix(session))
        timed("cooccurrence", lambda: frequencies.cooccurrence(session))
        curve = timed("saturation", lambda: saturation.saturation(session))
        timed("holdout check", lambda: saturation.holdout_check(session))
        timed("saturation text plot", lambda: text_plot(curve))
        timed("words", lambda: words.word_frequencies(session))
        timed("all report tables", lambda: [build_report(kind, session) for kind in KINDS if kind != "diagram"])
    return timings


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    wall, cpu = _clock()
    return (wall - start[0]) * 1000, (cpu - start[1]) * 1000


def cold_reports(url: str) -> dict[str, tuple[float, float]]:
    """Each report as ``qcoder report KIND`` computes it once its imports are done: the project
    opened afresh (a new engine: no pooled connection, no page cache, no snapshot), read, and
    written in the kind's default format; then what the workbench's reports screen waits for.
    name → (wall ms, CPU ms)."""
    from qcoder.tui.report_data import load_report_data  # no Textual: the screen's loader only

    timings: dict[str, tuple[float, float]] = {}
    for kind in KINDS:
        start = _clock()
        project = open_project(url)
        try:
            write_report(kind, project, default_format(kind))
        finally:
            project.close()
        timings[f"report {kind}"] = _since(start)
    start = _clock()
    project = open_project(url)
    try:
        load_report_data(project)
    finally:
        project.close()
    timings["reports screen: its analyses"] = _since(start)
    return timings


FLOOR = "import qcoder.cli, qcoder.commands.reports, qcoder.analysis.report, qcoder.analysis.writers"


def _child(args: list[str]) -> tuple[float, float]:
    """(wall ms, CPU ms) of one child process; its output is discarded, a failure stops the bench."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, check=False)
    wall = (time.perf_counter() - wall) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {done.stderr.decode(errors='replace').strip()}")
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def cli_reports(url: str) -> dict[str, tuple[float, float]]:
    """``qcoder report KIND`` as a researcher types it, and the start-up floor every report pays."""
    timings = {"floor: start-up and imports": _child(["-c", FLOOR])}
    for kind in KINDS:
        timings[f"qcoder report {kind}"] = _child(["-m", "qcoder.cli", "report", kind, "--db", url])
    return timings


async def _screen(url: str) -> dict[str, float]:
    """The workbench opened headless on ``url``; R pressed once the engine has loaded: key to the
    reports drawn (every tab filled), wall and process CPU — its imports, the read, the analyses
    and Textual's drawing."""
    from textual.widgets import TabbedContent

    import qcoder.cli  # noqa: F401 - what `qcoder tui` imports before the app
    from qcoder.tui.app import open_app
    from qcoder.tui.engine import PendingWorkbench
    from qcoder.tui.screens import reports

    marks: dict[str, tuple[float, float]] = {}
    loader, show = reports.load_report_data, reports.ReportsScreen._show

    def timed_load(*args: Any, **kwargs: Any) -> Any:
        marks["read"] = _clock()
        try:
            return loader(*args, **kwargs)
        finally:
            marks["computed"] = _clock()

    def timed_show(self: Any, data: Any) -> None:
        marks["show"] = _clock()
        show(self, data)
        marks["shown"] = _clock()

    reports.load_report_data = timed_load  # type: ignore[assignment]
    reports.ReportsScreen._show = timed_show  # type: ignore[method-assign]
    app = open_app(url, CODERS[0])
    async with app.run_test(size=(120, 40)) as pilot:
        while (isinstance(app.workbench, PendingWorkbench) and not app.workbench.loaded) or app.coding is None:
            await asyncio.sleep(0.01)
        await pilot.pause()
        await asyncio.sleep(0.3)  # the rest of the first look settles
        await pilot.pause()
        wall, cpu = time.perf_counter(), time.process_time()
        await pilot.press("R")
        while True:
            screen = app.screen
            if getattr(screen, "data", None) is not None and not screen.query_one(TabbedContent).loading:
                break
            await asyncio.sleep(0.002)
        await pilot.pause()  # the frame that shows them
        figures = {"wall": (time.perf_counter() - wall) * 1000, "cpu": (time.process_time() - cpu) * 1000}
        for name, (start, stop) in {"analyses": ("read", "computed"), "filling": ("show", "shown")}.items():
            figures[f"{name}_wall"] = (marks[stop][0] - marks[start][0]) * 1000
            figures[f"{name}_cpu"] = (marks[stop][1] - marks[start][1]) * 1000  # the process's: other threads too
        app.exit()
    return figures


def screen_reports(url: str) -> dict[str, tuple[float, float]]:
    """The workbench's reports screen as a researcher opens it, in a child process (first time: imports too)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [sys.executable, __file__, "--screen-only", url], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"the reports screen failed: {done.stderr.strip()}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "workbench: R to reports drawn": (figures["wall"], figures["cpu"]),
        "  of which the analyses (thread)": (figures["analyses_wall"], figures["analyses_cpu"]),
        "  of which filling the widgets": (figures["filling_wall"], figures["filling_cpu"]),
    }


def _print_medians(title: str, runs: list[dict[str, tuple[float, float]]]) -> None:
    print(f"  {title:<34} {'wall':>8}    {'CPU':>8}")
    for name in runs[0]:
        wall = statistics.median(r[name][0] for r in runs)
        cpu = statistics.median(r[name][1] for r in runs)
        print(f"  {name:<34} {wall:8.1f} ms {cpu:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", help="also run on this (empty) PostgreSQL database URL")
    parser.add_argument("--keep", help="keep the SQLite bench project in this file (reused if it exists)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-cli", action="store_true", help="leave out the qcoder report child processes")
    parser.add_argument("--screen-only", help=argparse.SUPPRESS)  # child: the reports screen on this project
    args = parser.parse_args()
    if args.screen_only:
        print(json.dumps(asyncio.run(_screen(args.screen_only))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", args.keep or str(Path(tmp) / "bench.db"))]
        if args.pg:
            targets.append(("PostgreSQL", args.pg))
        for backend, url in targets:
            project = open_project(url)
            if backend == "SQLite":
                reuse = bool(args.keep and Path(args.keep).exists() and Path(args.keep).stat().st_size)
            else:  # a filled database from an earlier run is reused
                with project.session() as session:
                    reuse = bool(session.scalar(select(func.count()).select_from(Sentence)))
            t = time.perf_counter()
            if not reuse:
                build(project)
            print(
                f"{backend}: {'reused' if reuse else 'built'} {STATEMENTS:,} statements, "
                f"{STATEMENTS * len(CODERS):,} codings in {time.perf_counter() - t:.1f} s"
            )
            runs = [run_all(project) for _ in range(args.runs)]
            _print_medians(f"in one session, median of {args.runs}", runs)
            for k, label in ((0, "wall"), (1, "CPU")):
                totals = [sum(v[k] for name, v in r.items() if name != "all report tables") for r in runs]
                print(
                    f"  total analyses ({label}) {statistics.median(totals):20.1f} ms  "
                    f"(min {min(totals):.1f}; target ≤ 1000 ms)"
                )
            cold = [cold_reports(url) for _ in range(args.runs)]
            _print_medians(f"cold, as asked, median of {args.runs}", cold)
            for k, label in ((0, "wall"), (1, "CPU")):
                totals = [sum(v[k] for name, v in r.items() if name.startswith("report ")) for r in cold]
                print(f"  every report, each cold ({label}) {statistics.median(totals):13.1f} ms")
            if not args.no_cli:
                commands = [{**cli_reports(url), **screen_reports(url)} for _ in range(args.runs)]
                _print_medians(f"the command, median of {args.runs}", commands)
            with project.session() as session:
                report = build_report("frequencies", session)
                import docx  # noqa: F401  (imports are not rendering time)
                import openpyxl  # noqa: F401

                for fmt in ("text", "md", "csv", "json", "xlsx", "docx"):
                    t = time.perf_counter()
                    render(report, fmt)
                    print(f"  render frequencies as {fmt:<5}  {(time.perf_counter() - t) * 1000:8.1f} ms")
                from qcoder.analysis.figures import draw_saturation

                curve = saturation.saturation(session)
                draw_saturation(curve, "svg")  # matplotlib's import and font set-up are not drawing time
                for fmt in ("svg", "png"):
                    t = time.perf_counter()
                    draw_saturation(curve, fmt)
                    print(f"  draw saturation as {fmt:<5}    {(time.perf_counter() - t) * 1000:8.1f} ms")
                chain = hierarchy.hierarchy(session).chain()
                print(f"  chain: {chain}")
                print(f"  verdict: {saturation.holdout_check(session).verdict}")
            project.close()


if __name__ == "__main__":
    main()
