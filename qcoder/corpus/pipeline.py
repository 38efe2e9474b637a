"""Import pipeline: bytes → decoded → cleaned → (simplified) → statements → tokens.

`process` is what `qcoder import` runs per file; `describe` is what `--dry-run` prints. The
raw bytes are kept in the result so the original can always be shown or re-processed.
"""

from __future__ import annotations

import io
from pathlib import PurePath

from qcoder.corpus.clean import clean, find_mojibake
from qcoder.corpus.convert import to_simplified
from qcoder.corpus.decode import decode
from qcoder.corpus.split import split_with_report
from qcoder.corpus.tokenize import tokenize
from qcoder.corpus.types import Decoded, ImportRefused, PipelineOptions, ProcessedDocument

TEXT_SUFFIXES = (".txt", ".text", ".md", ".markdown")
DOCX_SUFFIXES = (".docx",)
SUPPORTED = TEXT_SUFFIXES + DOCX_SUFFIXES


def _suffix(filename: str) -> str:
    """Lower-case suffix; no name or no suffix means plain text (decode refuses binaries)."""
    return PurePath(filename).suffix.lower() or ".txt"


def _read_docx(raw: bytes, max_bytes: int) -> Decoded:
    """One line per Word paragraph (table cells included, in document order)."""
    if len(raw) > max_bytes:
        decode(raw, max_bytes=max_bytes)  # raises the size message shared with text files
    if not raw:
        raise ImportRefused("the file is empty; nothing to import")
    try:
        import docx
        from docx.table import Table
    except ImportError:  # pragma: no cover - python-docx is a declared dependency
        raise ImportRefused("importing .docx needs the 'python-docx' package; install it or save the file as .txt") from None
    try:
        document = docx.Document(io.BytesIO(raw))
    except Exception:
        raise ImportRefused("this is not a valid .docx (Word 2007+) file; open it in Word or LibreOffice and save it again") from None
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            seen: set[int] = set()
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat in row.cells
                        continue
                    seen.add(id(cell._tc))
                    lines.extend(p.text for p in cell.paragraphs)
        else:
            lines.append(block.text)
    text = "\n".join(lines)
    if not text.strip():
        raise ImportRefused("the .docx file has no text in its paragraphs; nothing to import")
    return Decoded(text=text, encoding="docx", how=f"python-docx ({len(lines)} paragraphs)")


def read(raw: bytes, *, filename: str = "", max_bytes: int = PipelineOptions.max_bytes) -> Decoded:
    """Decode by file type (suffix of `filename`; no name means plain text)."""
    suffix = _suffix(filename)
    if suffix in TEXT_SUFFIXES:
        return decode(raw, max_bytes=max_bytes)
    if suffix in DOCX_SUFFIXES:
        return _read_docx(raw, max_bytes)
    hint = "; copy the text of PDFs into a .txt file first" if suffix == ".pdf" else ""
    raise ImportRefused(
        f"cannot import '{suffix}' files; supported: {', '.join(SUPPORTED)}{hint}"
    )


def process(raw: bytes, options: PipelineOptions = PipelineOptions(), *, filename: str = "") -> ProcessedDocument:
    """Run the whole import on one file's bytes. Raises ImportRefused for unusable input."""
    decoded = read(raw, filename=filename, max_bytes=options.max_bytes)
    text, reports = clean(decoded.text)
    if options.to_simplified:
        text, report = to_simplified(text)
        reports.append(report)
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


def _short(s: str, n: int = 30) -> str:
    s = " ".join(s.split())
    return repr(s if len(s) <= n else s[: n - 1] + "…")


def describe(doc: ProcessedDocument, *, examples: int = 3) -> list[str]:
    """Human-readable lines for `qcoder import --dry-run`: what was done and what was lost."""
    lines = [f"encoding: {doc.decoded.encoding} ({doc.decoded.how}); {len(doc.raw):,} bytes → {len(doc.text):,} characters"]
    for r in doc.reports:
        if r.step == "flag_mojibake":
            continue
        line = f"  {r.step}: {r.changes} change{'s' if r.changes != 1 else ''}"
        if r.removed:
            shown = ", ".join(_short(x) for x in r.removed[:examples])
            more = f" and {len(r.removed) - examples} more" if len(r.removed) > examples else ""
            line += f"; removed {shown}{more}"
        lines.append(line)
        lines.extend(f"    {n}" for n in r.notes if not n.startswith("possible mojibake"))
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
