"""Import pipeline: bytes → decoded → cleaned → (simplified) → statements → tokens.

`process` is what `qcoder import` runs per file; `describe` is what `--dry-run` prints. The
raw bytes are kept in the result so the original can always be shown or re-processed.

Two paths feed the same steps. Plain text (the seeds) is cleaned as a whole: page furniture,
line joining, headings found by shape. A structured source (Word, a transcript, one unit per
line, and every reader registered in `sources`) arrives as blocks (see `blocks`): each block
is cleaned, split and given its kind and attributes on its own, and a statement never
crosses a block. `process_all` returns every document a file holds (a spreadsheet: one per
row); `process` the one document of a file that has one.
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import PurePath

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.clean import NEEDS, STEPS, Step, clean, find_mojibake, join_lines, ns
from qcoder.corpus.convert import to_simplified
from qcoder.corpus.decode import decode
from qcoder.corpus.sources import reader_for, reader_suffixes
from qcoder.corpus.split import MAX_STATEMENT_CHARS, _capped, split_with_report
from qcoder.corpus.tokenize import tokenize, tokenize_batch
from qcoder.corpus.transcript import is_interviewer, text_sources
from qcoder.corpus.types import Decoded, ImportRefused, PipelineOptions, ProcessedDocument, Span, StepReport
from qcoder.corpus.word import read_docx
from qcoder.store.safe_text import control_count, visible

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
DOCX_SUFFIXES = (".docx",)
SUPPORTED = TEXT_SUFFIXES + DOCX_SUFFIXES
LINE_STEPS = frozenset({"drop_page_furniture", "drop_letterhead"})  # steps that delete whole lines
UNITS = ("sentences", "lines", "paragraphs")


def _suffix(filename: str) -> str:
    """Lower-case suffix; no name or no suffix means plain text (decode refuses binaries)."""
    return PurePath(filename).suffix.lower() or ".txt"


def supported() -> tuple[str, ...]:
    """Every suffix `process` reads: plain text and each registered reader."""
    return tuple(dict.fromkeys((*TEXT_SUFFIXES, *reader_suffixes())))


def _check_size(raw: bytes, max_bytes: int) -> None:
    if len(raw) > max_bytes:
        decode(raw, max_bytes=max_bytes)  # raises the size message shared with text files
    if not raw:
        raise ImportRefused("the file is empty; nothing to import")


def read(raw: bytes, *, filename: str = "", max_bytes: int = PipelineOptions.max_bytes) -> Decoded:
    """Decode by file type (suffix of `filename`; no name means plain text): the text as read."""
    if _suffix(filename) in DOCX_SUFFIXES:
        _check_size(raw, max_bytes)
        return read_docx(raw)  # one line per paragraph, as other tools' offsets into Word text expect
    reader = reader_for(filename, raw)
    if reader is not None:
        _check_size(raw, max_bytes)
        sources = reader(raw, PipelineOptions(max_bytes=max_bytes))
        return _decoded(sources[0]) if sources else Decoded("", "", "")
    suffix = _suffix(filename)
    if suffix in TEXT_SUFFIXES:
        return decode(raw, max_bytes=max_bytes)
    hint = "; copy the text of PDFs into a .txt file first" if suffix == ".pdf" else ""
    raise ImportRefused(f"cannot import '{suffix}' files; supported: {', '.join(supported())}{hint}")


def process(raw: bytes, options: PipelineOptions = PipelineOptions(), *, filename: str = "") -> ProcessedDocument:
    """Run the whole import on one file's bytes. Raises ImportRefused for unusable input.

    For a file that holds several documents (a spreadsheet) use `process_all`."""
    documents = process_all(raw, options, filename=filename)
    if len(documents) != 1:
        raise ImportRefused(f"this file holds {len(documents)} documents; import it with `qcoder import`")
    return documents[0]


@contextmanager
def bulk() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file's documents are built or stored.

    A 100,000-row spreadsheet makes millions of small lists, dicts and strings (tokens, spans,
    rows), none of them in a reference cycle: reference counting frees them as always, but the
    cyclic collector would walk the growing heap again and again — about 40 % of the import's
    CPU time. It runs again (and collects any cycle made meanwhile) when the work is done."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def process_all(
    raw: bytes, options: PipelineOptions = PipelineOptions(), *, filename: str = ""
) -> list[ProcessedDocument]:
    """Every document of one file, processed. Raises ImportRefused for unusable input."""
    with bulk():
        return _process_all(raw, options, filename)


def _process_all(raw: bytes, options: PipelineOptions, filename: str) -> list[ProcessedDocument]:
    if options.units not in UNITS:
        raise ImportRefused(f"units {options.units!r} unknown; use one of: {', '.join(UNITS)}")
    reader = reader_for(filename, raw)
    if reader is not None:
        _check_size(raw, options.max_bytes)
        sources = reader(raw, options)
        if not sources:
            raise ImportRefused("the file holds no text to import")
        return process_sources(sources, raw, options)
    decoded = read(raw, filename=filename, max_bytes=options.max_bytes)
    blocks = text_sources(decoded, options)
    if blocks is not None:
        return process_sources(blocks, raw, options, decoded=decoded)
    return [_process_text(raw, decoded, options)]


def _process_text(raw: bytes, decoded: Decoded, options: PipelineOptions) -> ProcessedDocument:
    """The plain-text path: the whole text cleaned at once (page furniture, joined lines)."""
    text, reports = clean(decoded.text, keep_repeated=options.keep_repeated, keep_paragraphs=decoded.encoding == "docx")
    if options.to_simplified:
        text, report = to_simplified(text)
        reports.append(report)
    _check_accounting(len(ns(decoded.text)), text, reports)
    controls = control_count(text)
    if controls:  # one character for one, before the split: statements never hold a raw ESC
        text = visible(text, spaces=True)
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


def _check_accounting(read_chars: int, text: str, reports: list[StepReport]) -> None:
    removed = sum(len(ns(r)) for report in reports for r in report.removed)
    kept = len(ns(text))
    if read_chars != kept + removed:  # every step lists what it deletes; anything else is a bug
        raise ImportRefused(
            f"cleaning this file lost {read_chars - kept - removed:,} characters it did not list (a qcoder bug); "
            "nothing was imported; please report it together with the file"
        )


# Per block: everything but the steps that need the whole page (readers drop page furniture)
# and the mojibake flags (found once on the stored text, with its positions).
_BLOCK_STEPS = tuple(step for step in STEPS if step.__name__ not in LINE_STEPS | {"flag_mojibake"})
_NOTE_LIMIT = 20


def _decoded(source: StructuredSource) -> Decoded:
    encoding = source.encoding or source.reader.split(" ")[0] or "text"
    return Decoded(text="\n\n".join(block.text for block in source.blocks), encoding=encoding, how=source.reader)


def _merge(into: dict[str, StepReport], report: StepReport) -> None:
    """Add one block's step report to the document's report of that step."""
    total = into.setdefault(report.step, StepReport(report.step))
    total.changes += report.changes
    total.removed.extend(report.removed)
    for note in report.notes:
        if note not in total.notes and len(total.notes) < _NOTE_LIMIT:
            total.notes.append(note)


def _clean_block(block: Block, source: StructuredSource, options: PipelineOptions, steps: dict[str, StepReport]) -> str:
    text = block.text
    for step in _BLOCK_STEPS:
        if step is join_lines:
            text, report = join_lines(text, keep_paragraphs=source.keep_lines)
            report.notes = []  # "joined n line breaks" per block says nothing; the count does
        else:
            text, report = step(text)
        if report.changes or report.removed:
            _merge(steps, report)
    if options.to_simplified:
        text, report = to_simplified(text)
        if report.changes or report.removed:
            _merge(steps, report)
    return text


class _BatchCleaner:
    """``_clean_block`` for the blocks of many sources, running only the steps that can change them.

    Which steps any block gives work to is found once on the whole batch (``clean.NEEDS``);
    those steps run on the blocks that hold what they look for. Texts and step reports are
    the same as ``_clean_block``'s: a skipped step would have changed and listed nothing."""

    def __init__(self, sources: Sequence[StructuredSource], options: PipelineOptions) -> None:
        every = "\n".join(block.text for source in sources for block in source.blocks)
        at = _BLOCK_STEPS.index(join_lines)
        self.before = [(step, NEEDS[step.__name__]) for step in _BLOCK_STEPS[:at]]
        self.after = [(step, NEEDS[step.__name__]) for step in _BLOCK_STEPS[at + 1 :]]
        self.before = [(step, needs) for step, needs in self.before if needs.search(every)]
        self.after = [(step, needs) for step, needs in self.after if needs.search(every)]
        self.join: re.Pattern[str] | None = NEEDS["join_lines"] if NEEDS["join_lines"].search(every) else None
        self.simplified = options.to_simplified

    def __call__(
        self, block: Block, source: StructuredSource, options: PipelineOptions, steps: dict[str, StepReport]
    ) -> str:
        text = self._run(self.before, block.text, steps)
        if self.join is not None and self.join.search(text):
            text, report = join_lines(text, keep_paragraphs=source.keep_lines)
            report.notes = []  # as in _clean_block
            if report.changes or report.removed:
                _merge(steps, report)
        else:
            text = text.strip()  # what join_lines makes of a text without line breaks
        text = self._run(self.after, text, steps)
        if self.simplified:
            text, report = to_simplified(text)
            if report.changes or report.removed:
                _merge(steps, report)
        return text

    @staticmethod
    def _run(todo: list[tuple[Step, re.Pattern[str]]], text: str, steps: dict[str, StepReport]) -> str:
        for step, needs in todo:
            if needs.search(text):
                text, report = step(text)
                if report.changes or report.removed:
                    _merge(steps, report)
        return text


