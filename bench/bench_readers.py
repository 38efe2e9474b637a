"""Readers of real sources: a 200-page Chinese PDF and a 100,000-row answers spreadsheet.

Targets (issue 14): the PDF is read at ≥ 50 pages/s before tokenizing; the spreadsheet is imported
(`qcoder import answers.xlsx --text-column … --id-column …`: read, clean, split, tokenize, store) in
≤ 30 s in total. Also measures pdfplumber against pypdfium2 on the same PDF (speed, and characters
recovered against what reportlab drew), the figures behind the choice of pypdfium2.

Run:  .venv/bin/python bench/bench_readers.py [--pages 200] [--rows 100000] [--skip-plumber]
Needs reportlab and pdfplumber (the `test` extra) to write and compare the PDF.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qcoder.corpus.readers.pdf import read_pdf  # noqa: E402

ANSWERS = [
    "社区食堂价格实惠，但菜品种类太少",
    "我每天都去活动中心下棋。认识了很多新朋友",
    "腿脚不好，下楼很困难，希望加装电梯",
    "顶起！！",
    "上门护理的阿姨很负责，就是预约要等一个星期",
    "没有",
    "子女都在外地工作，平时只能靠邻居帮忙。社区网格员每周来看一次",
    "希望增加上门理发服务",
]


def _visible(text: str) -> Counter[str]:
    return Counter("".join(text.split()))


def bench_pdf(pages: int, plumber: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.pdf"
        script = ROOT / "tests/data/sources/make_pdfs.py"
        subprocess.run([sys.executable, str(script), str(path), str(pages)], check=True, cwd=tmp)
        raw = path.read_bytes()
        read_pdf(raw)  # warm-up: loads PDFium
        t = time.perf_counter()
        [source] = read_pdf(raw)
        dt = time.perf_counter() - t
        n = int(source.reader.split(", ")[1].split()[0])
        kept = sum(len("".join(b.text.split())) for b in source.blocks)
        removed = sum(len("".join(x.split())) for r in source.removed for x in r.removed)
        print(
            f"PDF {n} pages, {len(raw) / 1024:.0f} KB: pypdfium2 reader {dt:.2f} s = {n / dt:.0f} pages/s (target ≥ 50)"
        )
        print(
            f"    {source.read_chars:,} characters read = {kept:,} kept + {removed:,} removed; {len(source.blocks):,} blocks"
        )
        if plumber:
            import pdfplumber

            t = time.perf_counter()
            with pdfplumber.open(path) as pdf:
                for page in pdf.pages:
                    page.extract_text()
            pdt = time.perf_counter() - t
            print(f"    pdfplumber extract_text on the same file: {pdt:.2f} s = {n / pdt:.0f} pages/s")


def _quality() -> None:
    """Characters each library recovers from the committed test PDFs, against what reportlab drew."""
    import pdfplumber
    import pypdfium2 as pdfium

    sources = ROOT / "tests/data/sources"
    for name in ("policy.pdf", "twocol.pdf"):
        truth = _visible(
            "".join(s for page in json.loads((sources / name).with_suffix(".json").read_text())["pages"] for s in page)
        )
        with pdfplumber.open(sources / name) as pdf:
            plumb = _visible("".join(page.extract_text() or "" for page in pdf.pages))
        doc = pdfium.PdfDocument(sources / name)
        fium = _visible("".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))))
        for label, got in (("pdfplumber", plumb), ("pypdfium2", fium)):
            missing = truth - got
            extra = got - truth
            print(
                f"    {name} {label}: {sum(truth.values()) - sum(missing.values())}/{sum(truth.values())} drawn characters found; "
                f"missing {sum(missing.values())} {''.join(sorted(missing))!r}, extra {sum(extra.values())}"
            )


SYMBOLS = "ⅠⅡⅢⅣⅰⅱⅲ①②‧～∼•·—…“”‘’《》【】〔〕、，。！？：；0123456789ａｂｃ％＃※§№℃"


def _symbols() -> None:
    """Punctuation and symbols common in Chinese documents, drawn in STSong-Light: which does each library lose?"""
    import pdfplumber
    import pypdfium2 as pdfium
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "symbols.pdf"
        c = canvas.Canvas(str(path))
        c.setFont("STSong-Light", 12)
        c.drawString(72, 700, SYMBOLS)
        c.showPage()
        c.save()
        with pdfplumber.open(path) as pdf:
            plumb = pdf.pages[0].extract_text() or ""
        fium = pdfium.PdfDocument(path)[0].get_textpage().get_text_range()
    for label, got in (("pdfplumber", plumb), ("pypdfium2", fium)):
        lost = "".join(ch for ch in SYMBOLS if ch not in got)
        print(f"    {len(SYMBOLS)} symbols drawn, {label} lost {len(lost)}: {lost!r}")


def bench_sheet(rows: int) -> None:
    import openpyxl
    from factories import qc  # tests/factories.py: runs the CLI in-process

    rng = random.Random(14)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answers.xlsx"
        t = time.perf_counter()
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("问卷")
        sheet.append(["编号", "性别", "年龄", "地区", "开放题1", "开放题2"])
        for i in range(rows):
            sheet.append(
                [
                    f"R{i:06d}",
                    rng.choice("男女"),
                    rng.randint(18, 90),
                    rng.choice(["成都", "重庆", "绵阳", "西安"]),
                    rng.choice(ANSWERS),
                    rng.choice(ANSWERS),
                ]
            )
        book.save(path)
        print(
            f"spreadsheet {rows:,} rows written in {time.perf_counter() - t:.1f} s ({path.stat().st_size / 2**20:.1f} MB)"
        )
        db = str(Path(tmp) / "p.qcoder")
        print(f"    load average before the import: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (2 cores)")
        t, cpu = time.perf_counter(), time.process_time()
        code, out, err = qc(
            "import",
            "--db",
            db,
            "--text-column",
            "开放题1",
            "--text-column",
            "开放题2",
            "--id-column",
            "编号",
            str(path),
        )
        dt, dcpu = time.perf_counter() - t, time.process_time() - cpu
        if code:
            print(f"    import failed: {err.strip()}")
            return
        print(f"    qcoder import: {dt:.1f} s in total, CPU {dcpu:.1f} s (target ≤ 30 s): {out.strip()[:160]}")
        _phases(path, Path(tmp) / "q.qcoder")


def _phases(path: Path, db: Path) -> None:
    """Where the time goes: reading the workbook, the pipeline (clean, split, tokenize), the inserts."""
    from qcoder.corpus.importer import prepare, store_prepared
    from qcoder.corpus.readers.spreadsheet import read_xlsx
    from qcoder.corpus.types import PipelineOptions
    from qcoder.store.database import open_project

    options = PipelineOptions(text_columns=("开放题1", "开放题2"), id_column="编号")
    t, cpu = time.perf_counter(), time.process_time()
    read_xlsx(path.read_bytes(), options)
    read, read_cpu = time.perf_counter() - t, time.process_time() - cpu
    t, cpu = time.perf_counter(), time.process_time()
    prepared = prepare(path, options)
    pipeline, pipeline_cpu = time.perf_counter() - t - read, time.process_time() - cpu - read_cpu
    with open_project(str(db), create=True) as project:
        t, cpu = time.perf_counter(), time.process_time()
        project.run(lambda session: store_prepared(session, prepared))
        store, store_cpu = time.perf_counter() - t, time.process_time() - cpu
    documents = prepared.documents()
    statements = sum(len(d.spans) for d in documents)
    print(
        f"    phases (wall / CPU): read workbook {read:.1f} / {read_cpu:.1f} s, "
        f"clean+split+tokenize {pipeline:.1f} / {pipeline_cpu:.1f} s ({statements:,} statements), "
        f"store {store:.1f} / {store_cpu:.1f} s ({len(documents):,} documents)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--skip-plumber", action="store_true")
    parser.add_argument("--skip-sheet", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    bench_pdf(args.pages, not args.skip_plumber)
    if not args.skip_plumber:
        _quality()
        _symbols()
    if not args.skip_sheet:
        bench_sheet(args.rows)


if __name__ == "__main__":
    main()
