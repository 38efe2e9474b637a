"""Which reader turns a file of which type into structured sources (see `blocks`).

A reader is a function ``(raw bytes, import options) -> list[StructuredSource]``: one source
per document the file holds (a spreadsheet gives one per row/case, everything else one). It
raises `ImportRefused` with a one-line message for a file it cannot read. The pipeline looks
the reader up by the file's suffix; plain text (.txt) keeps its own path in `pipeline`
unless it is a transcript or is imported by lines or paragraphs (see `transcript`).

Built-in readers are named as ``"module:function"`` and imported on first use, so a
library a reader needs (pdfplumber, openpyxl ...) is loaded only when such a file is
imported. `register` adds or replaces a reader at run time (tests, plug-ins).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from pathlib import PurePath
from typing import Any

from qcoder.corpus.blocks import StructuredSource
from qcoder.corpus.types import PipelineOptions

SourceReader = Callable[[bytes, PipelineOptions], list[StructuredSource]]

#: suffix -> "module:function" of a reader; imported when a file of that type is read.
BUILTIN_READERS: dict[str, str] = {
    ".docx": "qcoder.corpus.word:read_docx_sources",
    ".pdf": "qcoder.corpus.readers.pdf:read_pdf",
    ".markdown": "qcoder.corpus.readers.markdown:read_markdown",
    ".md": "qcoder.corpus.readers.markdown:read_markdown",
    ".html": "qcoder.corpus.readers.html:read_html",
    ".htm": "qcoder.corpus.readers.html:read_html",
    ".srt": "qcoder.corpus.readers.subtitles:read_srt",
    ".vtt": "qcoder.corpus.readers.subtitles:read_vtt",
    ".csv": "qcoder.corpus.readers.spreadsheet:read_csv",
    ".tsv": "qcoder.corpus.readers.spreadsheet:read_csv",
    ".xlsx": "qcoder.corpus.readers.spreadsheet:read_xlsx",
}

#: suffix -> "module:function" of a test ``(raw bytes) -> bool``: when it says False the file is plain text
#: after all. A Markdown file with nothing but headings and emphasis (text pasted from elsewhere, like
#: the seeds) reads better on the plain-text path, which joins wrapped lines and drops page furniture.
BUILTIN_CHECKS: dict[str, str] = {
    ".md": "qcoder.corpus.readers.markdown:is_structured",
    ".markdown": "qcoder.corpus.readers.markdown:is_structured",
}

_registered: dict[str, SourceReader] = {}


def register(suffixes: Iterable[str], reader: SourceReader) -> None:
    """Use ``reader`` for files ending in each of ``suffixes`` (".pdf"; case does not matter)."""
    for suffix in suffixes:
        _registered[suffix.lower()] = reader


def _load(target: str) -> Any:
    module, _, function = target.partition(":")
    return getattr(importlib.import_module(module), function)


def reader_for(filename: str, raw: bytes | None = None) -> SourceReader | None:
    """The reader for ``filename``'s suffix, or None (plain text or an unsupported type).

    With ``raw``, a type that may be plain text after all (see `BUILTIN_CHECKS`) is checked."""
    suffix = PurePath(filename).suffix.lower()
    if suffix in _registered:
        return _registered[suffix]
    target = BUILTIN_READERS.get(suffix)
    if target is None:
        return None
    check = BUILTIN_CHECKS.get(suffix)
    if check is not None and raw is not None and not _load(check)(raw):
        return None
    module, _, function = target.partition(":")
    reader: SourceReader = getattr(importlib.import_module(module), function)
    return reader


def reader_suffixes() -> tuple[str, ...]:
    """Every suffix a structured reader handles, for the "supported" list of messages."""
    return tuple(sorted(set(BUILTIN_READERS) | set(_registered)))