def _without_furniture(source: StructuredSource, options: PipelineOptions, steps: dict[str, StepReport]) -> list[Block]:
    """The blocks after the whole-document line steps (running heads, page numbers, letterhead).

    Those steps blank whole lines and keep the line count, so each block gets its own lines back."""
    from dataclasses import replace

    from qcoder.corpus.clean import drop_letterhead, drop_page_furniture

    text = "\n".join(block.text for block in source.blocks)
    text, report = drop_page_furniture(text, running_heads=not options.keep_repeated)
    steps[report.step] = report
    text, report = drop_letterhead(text)
    steps[report.step] = report
    lines = text.split("\n")
    blocks, at = [], 0
    for block in source.blocks:
        n = block.text.count("\n") + 1
        blocks.append(replace(block, text="\n".join(lines[at : at + n])))
        at += n
    return blocks


def _glued(text: str) -> str:
    """A block's lines as one line (a whole block is one unit): CJK closed up, Latin spaced."""
    from qcoder.corpus.clean import _join_paragraph

    lines = [line.strip() for line in text.split("\n") if line.strip()]
    return _join_paragraph(lines) if lines else ""


def _block_spans(
    block: Block, text: str, offset: int, options: PipelineOptions, cut: StepReport, *, guess_headings: bool = True
) -> list[Span]:
    """The statements of one cleaned block, as spans of the stored text (``offset`` = where it starts)."""
    attributes = dict(block.attributes)
    if block.kind == "heading":
        if block.level is not None:
            attributes.setdefault("level", str(block.level))
        pieces, kind = _capped(text, Span(0, len(text)), MAX_STATEMENT_CHARS), "heading"
    elif block.kind == "line":
        pieces, kind = _capped(text, Span(0, len(text)), MAX_STATEMENT_CHARS), "sentence"
    else:
        pieces, report = split_with_report(
            text, semicolon=options.split_on_semicolon, headings=guess_headings and block.kind == "paragraph"
        )
        cut.changes += report.changes
        cut.notes.extend(report.notes[: max(0, _NOTE_LIMIT - len(cut.notes))])
        kind = ""
    if block.kind in ("heading", "line") and len(pieces) > 1:
        cut.changes += 1
        if len(cut.notes) < _NOTE_LIMIT:
            cut.notes.append(
                f"a {block.kind} of {len(text):,} characters was cut into {len(pieces)} pieces of at most "
                f"{MAX_STATEMENT_CHARS:,}"
            )
    context = options.interviewer_context and block.kind == "turn" and is_interviewer(attributes.get("speaker", ""))
    spans = []
    for piece in pieces:
        piece_kind = "context" if context else (kind or piece.kind)
        spans.append(Span(offset + piece.start, offset + piece.end, piece_kind, dict(attributes)))
    return spans


