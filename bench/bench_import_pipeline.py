"""Import pipeline cost relative to jieba alone.

jieba used to be ~85-90 % of an import. qcoder now cuts with jieba-rs (rjieba) where it
gives jieba's tokens (qcoder.corpus.segment_native), so the whole import should take at
most half the time of `jieba.lcut` on the same text; and the tokens must be jieba's: the
differences from jieba (per statement, the project dictionary included) are printed.

Run:  .venv/bin/python bench/bench_import_pipeline.py [--mb 10] [--seed 7]

Prints, for (a) the five seeds concatenated and (b) a synthetic corpus of ~N MB made
deterministically from seed sentences with the seeds' kinds of line breaks, the time of
`jieba.lcut(text)`, of `process(raw)` and of the whole import into SQLite, and their ratios
(target ≤ 0.5), which segmenter cut the text, and the statements whose tokens differ from
jieba's. The seeds are ../shared/seeds/ if present, else sample_corpus/. The dictionaries
are loaded before timing; jieba-fast-dat is timed too when installed (for comparison only).
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
from qcoder.corpus.tokenize import base_tokenizer, jieba_tokenize, segmenter_of, tokenize  # noqa: E402
from qcoder.corpus.types import PipelineOptions  # noqa: E402

# ../shared/seeds of the main checkout (a worktree sits one level deeper)
SHARED_SEEDS = [up / "shared" / "seeds" for up in ROOT.parents[:2] if (up / "shared" / "seeds").is_dir()]
SEEDS = sorted((SHARED_SEEDS[0] if SHARED_SEEDS else ROOT / "sample_corpus").glob("00*.txt"))
USER_WORDS = ("新基建", "创新联合体", "揭榜挂帅", "新质生产力")
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


def differences(doc, user_words: tuple[str, ...]) -> int:  # type: ignore[no-untyped-def]
    """Print every statement whose tokens differ from jieba's; return how many."""
    texts = [doc.text[s.start : s.end] for s in doc.spans]
    mine = tokenize(texts, user_words)
    reference = jieba_tokenize(texts, user_words)
    differ = [(i, a, b) for i, (a, b) in enumerate(zip(reference, mine)) if a != b]
    for i, a, b in differ[:20]:
        print(f"    statement {i + 1}:\n      jieba: {'/'.join(a)}\n      qcoder: {'/'.join(b)}")
    return len(differ)


def _fast_dat(text: str) -> float | None:
    try:
        import jieba_fast_dat
    except ImportError:
        return None
    jieba_fast_dat.setLogLevel(logging.WARNING)
    jieba_fast_dat.initialize()
    t0 = time.perf_counter()
    jieba_fast_dat.lcut(text)
    return time.perf_counter() - t0


def _rjieba(text: str) -> float | None:
    try:
        import rjieba
    except ImportError:
        return None
    rjieba.cut("预热")
    t0 = time.perf_counter()
    rjieba.cut(text)
    return time.perf_counter() - t0


def bench(label: str, raw: bytes, *, check: bool) -> None:
    options = PipelineOptions(max_bytes=max(len(raw) + 1, PipelineOptions.max_bytes))
    text = raw.decode("utf-8")
    t_jieba, tokens = _time(jieba.lcut, text)
    t_rj = _rjieba(text)
    t_fd = _fast_dat(text)
    t_proc, doc = _time(process, raw, options)
    # non-jieba stages on their own (cheap; not part of the ratio)
    t_dec, decoded = _time(decode, raw, max_bytes=options.max_bytes)
    t_clean, (cleaned, _) = _time(clean, decoded.text)
    t_split, _spans = _time(split, cleaned)
    t_moji, _ = _time(find_mojibake, cleaned)
    print(f"\n{label}: {len(raw) / 1e6:.2f} MB, {len(text):,} characters")
    print(f"  jieba.lcut(text)        {t_jieba:8.2f} s   {len(tokens):,} tokens")
    if t_rj is not None:
        print(f"  rjieba.cut(text)        {t_rj:8.2f} s   ({t_rj / t_jieba:.2f} × jieba)")
    if t_fd is not None:
        print(f"  jieba_fast_dat.lcut     {t_fd:8.2f} s   ({t_fd / t_jieba:.2f} × jieba; not used: other tokens)")
    print(
        f"  process(raw)            {t_proc:8.2f} s   {len(doc.spans):,} statements, {sum(map(len, doc.tokens)):,} tokens,"
        f" cut by {segmenter_of(doc.tokens)}"
    )
    print(f"  ratio process / jieba   {t_proc / t_jieba:8.2f}   (target ≤ 0.50)")
    t_import, stored = _import_into_sqlite(raw, options)
    print(f"  import into SQLite      {t_import:8.2f} s   {stored:,} statements stored")
    print(f"  ratio import / jieba    {t_import / t_jieba:8.2f}   (target ≤ 0.50)")
    if check:
        for words in ((), USER_WORDS):
            print(f"  tokens differing from jieba's (user words: {', '.join(words) or 'none'}):")
            print(f"    {differences(doc, words)} of {len(doc.spans):,} statements")
    print(
        f"  stages without jieba:   decode {t_dec:.2f} s, clean {t_clean:.2f} s, split {t_split:.2f} s, "
        f"mojibake {t_moji:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=10.0, help="size of the synthetic corpus")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check-synthetic", action="store_true", help="also compare the synthetic tokens with jieba")
    args = parser.parse_args()

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()  # global dictionary for jieba.lcut
    base_tokenizer()  # qcoder's private tokenizer
    tokenize(["预热分词器。"])  # and jieba-rs
    jieba.lcut("预热分词器。")
    process("預熱發(fā)展。".encode())  # also loads the pinyin syllable table (one-time, ~0.4 s)
    _import_into_sqlite("预热：导入一次。".encode(), PipelineOptions())  # SQLAlchemy's one-time statement compiling

    seeds = b"\n\n".join(p.read_bytes() for p in SEEDS)
    print(f"seeds: {SEEDS[0].parent}")
    bench("(a) five seeds concatenated", seeds, check=True)
    t0 = time.perf_counter()
    corpus = synthetic(int(args.mb * 1e6), args.seed)
    print(f"\n(generated synthetic corpus in {time.perf_counter() - t0:.1f} s)")
    bench(f"(b) synthetic corpus, seed {args.seed}", corpus, check=args.check_synthetic)


if __name__ == "__main__":
    main()
