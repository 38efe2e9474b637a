"""Replay evaluation of code suggestions: the model measured like a second coder.

Like ASReview's simulation mode: for each document the coder has coded, train on the
coder's codings of all the other documents and predict this one, then compare with what
the coder actually did. Nothing of the held-out document (not even its vocabulary) enters
its model. Reported per code and overall, beside a baseline that always suggests the
coder's most frequent codes (what a model has to beat to be worth a key press):

* precision@1 — of the statements the coder coded, how often the first suggestion is one
  of the coder's codes; precision@3 — the share of the first three suggestions that are;
* recall@3 — the share of the coder's codings found among the first three suggestions;
* Cohen's κ and Krippendorff's α (nominal) of the model's decisions (a code where its
  probability reaches the threshold) against the coder's, over every statement of the
  documents the coder reviewed; the baseline "decides" its most frequent code everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.orm import Session

from qcoder.analysis.agreement_stats import Stat, cohen_kappa, krippendorff_alpha, pooled_alpha
from qcoder.analysis.table import Cell, Table
from qcoder.coding.suggest_model import (
    ModelSettings,
    SuggestionModel,
    TrainingData,
    check_trainable,
    load_training,
    provenance,
)
from qcoder.errors import QcoderError

TOP = 3


@dataclass
class Replay:
    """Per evaluated statement: the coder's codes, the model's ranking and decisions, the baseline's."""

    coder: str
    settings: ModelSettings
    code_ids: list[int]  # every code the coder used, in a stable order
    code_names: dict[int, str]
    truth: list[frozenset[int]] = field(default_factory=list)
    model_rank: list[tuple[int, ...]] = field(default_factory=list)
    model_applied: list[frozenset[int]] = field(default_factory=list)
    base_rank: list[tuple[int, ...]] = field(default_factory=list)
    documents: int = 0
    digest: str = ""


def replay(data: TrainingData, settings: ModelSettings) -> Replay:
    """Leave one document out, for each document with the coder's codings."""
    check_trainable(data)
    all_codes = sorted({c for labels in data.labels for c in labels}, key=lambda c: data.code_names[c])
    result = Replay(data.coder_name, settings, all_codes, data.code_names, digest=data.digest())
    evaluated = [d for d in dict.fromkeys(data.document_ids) if _has_codes(data, d)]
    if len(evaluated) < 2:
        raise QcoderError(
            f"replay needs {data.coder_name}'s codings in at least two documents (found {len(evaluated)})"
        )
    for document in sorted(evaluated):
        held = [doc == document for doc in data.document_ids]
        train = data.subset([not h for h in held])
        test = data.subset([h and (r or bool(labels)) for h, r, labels in zip(held, data.reviewed, data.labels)])
        if not test.sentence_ids:
            continue
        result.documents += 1
        model = SuggestionModel(settings).train(train)
        probs = model.probabilities(test.texts, test.tokens)
        counts: dict[int, int] = {}
        for labels in train.labels:
            for c in labels:
                counts[c] = counts.get(c, 0) + 1
        baseline = tuple(sorted(counts, key=lambda c: (-counts[c], data.code_names[c]))[:TOP])
        for row, labels in enumerate(test.labels):
            order = sorted(range(len(model.code_ids)), key=lambda k: (-float(probs[row, k]), model.code_ids[k]))
            result.truth.append(labels)
            result.model_rank.append(tuple(model.code_ids[k] for k in order[:TOP]))
            result.model_applied.append(
                frozenset(model.code_ids[k] for k in range(len(model.code_ids)) if probs[row, k] >= settings.threshold)
            )
            result.base_rank.append(baseline)
    return result


def _has_codes(data: TrainingData, document: int) -> bool:
    return any(labels for doc, labels in zip(data.document_ids, data.labels) if doc == document)


# ---------------------------------------------------------------------- measures
@dataclass(frozen=True)
class Scores:
    precision_1: float | None
    precision_3: float | None
    recall_3: float | None
    kappa: Stat
    alpha: Stat
    n: int  # coder's statements (P@k) or codings (recall) behind the figures


def _ratio(hit: int, total: int) -> float | None:
    return hit / total if total else None


def _scores(
    truth: Sequence[frozenset[int]],
    ranks: Sequence[tuple[int, ...]],
    applied: Sequence[frozenset[int]],
    codes: Sequence[int],
) -> Scores:
    coded = [i for i, t in enumerate(truth) if t]
    p1 = _ratio(sum(1 for i in coded if ranks[i][:1] and ranks[i][0] in truth[i]), len(coded))
    p3 = _ratio(sum(len(set(ranks[i][:TOP]) & truth[i]) for i in coded), sum(len(ranks[i][:TOP]) for i in coded))
    r3 = _ratio(sum(len(set(ranks[i][:TOP]) & truth[i]) for i in coded), sum(len(truth[i]) for i in coded))
    a = np.array([[1.0 if c in t else 0.0 for t in truth] for c in codes])
    b = np.array([[1.0 if c in d else 0.0 for d in applied] for c in codes])
    kappa = cohen_kappa(a.ravel(), b.ravel()) if a.size else cohen_kappa([], [])
    alpha = pooled_alpha([np.vstack([a[k], b[k]]) for k in range(len(codes))])
    return Scores(p1, p3, r3, kappa, alpha, len(coded))