@dataclass
class _Cut:
    """A structured source cleaned and split, waiting for its statements' tokens."""

    source: StructuredSource
    decoded: Decoded
    stored: str
    spans: list[Span]
    reports: list[StepReport]
    read_chars: int
    units: Counter[str]

    def statements(self) -> list[str]:
        return [self.stored[s.start : s.end] for s in self.spans]

    def document(self, raw: bytes, tokens: list[list[str]]) -> ProcessedDocument:
        notes = [f"units: {', '.join(f'{n} {kind}' + ('s' if n != 1 else '') for kind, n in self.units.items())}"]
        return ProcessedDocument(
            raw=raw,
            decoded=self.decoded,
            text=self.stored,
            spans=self.spans,
            tokens=tokens,
            reports=self.reports,
            mojibake=find_mojibake(self.stored),
            reader=self.source.reader,
            name=self.source.name,
            document_attributes=dict(self.source.document_attributes),
            read_chars=self.read_chars,
            notes=[*notes, *self.source.notes],
        )


def _cut_source(
    source: StructuredSource,
    options: PipelineOptions,
    decoded: Decoded | None,
    clean_block: Callable[[Block, StructuredSource, PipelineOptions, dict[str, StepReport]], str],
) -> _Cut:
    """Clean and split one source block by block; the accounting is checked here."""
    steps: dict[str, StepReport] = {}
    blocks = _without_furniture(source, options, steps) if source.furniture else source.blocks
    cut = StepReport("cut_overlong_statements")
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    units = Counter(block.kind for block in source.blocks)
    for block in blocks:
        text = clean_block(block, source, options, steps)
        if block.kind in ("heading", "line"):
            text = _glued(text)
        text = text.strip()
        if not text:
            continue
        if parts:
            offset += 2  # the blank line between blocks
        spans.extend(_block_spans(block, text, offset, options, cut, guess_headings=not source.marked_headings))
        parts.append(text)
        offset += len(text)
    stored = "\n\n".join(parts)
    if not spans:
        raise ImportRefused("the file has no text left to import after cleaning; nothing was imported")
    if decoded is None:
        decoded = _decoded(source)
    reports = [*source.removed, *steps.values()]
    if cut.changes:
        reports.append(cut)
    read_chars = source.read_chars or len(ns(decoded.text)) + sum(
        len(ns(r)) for report in source.removed for r in report.removed
    )
    _check_accounting(read_chars, stored, reports)
    controls = control_count(stored)
    if controls:  # one character for one: spans stay valid, statements never hold a raw ESC
        stored = visible(stored, spaces=True)
        reports.append(StepReport("visible_controls", controls, notes=[control_note(controls)]))
    return _Cut(source, decoded, stored, spans, reports, read_chars, units)


