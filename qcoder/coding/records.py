"""Plain records the workbench returns: safe to hold across threads, cheap to import.

They live apart from ``workbench`` (which needs SQLAlchemy) so that the terminal UI can
show its first screen, read by ``first_look``, before the engine has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


@dataclass(frozen=True)
class DocumentSummary:
    id: int
    label: str
    name: str
    role: str
    statements: int
    coded_by_me: int  # statements with at least one of this coder's codes
    reviewed_by_me: bool
    reviewers: tuple[str, ...]
    title: str = ""  # a ``title`` attribute, else the first heading; "" when it has neither

    @property
    def shown_name(self) -> str:
        """What a researcher calls the document: its title, else its file name."""
        return self.title or self.name


class StatementRow(NamedTuple):
    """One statement as the document view draws it (a tuple: 50,000 of them load fast)."""

    id: int
    label: str
    ordinal: int
    kind: str
    text: str
    cell_width: int


@dataclass(frozen=True)
class CodeInfo:
    id: int
    guid: str
    name: str
    level: int
    parent_id: int | None
    definition: str
    colour: str | None
    version: int
    codings: int  # all coders
    mine: int  # this coder


@dataclass(frozen=True)
class RelationInfo:
    id: int
    source_id: int
    source: str
    target_id: int
    target: str
    type: str
    note: str


@dataclass(frozen=True)
class MemoInfo:
    id: int
    type: str
    title: str
    text: str
    coder: str | None
    updated_at: str
    code_id: int | None = None  # the code it is on, if any
    version: int = 1  # what a save from an editor opened on this memo is checked against
    edited_by: str | None = None  # who saved the current text


@dataclass(frozen=True)
class MemoEntry:
    """A memo in the memo browser: what it is on, and where that is (to jump there)."""

    memo: MemoInfo
    target: str  # project | document | sentence | code | relation
    target_label: str  # D01-S003, D02, the code's name, "A → B"; "" for the project
    document_id: int | None = None
    sentence_id: int | None = None
    code_id: int | None = None
    relation_id: int | None = None


@dataclass(frozen=True)
class ComparisonRow:
    sentence_id: int
    label: str
    document_id: int
    document_label: str
    ordinal: int
    text: str
    code: str
    coder: str
    quote: str | None = None  # the exact words coded, when the coding has a quote span
