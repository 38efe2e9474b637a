"""Suggested codes: a model of ONE coder's coding, learned from this project only, on this machine.

Why this shape: methodologists object to cloud "AI coding" because it uploads the data,
changes its answers from run to run and cannot say why. Here a coder's own codings are
the only training data (every query filters on that coder: a colleague's codings are
never read), the features are the similarity features (TF-IDF over jieba words plus
character n-grams), each code gets one linear model (logistic regression, fixed seed), so
the same inputs give the same suggestions and the words that pushed a code up are the
explanation. Suggestions the coder rejected are remembered and learned as negatives.

Which statements teach the model: every statement of a document the coder marked as
reviewed (uncoded there means "none of my codes"), every statement the coder coded
elsewhere, and rejected suggestions (negative for that one code only).
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.coding.coders import find_coder
from qcoder.coding.similar import Features
from qcoder.errors import QcoderError
from qcoder.store.models import Code, Coding, DocumentReview, Sentence, SuggestionRejection

MODEL_CODER = "qcoder-model"


@dataclass(frozen=True)
class ModelSettings:
    """Everything that decides the suggestions, stored with each run (provenance)."""

    seed: int = 20261203
    threshold: float = 0.3  # a code is suggested with confidence (and applied by the model coder) from here
    regularization: float = 4.0  # C of the logistic regression
    reject_weight: float = 3.0  # a rejection counts like this many ordinary negatives
    min_examples: int = 2  # codes with fewer positive statements get no model
    # Large projects: a code learns from at most this many statements, half its own and half
    # others, drawn with the seed (balanced sampling; the small projects use every statement).
    max_rows_per_code: int = 3000
    features: str = "tf-idf of jieba words + character bigrams, each block L2-normalised, equal weight"
    classifier: str = "logistic regression per code (scikit-learn liblinear, dual), balanced class weights"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainingData:
    """One coder's labelled statements: read only through queries filtered on that coder."""

    coder_id: int
    coder_name: str
    sentence_ids: list[int]  # labelled statements, in id order
    document_ids: list[int]
    texts: list[str]
    tokens: list[str]
    labels: list[frozenset[int]]  # the coder's codes on each (empty: reviewed, none of my codes)
    reviewed: list[bool]  # False: the statement is labelled only by codings or rejections
    rejected: dict[int, frozenset[int]] = field(default_factory=dict)  # sentence id → rejected code ids
    code_names: dict[int, str] = field(default_factory=dict)

    def subset(self, keep: Sequence[bool]) -> TrainingData:
        pick = [i for i, k in enumerate(keep) if k]
        ids = [self.sentence_ids[i] for i in pick]
        kept = set(ids)
        return TrainingData(
            self.coder_id,
            self.coder_name,
            ids,
            [self.document_ids[i] for i in pick],
            [self.texts[i] for i in pick],
            [self.tokens[i] for i in pick],
            [self.labels[i] for i in pick],
            [self.reviewed[i] for i in pick],
            {sid: codes for sid, codes in self.rejected.items() if sid in kept},
            self.code_names,
        )

    def digest(self) -> str:
        """SHA-256 of what the model learns from: statements, their codes and rejections."""
        h = hashlib.sha256()
        for i, sid in enumerate(self.sentence_ids):
            codes = sorted(self.code_names[c] for c in self.labels[i])
            rejected = sorted(self.code_names.get(c, str(c)) for c in self.rejected.get(sid, ()))
            h.update(json.dumps([sid, self.texts[i], codes, rejected, self.reviewed[i]], ensure_ascii=False).encode())
        return h.hexdigest()


def load_training(session: Session, coder: str) -> TrainingData:
    """The named coder's codings, reviews and rejections — and no one else's."""
    found = find_coder(session, coder)
    coder_id = found.id
    reviewed_docs = set(session.scalars(select(DocumentReview.document_id).where(DocumentReview.coder_id == coder_id)))
    labels: dict[int, set[int]] = {}
    for sid, code_id in session.execute(select(Coding.sentence_id, Coding.code_id).where(Coding.coder_id == coder_id)):
        labels.setdefault(sid, set()).add(code_id)
    rejected: dict[int, set[int]] = {}
    for sid, code_id in session.execute(
        select(SuggestionRejection.sentence_id, SuggestionRejection.code_id).where(
            SuggestionRejection.coder_id == coder_id
        )
    ):
        rejected.setdefault(sid, set()).add(code_id)
    wanted = set(labels) | set(rejected)
    rows = session.execute(
        select(Sentence.id, Sentence.document_id, Sentence.text, Sentence.tokens).order_by(Sentence.id)
    ).all()
    rows = [r for r in rows if r[1] in reviewed_docs or r[0] in wanted]
    used_codes = {c for codes in labels.values() for c in codes} | {c for codes in rejected.values() for c in codes}
    names = {row[0]: row[1] for row in session.execute(select(Code.id, Code.name).where(Code.id.in_(used_codes)))}
    return TrainingData(
        coder_id=coder_id,
        coder_name=found.name,
        sentence_ids=[r[0] for r in rows],
        document_ids=[r[1] for r in rows],
        texts=[r[2] for r in rows],
        tokens=[r[3] or "" for r in rows],
        labels=[frozenset(labels.get(r[0], ())) for r in rows],
        reviewed=[r[1] in reviewed_docs for r in rows],
        rejected={sid: frozenset(codes) for sid, codes in rejected.items()},
        code_names=names,
    )


