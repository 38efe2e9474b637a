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

from collections import Counter
from pathlib import PurePath

from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.clean import STEPS, clean, find_mojibake, join_lines, ns
from qcoder.corpus.convert import to_simplified
from qcoder.corpus.decode import decode
from qcoder.corpus.sources import reader_for, reader_suffixes
from qcoder.corpus.split import MAX_STATEMENT_CHARS, _capped, split_with_report
from qcoder.corpus.tokenize import tokenize
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


def process_all(
    raw: bytes, options: PipelineOptions = PipelineOptions(), *, filename: str = ""
) -> list[ProcessedDocument]:
    """Every document of one file, processed. Raises ImportRefused for unusable input."""
    if options.units not in UNITS:
        raise ImportRefused(f"units {options.units!r} unknown; use one of: {', '.join(UNITS)}")
    reader = reader_for(filename, raw)
    if reader is not None:
        _check_size(raw, options.max_bytes)
        sources = reader(raw, options)
        if not sources:
            raise ImportRefused("the file holds no text to import")
        return [process_source(source, raw, options) for source in sources]
    decoded = read(raw, filename=filename, max_bytes=options.max_bytes)
    blocks = text_sources(decoded, options)
    if blocks is not None:
        return [process_source(source, raw, options, decoded=decoded) for source in blocks]
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


def process_source(
    source: StructuredSource,
    raw: bytes,
    options: PipelineOptions = PipelineOptions(),
    *,
    decoded: Decoded | None = None,
) -> ProcessedDocument:
    """One structured source through clean → split → tokenize, block by block.

    Blocks are joined with a blank line in the stored text; each statement lies inside one
    block and carries the block's kind and attributes. The accounting covers what the reader
    removed as well: characters read = kept + every character listed as removed."""
    steps: dict[str, StepReport] = {}
    blocks = _without_furniture(source, options, steps) if source.furniture else source.blocks
    cut = StepReport("cut_overlong_statements")
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    units = Counter(block.kind for block in source.blocks)
    for block in blocks:
        text = _clean_block(block, source, options, steps)
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
    tokens = tokenize([stored[s.start : s.end] for s in spans], options.user_words)
    notes = [f"units: {', '.join(f'{n} {kind}' + ('s' if n != 1 else '') for kind, n in units.items())}"]
    return ProcessedDocument(
        raw=raw,
        decoded=decoded,
        text=stored,
        spans=spans,
        tokens=tokens,
        reports=reports,
        mojibake=find_mojibake(stored),
        reader=source.reader,
        name=source.name,
        document_attributes=dict(source.document_attributes),
        read_chars=read_chars,
        notes=[*notes, *source.notes],
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
    read_chars, kept, removed = accounting(doc.decoded.text, doc.text, doc.reports)
    if doc.read_chars is not None:
        read_chars = doc.read_chars
    listed = " (listed above)" if removed else ""
    lines.append(f"characters: {read_chars:,} read = {kept:,} kept + {removed:,} removed{listed}")
    kinds = Counter(s.kind for s in doc.spans)
    headings = kinds["heading"]
    line = f"statements: {len(doc.spans) - headings - kinds['context']} sentences, {headings} headings"
    if kinds["context"]:
        line += f", {kinds['context']} interviewer turns kept as context (not for coding)"
    lines.append(line)
    speakers = Counter(s.attributes["speaker"] for s in doc.spans if s.attributes.get("speaker"))
    if speakers:
        lines.append("speakers: " + ", ".join(f"{name} {n} statements" for name, n in speakers.most_common()))
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
