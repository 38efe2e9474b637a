"""Searching statements: substring (any length, so one- and two-character Chinese
queries work — SQLite's trigram index cannot match those) and whole jieba words.

Substring search scans the statement text inside the database (``instr``/``strpos``),
which stays well under 50 ms per million characters; word search matches the
space-joined jieba tokens stored at import.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from qcoder.errors import QcoderError
from qcoder.store.models import Document, Sentence

MODES = ("substring", "word")


@dataclass(frozen=True)
class Hit:
    sentence_id: int
    label: str
    document_label: str
    document_id: int
    text: str
    matches: tuple[tuple[int, int], ...]  # [start, end) within ``text``

    def highlighted(self, before: str = "【", after: str = "】") -> str:
        parts, last = [], 0
        for start, end in self.matches:
            parts.append(self.text[last:start] + before + self.text[start:end] + after)
            last = end
        return "".join(parts) + self.text[last:]


def find_spans(text: str, query: str) -> tuple[tuple[int, int], ...]:
    """Non-overlapping case-insensitive occurrences of ``query`` in ``text``."""
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    return tuple((m.start(), m.end()) for m in pattern.finditer(text))


def search(
    session: Session,
    query: str,
    *,
    mode: str = "substring",
    document_id: int | None = None,
    limit: int | None = None,
    attributes: Mapping[str, str] | None = None,
) -> list[Hit]:
    """Statements that contain ``query``; with ``attributes`` ({"speaker": "受访者"}), only those
    whose own attributes have these values."""
    needle = query.strip()
    if not needle:
        raise QcoderError("search for what? give a word or phrase")
    if mode not in MODES:
        raise QcoderError(f"search mode {mode!r} unknown; use one of: {', '.join(MODES)}")
    dialect = session.get_bind().dialect.name
    haystack: SQLColumnExpression[str]
    if mode == "substring":
        haystack, probe = Sentence.text, needle
    else:
        if " " in needle:
            raise QcoderError("word search takes one word; use substring search for phrases")
        haystack, probe = " " + Sentence.tokens + " ", f" {needle} "
    if needle.isascii():
        haystack, probe = func.lower(haystack), probe.lower()
    position = func.strpos(haystack, probe) if dialect == "postgresql" else func.instr(haystack, probe)
    statement = (
        select(Sentence.id, Sentence.label, Document.label, Document.id, Sentence.text)
        .join(Document, Document.id == Sentence.document_id)
        .where(position > 0)
        .order_by(Sentence.document_id, Sentence.ordinal)
    )
    if document_id is not None:
        statement = statement.where(Sentence.document_id == document_id)
    for key, value in (attributes or {}).items():
        statement = statement.where(Sentence.attributes[key].as_string() == value)
    if limit is not None:
        statement = statement.limit(limit)
    hits = []
    for sid, label, doc_label, doc_id, text in session.execute(statement):
        hits.append(Hit(sid, label, doc_label, doc_id, text, find_spans(text, needle)))
    return hits