@dataclass(frozen=True)
class CodeSuggestion:
    code_id: int
    code_name: str
    probability: float
    words: tuple[str, ...]  # the features that pushed this code up most, strongest first

    @property
    def confident(self) -> bool:
        return self.probability >= ModelSettings.threshold


class SuggestionModel:
    """One logistic regression per code over the shared features; predicting is one matrix product."""

    def __init__(self, settings: ModelSettings | None = None) -> None:
        self.settings = settings or ModelSettings()
        self.features = Features()
        self.code_ids: list[int] = []
        self.code_names: list[str] = []
        self.weights = np.zeros((0, 0), dtype=np.float32)  # codes × features
        self.bias = np.zeros(0, dtype=np.float32)
        self.frequency: list[int] = []  # positives per code (the baseline ranks by it)
        self.digest = ""

    # ------------------------------------------------------------------ training
    def train(self, data: TrainingData) -> SuggestionModel:
        from sklearn.linear_model import LogisticRegression

        self.digest = data.digest()
        if not data.sentence_ids:
            return self
        matrix = self.features.fit_transform(data.texts, data.tokens)
        counts: dict[int, int] = {}
        for labels in data.labels:
            for code in labels:
                counts[code] = counts.get(code, 0) + 1
        modelled = sorted(c for c, n in counts.items() if n >= self.settings.min_examples)
        position = {code: k for k, code in enumerate(modelled)}
        targets = np.zeros((len(data.labels), len(modelled)), dtype=np.int8)
        for row, labels in enumerate(data.labels):
            for code in labels:
                if code in position:
                    targets[row, position[code]] = 1
        # a statement teaches every code if its document was reviewed or the coder coded it;
        # a statement known only from a rejection teaches that one code, as a weighty negative
        base = np.array([1.0 if r or labels else 0.0 for r, labels in zip(data.reviewed, data.labels)])
        rejected_rows: dict[int, list[int]] = {}
        row_of = {sid: row for row, sid in enumerate(data.sentence_ids)}
        for sid, rejected in data.rejected.items():
            for code in rejected:
                if sid in row_of:
                    rejected_rows.setdefault(code, []).append(row_of[sid])
        weights, biases = [], []
        for code in modelled:
            y = targets[:, position[code]]
            w = base.copy()
            for row in rejected_rows.get(code, ()):
                if y[row] == 0:  # coded with it after all: the coding wins
                    w[row] = self.settings.reject_weight
            usable = w > 0
            if y[usable].min(initial=1) == 1:  # no negative example: nothing to separate
                continue
            usable = self._sample(usable, y, code)
            classifier = LogisticRegression(
                C=self.settings.regularization,
                solver="liblinear",
                dual=True,  # fewer statements than features: the dual problem is the fast one
                class_weight="balanced",
                random_state=self.settings.seed,
                max_iter=200,
            )
            classifier.fit(matrix[usable], y[usable], sample_weight=w[usable])
            weights.append(classifier.coef_[0].astype(np.float32))
            biases.append(np.float32(classifier.intercept_[0]))
            self.code_ids.append(code)
            self.code_names.append(data.code_names[code])
            self.frequency.append(counts[code])
        if weights:
            self.weights = np.vstack(weights)
            self.bias = np.asarray(biases, dtype=np.float32)
        return self

    def _sample(self, usable: np.ndarray, y: np.ndarray, code: int) -> np.ndarray:
        """Every usable statement, or a seeded balanced sample of them when there are too many."""
        cap = self.settings.max_rows_per_code
        if int(usable.sum()) <= cap:
            return usable
        rng = np.random.default_rng([self.settings.seed, code])
        chosen = np.zeros_like(usable)
        positives = np.flatnonzero(usable & (y == 1))
        negatives = np.flatnonzero(usable & (y == 0))
        take_pos = min(len(positives), cap // 2)
        take_neg = min(len(negatives), cap - take_pos)
        chosen[rng.choice(positives, take_pos, replace=False)] = True
        chosen[rng.choice(negatives, take_neg, replace=False)] = True
        return chosen

    @property
    def trained(self) -> bool:
        return bool(self.code_ids)

    # ------------------------------------------------------------------ predicting
    def probabilities(self, texts: Sequence[str], tokens: Sequence[str]) -> np.ndarray:
        """statements × codes: the probability each code applies."""
        if not self.trained or not texts:
            return np.zeros((len(texts), len(self.code_ids)), dtype=np.float32)
        matrix = self.features.transform(texts, tokens)
        scores = np.asarray(matrix @ self.weights.T) + self.bias
        return 1.0 / (1.0 + np.exp(-scores))

    def suggest(
        self, text: str, tokens: str, *, limit: int = 3, exclude: Iterable[int] = (), words: int = 4
    ) -> list[CodeSuggestion]:
        """The best codes for one statement, with the words that drove each (``exclude``: codes not to offer)."""
        if not self.trained:
            return []
        row = self.features.transform([text], [tokens])
        # only the statement's own features: a gather of codes × its few columns, not a product with all
        probs = 1.0 / (1.0 + np.exp(-(self.weights[:, row.indices] @ row.data + self.bias)))
        return self.ranked(row, probs, limit=limit, exclude=exclude, words=words)

    def ranked(
        self, row: sparse.csr_matrix, probs: np.ndarray, *, limit: int = 3, exclude: Iterable[int] = (), words: int = 4
    ) -> list[CodeSuggestion]:
        skip = set(exclude)
        order = sorted(range(len(self.code_ids)), key=lambda k: (-float(probs[k]), self.code_ids[k]))
        result = []
        for k in order:
            if self.code_ids[k] in skip:
                continue
            result.append(
                CodeSuggestion(
                    self.code_ids[k], self.code_names[k], round(float(probs[k]), 4), self.explain(row, k, words)
                )
            )
            if len(result) >= limit:
                break
        return result

    def explain(self, row: sparse.csr_matrix, k: int, limit: int = 4) -> tuple[str, ...]:
        """The statement's features with the largest positive pull towards code ``k``.

        Words and n-grams of two or more characters first: a single character (新) says
        little to a reader, so it is shown only when nothing longer pulls.
        """
        indices, values = row.indices, row.data
        pull = values * self.weights[k, indices]
        order = np.argsort(-pull, kind="stable")
        long: list[str] = []
        short: list[str] = []
        seen: set[str] = set()
        for i in order:
            if pull[i] <= 0:
                break
            name = self.features.describe(int(indices[i]))
            bare = name.strip("“”")
            if any(ch.isspace() for ch in bare) or not any(ch.isalnum() for ch in bare) or bare in seen:
                continue  # an n-gram across a space or of punctuation explains nothing to a reader
            seen.add(bare)
            (long if len(bare) >= 2 else short).append(name)
            if len(long) >= limit:
                break
        return tuple((long + short)[:limit])


def provenance(model: SuggestionModel, data: TrainingData, purpose: str) -> dict[str, Any]:
    """What a reviewer needs to reproduce a run: settings, data digest, versions, seed."""
    versions = {}
    for package in ("qcoder", "scikit-learn", "numpy", "scipy", "jieba"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    versions["python"] = platform.python_version()
    return {
        "purpose": purpose,
        "coder": data.coder_name,
        "training_statements": len(data.sentence_ids),
        "training_codings": sum(len(labels) for labels in data.labels),
        "rejections": sum(len(codes) for codes in data.rejected.values()),
        "codes_modelled": len(model.code_ids),
        "training_data_sha256": data.digest(),
        "random_seed": model.settings.seed,
        "settings": model.settings.as_dict(),
        "library_versions": versions,
    }


def record_provenance(session: Session, record: dict[str, Any], coder_name: str) -> bool:
    """Keep the run's provenance as an ``operational`` project memo; True if it was new.

    The same run (same purpose, data and settings) is recorded once, not on every repeat.
    """
    from qcoder.coding.coders import get_or_create_coder
    from qcoder.coding.memos import add_memo
    from qcoder.store.models import Memo

    key = hashlib.sha256(
        json.dumps(
            [record["purpose"], record["training_data_sha256"], record["settings"], record["library_versions"]],
            sort_keys=True,
            ensure_ascii=False,
        ).encode()
    ).hexdigest()[:12]
    title = f"code suggestions · {record['purpose']} · {record['coder']} · {key}"
    exists = session.scalar(select(Memo.id).where(Memo.type == "operational", Memo.title == title))
    if exists is not None:
        return False
    text = "Code-suggestion run (local model; nothing left this machine).\n\n" + json.dumps(
        record, ensure_ascii=False, indent=2, sort_keys=True
    )
    add_memo(session, text, type_="operational", title=title[:200], coder=get_or_create_coder(session, coder_name))
    return True


# ---------------------------------------------------------------------- rejections
def reject(session: Session, sentence_id: int, code_id: int, coder_id: int) -> bool:
    """Remember that the coder turned this suggestion down; True if it was not remembered yet."""
    exists = session.scalar(
        select(SuggestionRejection.id).where(
            SuggestionRejection.sentence_id == sentence_id,
            SuggestionRejection.code_id == code_id,
            SuggestionRejection.coder_id == coder_id,
        )
    )
    if exists is not None:
        return False
    session.add(SuggestionRejection(sentence_id=sentence_id, code_id=code_id, coder_id=coder_id))
    return True


def rejections(session: Session, coder_id: int) -> set[tuple[int, int]]:
    return {
        (sid, cid)
        for sid, cid in session.execute(
            select(SuggestionRejection.sentence_id, SuggestionRejection.code_id).where(
                SuggestionRejection.coder_id == coder_id
            )
        )
    }


def check_trainable(data: TrainingData) -> None:
    if not any(data.labels):
        raise QcoderError(
            f"{data.coder_name} has no codings yet: code some statements (and mark documents reviewed) first"
        )
