"""Search speed: 1M characters of Chinese statements, one- and two-character queries.

Target (issue #2): a two-character query over 1M characters in ≤ 50 ms.
Run: .venv/bin/python bench/bench_search.py
"""

from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qcoder.corpus.search import search
from qcoder.store.database import open_project
from qcoder.store.models import Document, Sentence

SEEDS = Path(__file__).resolve().parent.parent / "sample_corpus"
TARGET_CHARS = 1_000_000


def seed_sentences() -> list[str]:
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("0*.txt")))
    text = re.sub(r"\s+", "", text)
    return [s for s in re.findall(r"[^。！？]+[。！？]", text) if 5 <= len(s) <= 200]


def build(path: Path) -> int:
    pool = seed_sentences()
    project = open_project(path)
    statements, total = [], 0
    while total < TARGET_CHARS:
        piece = pool[len(statements) % len(pool)]
        statements.append(piece)
        total += len(piece)
    text = "".join(statements)

    def work(session):  # type: ignore[no-untyped-def]
        doc = Document(
            label="D01", name="bench", sha256="0" * 64, raw_bytes=b"", encoding="utf-8", original_text=text, text=text
        )
        session.add(doc)
        session.flush()
        rows, start = [], 0
        for i, piece in enumerate(statements, 1):
            rows.append(
                {
                    "document_id": doc.id,
                    "ordinal": i,
                    "label": f"D01-S{i:03d}",
                    "start": start,
                    "end": start + len(piece),
                    "text": piece,
                    "tokens": "",
                    "cell_width": 2 * len(piece),
                }
            )
            start += len(piece)
        session.execute(insert(Sentence), rows)

    project.run(work)
    project.close()
    return len(statements)


def time_query(project, query: str, runs: int = 15) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    timings, hits = [], 0
    for _ in range(runs):
        with project.session() as session:
            t0 = time.perf_counter()
            hits = len(search(session, query))
            timings.append((time.perf_counter() - t0) * 1000)
    return statistics.median(timings), hits


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        n = build(path)
        project = open_project(path)
        print(f"corpus: {n} statements, ≥{TARGET_CHARS:,} characters (SQLite)")
        for query in ["创新", "新质", "哈", "揭榜挂帅", "不存在的词"]:
            median, hits = time_query(project, query)
            print(f"query {query!r:>8}: {hits:>6} hits, median {median:6.1f} ms")
        project.close()


if __name__ == "__main__":
    main()
