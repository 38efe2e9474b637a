"""Finding documents and statements by the IDs researchers see (``D03``, ``D03-S017``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcoder.errors import NotFound, QcoderError
from qcoder.store.labels import document_label, statement_label  # also imported from here
from qcoder.store.models import Document, Sentence

_STATEMENT_ID = re.compile(r"^(D\d+)-S(\d+)$", re.IGNORECASE)
_RANGE = re.compile(r"^(D\d+-S\d+)\s*(?:\.\.|–|—)\s*(D\d+-S\d+|S\d+|\d+)$", re.IGNORECASE)


def find_document(session: Session, spec: str) -> Document:
    """A document by label (``D03``/``3``), exact name, or unique name prefix."""
    text = spec.strip()
    if text.isdigit():
        text = document_label(int(text))
    doc = session.scalar(select(Document).where(Document.label == text.upper()))
    if doc is None:
        doc = session.scalar(select(Document).where(Document.name == text))
    if doc is None:
        matches = list(session.scalars(select(Document).where(Document.name.startswith(text))))
        if len(matches) == 1:
            doc = matches[0]
        elif len(matches) > 1:
            names = ", ".join(f"{d.label} {d.name}" for d in matches[:5])
            raise QcoderError(f"{spec!r} matches several documents ({names}); use its ID")
    if doc is None:
        raise NotFound(f"no document {spec!r}; `qcoder docs` lists them")
    return doc


def _normalize_label(label: str) -> str:
    match = _STATEMENT_ID.match(label.strip())
    if not match:
        raise QcoderError(f"{label!r} is not a statement ID (like D03-S017)")
    doc_label = document_label(int(match.group(1)[1:]))
    return statement_label(doc_label, int(match.group(2)))


def parse_statement_specs(specs: Iterable[str]) -> list[tuple[str, int, int]]:
    """``(document label, first ordinal, last ordinal)`` per ID or range, without listing a range's IDs."""
    parts: list[tuple[str, int, int]] = []
    for spec in specs:
        for part in spec.replace(",", " ").split():
            range_match = _RANGE.match(part)
            if range_match:
                first = _normalize_label(range_match.group(1))
                doc_label, first_ordinal = first.split("-S")[0], int(first.split("-S")[1])
                end = range_match.group(2)
                if "-" in end:
                    last = _normalize_label(end)
                    if last.split("-S")[0] != doc_label:
                        raise QcoderError(f"range {part!r} spans two documents; give one range per document")
                    last_ordinal = int(last.split("-S")[1])
                else:
                    last_ordinal = int(end.lstrip("Ss"))
                if last_ordinal < first_ordinal:
                    raise QcoderError(f"range {part!r} runs backwards")
                parts.append((doc_label, first_ordinal, last_ordinal))
            else:
                label = _normalize_label(part)
                doc_label, ordinal = label.split("-S")[0], int(label.split("-S")[1])
                parts.append((doc_label, ordinal, ordinal))
    return parts


def expand_statement_ids(specs: Iterable[str], *, limit: int = 1_000_000) -> list[str]:
    """Accept ``D01-S003``, ``d1-s3`` and ranges ``D01-S003..D01-S010`` / ``D01-S003..10``."""
    parts = parse_statement_specs(specs)
    if sum(last - first + 1 for _, first, last in parts) > limit:
        raise QcoderError(f"more than {limit:,} statement IDs asked for; give smaller ranges")
    return [statement_label(doc, n) for doc, first, last in parts for n in range(first, last + 1)]


def _check_ranges(session: Session, parts: list[tuple[str, int, int]]) -> None:
    """A range past a document's last statement is refused at once, before any ID is listed."""
    for doc_label in {doc for doc, first, last in parts if last > first}:
        last_ordinal = session.scalar(
            select(func.max(Sentence.ordinal))
            .join(Document, Document.id == Sentence.document_id)
            .where(Document.label == doc_label)
        )
        if last_ordinal is None:
            raise NotFound(f"no document {doc_label!r}; `qcoder docs` lists them")
        for doc, first, last in parts:
            if doc == doc_label and last > last_ordinal:
                raise NotFound(
                    f"{statement_label(doc, first)}..{statement_label(doc, last)} goes beyond {doc}'s last statement "
                    f"{statement_label(doc, last_ordinal)}; `qcoder show {doc}` lists its statement IDs"
                )


def resolve_statements(session: Session, specs: Sequence[str]) -> list[Sentence]:
    _check_ranges(session, parse_statement_specs(specs))
    labels = expand_statement_ids(specs)
    if not labels:
        raise QcoderError("no statement IDs given (like D03-S017)")
    found: dict[str, Sentence] = {}
    for chunk_start in range(0, len(labels), 500):
        chunk = labels[chunk_start : chunk_start + 500]
        for sentence in session.scalars(select(Sentence).where(Sentence.label.in_(chunk))):
            found[sentence.label] = sentence
    missing = [label for label in labels if label not in found]
    if missing:
        shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
        raise NotFound(f"no statement {shown}; `qcoder show DOC` lists a document's statement IDs")
    return [found[label] for label in dict.fromkeys(labels)]


def context_ids(session: Session, sentence_ids: Sequence[int]) -> set[int]:
    """Those of the statements that are interviewer turns kept as context (kind "context"): shown, never coded."""
    ids = list(sentence_ids)
    found: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(session.scalars(select(Sentence.id).where(Sentence.id.in_(chunk), Sentence.kind == "context")))
    return found
