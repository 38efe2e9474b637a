"""The IDs researchers see (``D03``, ``D03-S017``): the store writes them, so their format lives here."""

from __future__ import annotations


def document_label(number: int) -> str:
    return f"D{number:02d}"


def statement_label(doc_label: str, ordinal: int) -> str:
    return f"{doc_label}-S{ordinal:03d}"
