"""Import pipeline: bytes → decoded → cleaned → (simplified) → statements → tokens.

`process` is what `qcoder import` runs per file; `describe` is what `--dry-run` prints. The
raw bytes are kept in the result so the original can always be shown or re-processed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import PurePath

from qcoder.corpus.clean import clean, find_mojibake, ns
from qcoder.corpus.convert import to_simplified
from qcoder.corpus.decode import decode
from qcoder.corpus.split import split_with_report
from qcoder.corpus.tokenize import tokenize
from qcoder.corpus.types import Decoded, ImportRefused, PipelineOptions, ProcessedDocument, StepReport
from qcoder.corpus.word import read_docx
from qcoder.store.safe_text import control_count, visible

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
DOCX_SUFFIXES = (".docx",)
SUPPORTED = TEXT_SUFFIXES + DOCX_SUFFIXES
LINE_STEPS = frozenset({"drop_page_furniture", "drop_letterhead"})  # steps that delete whole lines


def _suffix(filename: str) -> str:
    """Lower-case suffix; no name or no suffix means plain text (decode refuses binaries)."""
    return PurePath(filename).suffix.lower() or ".txt"


def _read_docx(raw: bytes, max_bytes: int) -> Decoded:
    """One line per Word paragraph (table cells included, in reading order); see `word`."""
    if len(raw) > max_bytes:
        decode(raw, max_bytes=max_bytes)  # raises the size message shared with text files
    if not raw:
        raise ImportRefused("the file is empty; nothing to import")
    return read_docx(raw)


def read(raw: bytes, *, filename: str = "", max_bytes: int = PipelineOptions.max_bytes) -> Decoded:
    """Decode by file type (suffix of `filename`; no name means plain text)."""
    suffix = _suffix(filename)
    if suffix in TEXT_SUFFIXES:
        return decode(raw, max_bytes=max_bytes)
    if suffix in DOCX_SUFFIXES:
        return _read_docx(raw, max_bytes)
    hint = "; copy the text of PDFs into a .txt file first" if suffix == ".pdf" else ""
    raise ImportRefused(f"cannot import '{suffix}' files; supported: {', '.join(SUPPORTED)}{hint}")


def process(raw: bytes, options: PipelineOptions = PipelineOptions(), *, filename: str = "") -> ProcessedDocument:
    """Run the whole import on one file's bytes. Raises ImportRefused for unusable input."""
    decoded = read(raw, filename=filename, max_bytes=options.max_bytes)
    text, reports = clean(decoded.text, keep_repeated=options.keep_repeated, keep_paragraphs=decoded.encoding == "docx")
    if options.to_simplified:
        text, report = to_simplified(text)
        reports.append(report)
    read_chars, kept, removed = accounting(decoded.text, text, reports)
    if read_chars != kept + removed:  # every step lists what it deletes; anything else is a bug
        raise ImportRefused(
            f"cleaning this file lost {read_chars - kept - removed:,} characters it did not list (a qcoder bug); "
            "nothing was imported; please report it together with the file"
        )
    controls = control_count(text)
    if controls:  # one character for one, before the split: statements never hold a raw ESC
        text = visible(text)
        reports.append(StepReport("visible_controls", controls, notes=[control_note(controls)]))
    spans, cut_report = split_with_report(text, semicolon=options.split_on_semicolon)
    if cut_report.changes:
        reports.append(cut_report)
    tokens = tokenize([text[s.start : s.end] for s in spans], options.user_words)
    return ProcessedDocument(
        raw=raw,
        decoded=decoded,
        text=text,
        spans=spans,
        tokens=tokens,
        reports=reports,
        mojibake=find_mojibake(text),
    )


def control_note(count: int) -> str:
    """The import report's line for control characters made visible."""
    return (
        f"{count:,} control character{'s' if count != 1 else ''} (terminal escapes, bells) "
        "shown as visible placeholders such as ␛; they are never sent to a terminal"
    )


def accounting(read_text: str, kept_text: str, reports: list[StepReport]) -> tuple[int, int, int]:
    """(visible characters read, kept, listed as removed): the first must be the sum of the others."""
    removed = sum(len(ns(r)) for report in reports for r in report.removed)
    return len(ns(read_text)), len(ns(kept_text)), removed


def removed_lines(doc: ProcessedDocument) -> list[tuple[str, int]]:
    """Whole lines the cleaning deleted (page furniture, letterhead) with how often each went."""
    counts: Counter[str] = Counter()
    for report in doc.reports:
        if report.step in LINE_STEPS:
            counts.update(report.removed)
    return list(counts.items())


def _short(s: str, n: int = 30) -> str:
    s = " ".join(s.split())
    return repr(s if len(s) <= n else s[: n - 1] + "…")


def describe(doc: ProcessedDocument, *, examples: int = 3) -> list[str]:
    """Human-readable lines for `qcoder import --dry-run`: what was done and what was lost."""
    lines = [
        f"encoding: {doc.decoded.encoding} ({doc.decoded.how}); {len(doc.raw):,} bytes → {len(doc.text):,} characters"
    ]
    for r in doc.reports:
        if r.step == "flag_mojibake":
            continue
        line = f"  {r.step}: {r.changes} change{'s' if r.changes != 1 else ''}"
        if r.removed and r.step in LINE_STEPS:
            # every removed line, with how often: a researcher must be able to check each one
            lines.append(line + "; removed:")
            lines.extend(f"    {n}× {text!r}" for text, n in Counter(r.removed).items())
            lines.extend(f"    {n}" for n in r.notes)
            continue
        if r.removed:
            shown = ", ".join(_short(x) for x in r.removed[:examples])
            more = f" and {len(r.removed) - examples} more" if len(r.removed) > examples else ""
            line += f"; removed {shown}{more}"
        lines.append(line)
        lines.extend(f"    {n}" for n in r.notes if not n.startswith("possible mojibake"))
    read_chars, kept, removed = accounting(doc.decoded.text, doc.text, doc.reports)
    listed = " (listed above)" if removed else ""
    lines.append(f"characters: {read_chars:,} read = {kept:,} kept + {removed:,} removed{listed}")
    headings = sum(1 for s in doc.spans if s.kind == "heading")
    lines.append(f"statements: {len(doc.spans) - headings} sentences, {headings} headings")
    if doc.mojibake:
        lines.append(f"mojibake: {len(doc.mojibake)} suspicious spots (kept, please check), e.g.")
        for s, e in doc.mojibake[:examples]:
            line_no = doc.text.count("\n", 0, s) + 1
            lines.append(f"    paragraph {line_no}: {_short(doc.text[max(0, s - 6) : e + 6], 40)}")
    else:
        lines.append("mojibake: none found")
    return lines
