"""The suggestion queue: one statement at a time, a suggested code, and the coder decides.

Nothing is coded without the coder's key press: accepting makes a coding of THIS coder
through the workbench (one undoable step, like any coding); rejecting is remembered (the
queue never offers that code on that statement again, and the next training learns it as
a negative); skipping changes nothing. The statements offered are those the coder has not
coded yet, either in reading order from the cursor (those with a confident suggestion) or
"least certain first" (active learning: the statements whose best suggestion is nearest
the threshold, where the coder's decision teaches the model most).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding.suggest_model import (
    CodeSuggestion,
    ModelSettings,
    SuggestionModel,
    check_trainable,
    load_training,
    provenance,
    record_provenance,
    reject,
)
from qcoder.coding.workbench import Workbench
from qcoder.store.models import Sentence

ORDERS = ("reading", "uncertain")


@dataclass(frozen=True)
class QueueItem:
    sentence_id: int
    document_id: int
    label: str
    text: str
    tokens: str
    best: float  # the probability of its best suggestion


class SuggestionQueue:
    """A trained model of one coder and the statements it has suggestions for."""

    def __init__(self, workbench: Workbench, settings: ModelSettings | None = None) -> None:
        self.workbench = workbench
        self.settings = settings or ModelSettings()
        self.model = SuggestionModel(self.settings)
        self.candidates: list[QueueItem] = []  # every uncoded statement with a suggestion, in reading order
        self.rejected: dict[int, set[int]] = {}
        self.done: set[int] = set()  # decided or skipped in this session

    def train(self) -> SuggestionQueue:
        """Train on the coder's codings and rank the coder's uncoded statements (slow: run it in a worker)."""
        with self.workbench.project.session() as session:
            data = load_training(session, self.workbench.coder_name)
            check_trainable(data)
            self.model.train(data)
            coded = {sid for sid, labels in zip(data.sentence_ids, data.labels) if labels}
            self.rejected = {sid: set(codes) for sid, codes in data.rejected.items()}
            self.candidates = self._rank(session, coded)
            record = provenance(self.model, data, "suggestion queue")
        self.workbench.project.run(lambda session: record_provenance(session, record, self.workbench.coder_name))
        return self

    def _rank(self, session: Session, coded: set[int]) -> list[QueueItem]:
        rows = [
            r
            for r in session.execute(
                select(Sentence.id, Sentence.document_id, Sentence.label, Sentence.text, Sentence.tokens).order_by(
                    Sentence.document_id, Sentence.ordinal
                )
            )
            if r[0] not in coded
        ]
        if not rows or not self.model.trained:
            return []
        probs = self.model.probabilities([r[3] for r in rows], [r[4] or "" for r in rows])
        position = {code: k for k, code in enumerate(self.model.code_ids)}
        row_of = {r[0]: i for i, r in enumerate(rows)}
        for sid, codes in self.rejected.items():  # a rejected code is never offered again
            for code in codes:
                if code in position and sid in row_of:
                    probs[row_of[sid], position[code]] = 0.0
        best = probs.max(axis=1) if probs.shape[1] else np.zeros(len(rows))
        return [
            QueueItem(r[0], r[1], r[2], r[3], r[4] or "", round(float(b), 4)) for r, b in zip(rows, best) if b > 0.0
        ]

    # ------------------------------------------------------------------ the queue
    def items(self, order: str = "reading", after: int | None = None) -> list[QueueItem]:
        """What to offer: ``reading`` — confident suggestions from the statement ``after`` on (wrapping);
        ``uncertain`` — every statement, least certain first."""
        open_items = [item for item in self.candidates if item.sentence_id not in self.done]
        if order == "uncertain":
            threshold = self.settings.threshold
            return sorted(open_items, key=lambda item: (abs(item.best - threshold), item.sentence_id))
        confident = [item for item in open_items if item.best >= self.settings.threshold]
        if after is not None:
            ids = [item.sentence_id for item in self.candidates]
            start = ids.index(after) if after in ids else 0
            rank = {sid: (k - start) % max(len(ids), 1) for k, sid in enumerate(ids)}
            confident.sort(key=lambda item: rank[item.sentence_id])
        return confident

    def suggestions(self, item: QueueItem, limit: int = 3) -> list[CodeSuggestion]:
        """The best codes for the statement with their words (rejected ones left out); milliseconds."""
        return self.model.suggest(item.text, item.tokens, limit=limit, exclude=self.rejected.get(item.sentence_id, ()))

    # ------------------------------------------------------------------ decisions (each one key)
    def accept(self, item: QueueItem, suggestion: CodeSuggestion) -> list[int]:
        """Code the statement with the suggested code, as this coder: one undoable step."""
        added = self.workbench.code_statements([item.sentence_id], suggestion.code_id)
        self.done.add(item.sentence_id)
        return added

    def reject(self, item: QueueItem, suggestion: CodeSuggestion) -> None:
        """Remember the rejection (never offered again; a negative example for the next training)."""
        coder_id = self.workbench.coder_id
        self.workbench.project.run(lambda session: reject(session, item.sentence_id, suggestion.code_id, coder_id))
        self.rejected.setdefault(item.sentence_id, set()).add(suggestion.code_id)
        if not [s for s in self.suggestions(item) if s.probability >= self.settings.threshold]:
            self.done.add(item.sentence_id)

    def skip(self, item: QueueItem) -> None:
        self.done.add(item.sentence_id)
