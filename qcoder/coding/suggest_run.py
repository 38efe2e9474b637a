"""The model as a coder: its decisions written as codings of a coder named for the model.

Why: "how well does the model agree with the researcher?" is the number a reviewer asks
for, and qcoder already measures agreement between coders (``qcoder agree``). So the
model's codes become codings of ``qcoder-model`` (or another name) and the existing
statistics answer it. This is the one place suggestions are applied without a key press,
and only ever under the model's own coder name — never the researcher's.

Honest by construction: a statement of a document the researcher coded is decided by a
model that did not see that document (documents in up to five folds, each predicted by
a model trained on the others), so agreement is not inflated by training on the answer.
Documents the researcher has not coded are decided by the model trained on everything.
The model coder marks every document it decided as reviewed (uncoded there means "none").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding import history
from qcoder.coding.coder_name import clean_coder_name
from qcoder.coding.coders import get_or_create_coder
from qcoder.coding.codings import add_codings, mark_reviewed, remove_codings
from qcoder.coding.suggest_model import (
    MODEL_CODER,
    ModelSettings,
    SuggestionModel,
    TrainingData,
    check_trainable,
    load_training,
    provenance,
    record_provenance,
)
from qcoder.errors import QcoderError
from qcoder.store.database import Project
from qcoder.store.models import Coding, Document, Sentence

FOLDS = 5


@dataclass(frozen=True)
class ModelRun:
    coder: str
    model_coder: str
    documents: int
    statements: int
    codings: int
    added: int
    removed: int
    digest: str


def _decide(model: SuggestionModel, texts: list[str], tokens: list[str], threshold: float) -> list[frozenset[int]]:
    probs = model.probabilities(texts, tokens)
    chosen = probs >= threshold
    return [frozenset(model.code_ids[k] for k in np.flatnonzero(row)) for row in chosen]


def model_decisions(
    session: Session, data: TrainingData, settings: ModelSettings
) -> tuple[dict[int, frozenset[int]], list[int]]:
    """sentence id → the codes the model applies, for every statement; and the documents decided."""
    rows = session.execute(
        select(Sentence.id, Sentence.document_id, Sentence.text, Sentence.tokens).order_by(Sentence.id)
    ).all()
    coded_docs = sorted({doc for doc, labels in zip(data.document_ids, data.labels) if labels})
    fold_of = {doc: k % FOLDS for k, doc in enumerate(coded_docs)}
    decisions: dict[int, frozenset[int]] = {}
    groups: dict[int | None, list[tuple[int, int, str, str]]] = {}
    for sid, doc, text, tokens in rows:
        groups.setdefault(fold_of.get(doc), []).append((sid, doc, text, tokens or ""))
    for fold, members in sorted(groups.items(), key=lambda item: -1 if item[0] is None else item[0]):
        if fold is None:
            train = data
        else:
            train = data.subset([fold_of.get(doc) != fold for doc in data.document_ids])
        model = SuggestionModel(settings).train(train)
        decided = _decide(model, [m[2] for m in members], [m[3] for m in members], settings.threshold)
        decisions.update({m[0]: codes for m, codes in zip(members, decided)})
    return decisions, sorted({doc for _sid, doc, _t, _k in rows})


def run_as_coder(
    project: Project, coder: str, model_coder: str = MODEL_CODER, settings: ModelSettings | None = None
) -> ModelRun:
    """Train on ``coder``'s codings and write the model's decisions as ``model_coder``'s codings (one undoable step)."""
    settings = settings or ModelSettings()
    model_name = clean_coder_name(model_coder)
    with project.session() as session:
        data = load_training(session, coder)
        if model_name == data.coder_name:
            raise QcoderError("the model needs a coder name of its own: --as NAME (not the coder it learns from)")
        check_trainable(data)
        decisions, documents = model_decisions(session, data, settings)
        record = provenance(SuggestionModel(settings), data, f"model as coder {model_name}")
    wanted: dict[int, list[int]] = {}
    for sid, codes in decisions.items():
        for code in codes:
            wanted.setdefault(code, []).append(sid)

    def write(session: Session) -> tuple[int, int]:
        model = get_or_create_coder(session, model_name)
        added = removed = 0
        with history.step(session, model.id, f"model codings learned from {data.coder_name}"):
            present: dict[int, set[int]] = {}
            for sid, code in session.execute(
                select(Coding.sentence_id, Coding.code_id).where(Coding.coder_id == model.id)
            ):
                present.setdefault(code, set()).add(sid)
            for code in sorted(set(present) | set(wanted)):
                keep = set(wanted.get(code, ()))
                stale = sorted(present.get(code, set()) - keep)
                if stale:
                    removed += len(remove_codings(session, stale, code, model.id))
                new = sorted(keep - present.get(code, set()))
                if new:
                    added += len(add_codings(session, new, code, model.id, present=set()))
            for document in session.scalars(select(Document.id).where(Document.id.in_(documents))):
                mark_reviewed(session, document, model.id)
        record_provenance(session, record, model_name)
        return added, removed

    added, removed = project.run(write)
    return ModelRun(
        data.coder_name,
        model_name,
        len(documents),
        len(decisions),
        sum(len(v) for v in wanted.values()),
        added,
        removed,
        data.digest(),
    )