def process_source(
    source: StructuredSource,
    raw: bytes,
    options: PipelineOptions = PipelineOptions(),
    *,
    decoded: Decoded | None = None,
) -> ProcessedDocument:
    """One structured source through clean → split → tokenize, block by block, every step on every block.

    Blocks are joined with a blank line in the stored text; each statement lies inside one
    block and carries the block's kind and attributes. The accounting covers what the reader
    removed as well: characters read = kept + every character listed as removed.
    ``process_sources`` gives the same documents for many sources at once, faster."""
    cut = _cut_source(source, options, decoded, _clean_block)
    tokens = tokenize(cut.statements(), options.user_words)
    return cut.document(raw, tokens)


def process_sources(
    sources: Sequence[StructuredSource],
    raw: bytes,
    options: PipelineOptions = PipelineOptions(),
    *,
    decoded: Decoded | None = None,
) -> list[ProcessedDocument]:
    """The documents of one file (a spreadsheet's rows): what ``process_source`` gives each, in one batch.

    Two things are done once for the whole batch instead of once per document: finding which
    cleaning steps can change anything (a step none of the blocks gives work to is not run;
    a step is run only on the blocks that hold what it looks for), and checking jieba-rs's
    tokens against jieba's on a sample (``tokenize_batch``), which per document would cut
    every short row twice."""
    clean_block = _BatchCleaner(sources, options)
    cuts = [_cut_source(source, options, decoded, clean_block) for source in sources]
    tokens = tokenize_batch([cut.statements() for cut in cuts], options.user_words)
    return [cut.document(raw, t) for cut, t in zip(cuts, tokens, strict=True)]


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
    removed = [line for report in doc.reports if report.step in LINE_STEPS for line in report.removed]
    return list(Counter(removed).items()) if removed else []


