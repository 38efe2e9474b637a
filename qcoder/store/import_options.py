"""Import options are a project setting the store reads and writes, so their type lives in the store."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PipelineOptions:
    """Per-project import settings (stored in project settings, overridable per call)."""

    to_simplified: bool = False
    split_on_semicolon: bool = False
    max_bytes: int = 50 * 1024 * 1024
    user_words: tuple[str, ...] = ()
    keep_repeated: bool = False  # keep repeated short lines (no running-head removal); per call only
    units: str = "sentences"  # "sentences" | "lines" (each non-empty line) | "paragraphs" (blank-line blocks)
    interviewer_context: bool = False  # interviewer turns are kept as context, not for coding
    text_columns: tuple[str, ...] = ()  # spreadsheets: the columns whose cells become statements
    id_column: str | None = None  # spreadsheets: the column that names each row's document (case)