def _code_scores(replayed: Replay, code: int, ranks: Sequence[tuple[int, ...]], applied: Sequence[frozenset[int]]):
    truth = replayed.truth
    first = [i for i, r in enumerate(ranks) if r[:1] == (code,)]
    top = [i for i, r in enumerate(ranks) if code in r[:TOP]]
    has = [i for i, t in enumerate(truth) if code in t]
    p1 = _ratio(sum(1 for i in first if code in truth[i]), len(first))
    p3 = _ratio(sum(1 for i in top if code in truth[i]), len(top))
    r3 = _ratio(sum(1 for i in has if code in ranks[i][:TOP]), len(has))
    a = np.array([1.0 if code in t else 0.0 for t in truth])
    b = np.array([1.0 if code in d else 0.0 for d in applied])
    return len(has), p1, p3, r3, cohen_kappa(a, b), krippendorff_alpha(np.vstack([a, b]))


def _figure(value: float | None) -> Cell:
    return None if value is None else round(value, 3)


def _stat(stat: Stat) -> Cell:
    return None if stat.value is None else round(stat.value, 3)


def evaluation_tables(replayed: Replay) -> list[Table]:
    """The overall table (model beside baseline) and the per-code table."""
    codes = replayed.code_ids
    base_applied = [frozenset(r[:1]) for r in replayed.base_rank]
    model = _scores(replayed.truth, replayed.model_rank, replayed.model_applied, codes)
    base = _scores(replayed.truth, replayed.base_rank, base_applied, codes)
    n_statements = len(replayed.truth)
    n_codings = sum(len(t) for t in replayed.truth)
    overall = Table(
        f"Code suggestions vs {replayed.coder}: leave-one-document-out replay",
        ["measure", "model", "baseline (most frequent codes)"],
        [
            ["precision@1", _figure(model.precision_1), _figure(base.precision_1)],
            ["precision@3", _figure(model.precision_3), _figure(base.precision_3)],
            ["recall@3", _figure(model.recall_3), _figure(base.recall_3)],
            ["Cohen's κ (code × statement)", _stat(model.kappa), _stat(base.kappa)],
            ["Krippendorff's α (pooled, nominal)", _stat(model.alpha), _stat(base.alpha)],
        ],
        notes=[
            f"{replayed.documents} documents held out in turn; {n_statements} statements evaluated, "
            f"{model.n} of them coded by {replayed.coder} ({n_codings} codings, {len(codes)} codes).",
            f"The model applies a code where its probability is at least {replayed.settings.threshold}; "
            "the baseline suggests the most frequent codes of the training documents and applies the first.",
            f"Seed {replayed.settings.seed}; training data SHA-256 {replayed.digest[:16]}….",
        ],
        name="suggest_overall",
    )
    rows: list[list[Cell]] = []
    for code in codes:
        n, p1, p3, r3, kappa, alpha = _code_scores(replayed, code, replayed.model_rank, replayed.model_applied)
        _n, _p1, _p3, base_r3, _k, _a = _code_scores(replayed, code, replayed.base_rank, base_applied)
        rows.append(
            [
                replayed.code_names[code],
                n,
                _figure(p1),
                _figure(p3),
                _figure(r3),
                _stat(kappa),
                _stat(alpha),
                _figure(base_r3),
            ]
        )
    rows.sort(key=lambda r: (-int(r[1] or 0), str(r[0])))
    per_code = Table(
        f"Code suggestions per code vs {replayed.coder}",
        ["code", "statements", "precision@1", "precision@3", "recall@3", "κ", "α", "baseline recall@3"],
        rows,
        notes=[
            "precision@k of a code: of the statements where it was among the first k suggestions, the share "
            "the coder coded with it; empty: never suggested there."
        ],
        name="suggest_per_code",
    )
    return [overall, per_code]


def evaluate(session: Session, coder: str, settings: ModelSettings | None = None) -> tuple[list[Table], dict]:
    """Replay the coder's project; the tables and the provenance record of the run."""
    settings = settings or ModelSettings()
    data = load_training(session, coder)
    replayed = replay(data, settings)
    record = provenance(SuggestionModel(settings), data, "replay evaluation")
    record["documents_held_out"] = replayed.documents
    return evaluation_tables(replayed), record
