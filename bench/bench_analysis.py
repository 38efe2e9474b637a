"""Analysis speed: every report of a large project, computed together.

The project: 100,000 statements in 120 documents (the last 10 held out), 3 coders,
300,000 codings (each coder codes every statement with one concept; they disagree on
about one statement in six), a 33/19/6/1 code hierarchy with relations and a storyline.
Statement texts and their jieba tokens are recycled from the sample corpus.

Target: all analyses together in ≤ 1 s (SQLite). Wall and CPU time are both printed: on a
shared machine the CPU time says what the analyses cost; on PostgreSQL it leaves out the
server's own work.
Run: .venv/bin/python bench/bench_analysis.py [--pg postgresql://…] [--keep FILE] [--runs N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qcoder.analysis import frequencies, hierarchy, saturation, tables, words
from qcoder.analysis.plots import text_plot
from qcoder.analysis.report import KINDS, build_report
from qcoder.analysis.writers import render
from qcoder.corpus.tokenize import tokenize
from qcoder.store.database import Project, open_project
from qcoder.store.models import Code, Coder, Coding, Document, Memo, Relation, Sentence

SEEDS = Path(__file__).resolve().parent.parent / "sample_corpus"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", help="also run on this (empty) PostgreSQL database URL")
    parser.add_argument("--keep", help="keep the SQLite bench project in this file (reused if it exists)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        targets = [("SQLite", args.keep or str(Path(tmp) / "bench.db"))]
        if args.pg:
            targets.append(("PostgreSQL", args.pg))
        for backend, url in targets:
            reuse = backend == "SQLite" and args.keep and Path(args.keep).exists()
            project = open_project(url)
            t = time.perf_counter()
            if not reuse:
                build(project)
            print(
                f"{backend}: {'reused' if reuse else 'built'} {STATEMENTS:,} statements, "
                f"{STATEMENTS * len(CODERS):,} codings in {time.perf_counter() - t:.1f} s"
            )
            runs = [run_all(project) for _ in range(args.runs)]
            print(f"  {'median of ' + str(args.runs) + ' runs':<26} {'wall':>8}    {'CPU':>8}")
            for name in runs[0]:
                wall = statistics.median(r[name][0] for r in runs)
                cpu = statistics.median(r[name][1] for r in runs)
                print(f"  {name:<26} {wall:8.1f} ms {cpu:8.1f} ms")
            for k, label in ((0, "wall"), (1, "CPU")):
                totals = [sum(v[k] for name, v in r.items() if name != "all report tables") for r in runs]
                print(
                    f"  total analyses ({label}) {statistics.median(totals):12.1f} ms  "
                    f"(min {min(totals):.1f}; target ≤ 1000 ms)"
                )
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
