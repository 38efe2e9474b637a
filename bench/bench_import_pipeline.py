"""Import pipeline cost relative to jieba alone.

jieba is the dominant cost of an import; everything qcoder adds (decoding, cleaning,
splitting, mojibake scan, per-statement tokenization) should stay within 30 % of it.

Run:  .venv/bin/python bench/bench_import_pipeline.py [--mb 10] [--seed 7]

Prints, for (a) the five seeds concatenated and (b) a synthetic corpus of ~N MB made
deterministically from seed sentences with the seeds' kinds of line breaks, the time of
`jieba.lcut(text)` and of `process(raw)`, and their ratio (target ≤ 1.3). jieba's
dictionaries are loaded before timing.
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import jieba  # noqa: E402

from qcoder.corpus.clean import clean, find_mojibake  # noqa: E402
from qcoder.corpus.decode import decode  # noqa: E402
from qcoder.corpus.pipeline import process  # noqa: E402
from qcoder.corpus.split import split  # noqa: E402
from qcoder.corpus.tokenize import base_tokenizer  # noqa: E402
from qcoder.corpus.types import PipelineOptions  # noqa: E402

SEEDS = sorted((ROOT / "sample_corpus").glob("00*.txt"))
FOOTER = "250 Vol. 3 No. 08 2020Frontier of higher education"
RUNNING_HEAD = "探索与创新"


def _wrap(text: str, width: int) -> list[str]:
    """Cut `text` into lines of at most `width` columns (CJK = 2), as a PDF column does."""
    lines, start, used = [], 0, 0
    for i, ch in enumerate(text):
        w = 2 if ord(ch) > 0x2E7F else 1
        if used + w > width:
            lines.append(text[start:i])
            start, used = i, 0
        used += w
    lines.append(text[start:])
    return lines


def synthetic(target_bytes: int, seed: int) -> bytes:
    """Seed statements reshuffled into paragraphs, laid out in the seeds' four styles, with a
    footer and running head at page breaks (sometimes mid-sentence), until `target_bytes`."""
    rng = random.Random(seed)
    sentences: list[str] = []
    headings: list[str] = []
    for path in SEEDS:
        text = path.read_text(encoding="utf-8")
        cleaned, _ = clean(text)
        for s in split(cleaned):
            (headings if s.kind == "heading" else sentences).append(cleaned[s.start : s.end])
        if path.name.startswith("003"):  # keep pinyin readings and mojibake as they come in
            sentences.extend(x + "。" for x in text.split("。") if "(" in x and "\n" not in x.strip())
    out: list[str] = []
    size = 0
    lines_on_page = 0
    while size < target_bytes:
        if rng.random() < 0.15:
            block = rng.choice(headings) + "\n\n"
        else:
            para = "".join(rng.choice(sentences) for _ in range(rng.randint(2, 8)))
            style = rng.randrange(4)
            if style == 0:  # 000: wrapped, blank line after every line
                lines = _wrap(para, 56)
                sep = "\n\n"
            elif style == 1:  # 001: wrapped, blank line between paragraphs
                lines = _wrap(para, 60)
                sep = "\n"
            else:  # 002-004: one paragraph per line
                lines = [para]
                sep = "\n"
            parts = []
            for line in lines:
                parts.append(line + sep)
                lines_on_page += 1
                if lines_on_page >= 40:  # page break, possibly in the middle of a sentence
                    parts.append(f"\n\n{FOOTER}\n\n{RUNNING_HEAD}\n\n")
                    lines_on_page = 0
            block = "".join(parts) + ("\n" if sep == "\n" else "")
        out.append(block)
        size += len(block.encode("utf-8"))
    return "".join(out).encode("utf-8")


def _time(fn, *args, **kw):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    result = fn(*args, **kw)
    return time.perf_counter() - t0, result


def _import_into_sqlite(raw: bytes, options: PipelineOptions) -> tuple[float, int]:
    """The whole `qcoder import`: pipeline plus storing document and statements in SQLite."""
    from qcoder.corpus.importer import import_path
    from qcoder.store.database import open_project

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "corpus.txt"
        source.write_bytes(raw)
        project = open_project(Path(tmp) / "bench.qcoder")
        t0 = time.perf_counter()
        result = import_path(project, source, options=options)
        elapsed = time.perf_counter() - t0
        project.close()
    return elapsed, result.statements


def bench(label: str, raw: bytes) -> None:
    options = PipelineOptions(max_bytes=max(len(raw) + 1, PipelineOptions.max_bytes))
    text = raw.decode("utf-8")
    t_jieba, tokens = _time(jieba.lcut, text)
    t_proc, doc = _time(process, raw, options)
    # non-jieba stages on their own (cheap; not part of the ratio)
    t_dec, decoded = _time(decode, raw, max_bytes=options.max_bytes)
    t_clean, (cleaned, _) = _time(clean, decoded.text)
    t_split, _spans = _time(split, cleaned)
    t_moji, _ = _time(find_mojibake, cleaned)
    print(f"\n{label}: {len(raw) / 1e6:.2f} MB, {len(text):,} characters")
    print(f"  jieba.lcut(text)        {t_jieba:8.2f} s   {len(tokens):,} tokens")
    print(
        f"  process(raw)            {t_proc:8.2f} s   {len(doc.spans):,} statements, {sum(map(len, doc.tokens)):,} tokens"
    )
    print(f"  ratio process / jieba   {t_proc / t_jieba:8.2f}   (target ≤ 1.30)")
    t_import, stored = _import_into_sqlite(raw, options)
    print(f"  import into SQLite      {t_import:8.2f} s   {stored:,} statements stored")
    print(f"  ratio import / jieba    {t_import / t_jieba:8.2f}   (target ≤ 1.30)")
    print(
        f"  stages without jieba:   decode {t_dec:.2f} s, clean {t_clean:.2f} s, split {t_split:.2f} s, "
        f"mojibake {t_moji:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=10.0, help="size of the synthetic corpus")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # global dictionary for jieba.lcut
    base_tokenizer()  # qcoder's private tokenizer
    jieba.lcut("预热分词器。")
    process("預熱發(fā)展。".encode())  # also loads the pinyin syllable table (one-time, ~0.4 s)

    seeds = b"\n\n".join(p.read_bytes() for p in SEEDS)
    bench("(a) five seeds concatenated", seeds)
    t0 = time.perf_counter()
    corpus = synthetic(int(args.mb * 1e6), args.seed)
    print(f"\n(generated synthetic corpus in {time.perf_counter() - t0:.1f} s)")
    bench(f"(b) synthetic corpus, seed {args.seed}", corpus)


if __name__ == "__main__":
    main()
