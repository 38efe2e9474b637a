"""Undo and redo of a session's coding actions.

Each step knows how to apply and revert itself against the database; steps record only
what actually changed (e.g. the statements that were newly coded), so undoing never
removes a coding that existed before the action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from qcoder.coding.codings import add_codings, mark_reviewed, remove_codings
from qcoder.store.models import Code


class Step(Protocol):
    description: str

    def apply(self, session: Session) -> None: ...

    def revert(self, session: Session) -> None: ...


@dataclass
class CodingStep:
    """Statements coded (``added=True``) or uncoded with one code by one coder."""

    description: str
    code_id: int
    coder_id: int
    sentence_ids: list[int]
    added: bool

    def apply(self, session: Session) -> None:
        if self.added:
            add_codings(session, self.sentence_ids, self.code_id, self.coder_id)
        else:
            remove_codings(session, self.sentence_ids, self.code_id, self.coder_id)

    def revert(self, session: Session) -> None:
        if self.added:
            remove_codings(session, self.sentence_ids, self.code_id, self.coder_id)
        else:
            add_codings(session, self.sentence_ids, self.code_id, self.coder_id)


@dataclass
class ReviewStep:
    description: str
    document_id: int
    coder_id: int
    reviewed: bool

    def apply(self, session: Session) -> None:
        mark_reviewed(session, self.document_id, self.coder_id, self.reviewed)

    def revert(self, session: Session) -> None:
        mark_reviewed(session, self.document_id, self.coder_id, not self.reviewed)


@dataclass
class CreateCodeStep:
    """A code created on the spot, together with the codings made with it."""

    description: str
    code_fields: dict[str, object]
    coding: CodingStep | None = None
    code_id: int | None = None

    def apply(self, session: Session) -> None:
        code = Code(**self.code_fields)
        if self.code_id is not None:
            code.id = self.code_id
        session.add(code)
        session.flush()
        self.code_id = code.id
        if self.coding is not None:
            self.coding.code_id = code.id
            self.coding.apply(session)

    def revert(self, session: Session) -> None:
        if self.coding is not None:
            self.coding.revert(session)
        code = session.get(Code, self.code_id)
        if code is not None:
            session.delete(code)
            session.flush()


@dataclass
class History:
    done: list[Step] = field(default_factory=list)
    undone: list[Step] = field(default_factory=list)
    limit: int = 1000

    def record(self, step: Step) -> None:
        self.done.append(step)
        del self.done[: -self.limit]
        self.undone.clear()