def _short(s: str, n: int = 30) -> str:
    s = " ".join(s.split())
    return repr(s if len(s) <= n else s[: n - 1] + "…")


# Steps of the text pipeline; any other step is a reader's (speaker labels, page furniture of
# a PDF, markup): every item it removed is listed, with how often.
_TEXT_STEPS = frozenset({step.__name__ for step in STEPS} | {"to_simplified", "cut_overlong_statements"})


def describe(doc: ProcessedDocument, *, examples: int = 3, samples: int = 5) -> list[str]:
    """Human-readable lines for `qcoder import --dry-run`: what was done and what was lost."""
    lines = [
        f"encoding: {doc.decoded.encoding} ({doc.decoded.how}); {len(doc.raw):,} bytes → {len(doc.text):,} characters"
    ]
    if doc.reader:
        lines.append(f"reader: {doc.reader}" + (f"; document {doc.name!r}" if doc.name else ""))
        lines.extend(f"  {note}" for note in doc.notes)
        if doc.document_attributes:
            lines.append("document attributes: " + ", ".join(f"{k}={v}" for k, v in doc.document_attributes.items()))
    for r in doc.reports:
        if r.step == "flag_mojibake":
            continue
        line = f"  {r.step}: {r.changes} change{'s' if r.changes != 1 else ''}"
        if r.removed and (r.step in LINE_STEPS or r.step not in _TEXT_STEPS):
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
    removed = sum(len(ns(r)) for report in doc.reports for r in report.removed)
    kept = len(ns(doc.text))
    read_chars = len(ns(doc.decoded.text)) if doc.read_chars is None else doc.read_chars
    listed = " (listed above)" if removed else ""
    lines.append(f"characters: {read_chars:,} read = {kept:,} kept + {removed:,} removed{listed}")
    kinds = [s.kind for s in doc.spans]  # counted without a Counter: describe runs once per spreadsheet row
    headings, context = kinds.count("heading"), kinds.count("context")
    line = f"statements: {len(doc.spans) - headings - context} sentences, {headings} headings"
    if context:
        line += f", {context} interviewer turns kept as context (not for coding)"
    lines.append(line)
    named = [s.attributes["speaker"] for s in doc.spans if s.attributes.get("speaker")]
    if named:
        lines.append("speakers: " + ", ".join(f"{name} {n} statements" for name, n in Counter(named).most_common()))
    if doc.reader:
        lines.append("sample statements:")
        for span in doc.spans[:samples]:
            shown = " ".join(f"{k}={v}" for k, v in span.attributes.items())
            prefix = f"[{span.kind}{' ' + shown if shown else ''}] "
            lines.append(f"    {prefix}{_short(doc.text[span.start : span.end], 40)}")
    if doc.mojibake:
        lines.append(f"mojibake: {len(doc.mojibake)} suspicious spots (kept, please check), e.g.")
        for s, e in doc.mojibake[:examples]:
            line_no = doc.text.count("\n", 0, s) + 1
            lines.append(f"    paragraph {line_no}: {_short(doc.text[max(0, s - 6) : e + 6], 40)}")
    else:
        lines.append("mojibake: none found")
    return lines
