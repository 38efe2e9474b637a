"""Similar statements: constant comparison by meaning, not only by code.

A statement is two TF-IDF vectors: its jieba words (the tokens stored at import, so the
project's user dictionary counts) and its character bigrams (robust where jieba segments
the same phrase two ways; most Chinese words are two characters, and adding 3-grams made
the sample project's replay no better while doubling the work). Each block is L2-normalised and the two are joined
with equal weight, so the cosine of two statements is the mean of their word cosine and
their character cosine. Everything runs on this machine; nothing is sent anywhere.

The same features feed the code-suggestion model (``suggest_model``), which is why the
vectoriser lives here in the coding layer beside the statements it reads.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, repeat
from typing import Any

import numpy as np
from scipy import sparse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcoder.coding.statements import resolve_statements
from qcoder.store.models import Code, Coder, Coding, Sentence

WORD_WEIGHT = CHAR_WEIGHT = 0.5**0.5  # equal weight: the cosine is the mean of the two cosines
CHAR_NGRAMS = (2, 2)
MAX_CHAR_FEATURES = 200_000  # the most frequent n-grams: keeps 100,000 statements' model small and fast


def words_of(tokens: str) -> list[str]:
    """The stored jieba tokens that carry meaning (punctuation-only tokens are left out)."""
    return [token for token in tokens.split() if any(ch.isalnum() for ch in token)]


class _Tfidf:
    """The TF-IDF weighting scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` uses, on counts built here.

    Why not the scikit-learn vectoriser itself: its analysers run a Python loop per
    n-gram, a minute for 100,000 statements; counting here is numpy (n-grams) or one
    dictionary pass (words), a second or two, with the same weights.
    """

    idf = np.zeros(0, dtype=np.float32)

    def weigh(self, counts: sparse.csr_matrix, fit: bool) -> sparse.csr_matrix:
        if fit:
            n = counts.shape[0]
            df = np.bincount(counts.indices, minlength=counts.shape[1])
            self.idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
        weighted = counts.astype(np.float32)
        weighted.data = 1.0 + np.log(weighted.data)
        weighted = sparse.csr_matrix(weighted @ sparse.diags(self.idf))
        return _normalise(weighted)


class _Words(_Tfidf):
    """Counts of the stored jieba tokens; the loops run in C (``dict.fromkeys``, ``map``)."""

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self.names: list[str] = []

    def fit_transform(self, tokens: Sequence[str]) -> sparse.csr_matrix:
        split = [line.split() for line in tokens]
        kept = [token for token in dict.fromkeys(chain.from_iterable(split)) if any(ch.isalnum() for ch in token)]
        self.vocabulary = {token: column for column, token in enumerate(kept)}
        self.names = kept
        return self.weigh(self._count(split), fit=True)

    def transform(self, tokens: Sequence[str]) -> sparse.csr_matrix:
        return self.weigh(self._count([line.split() for line in tokens]), fit=False)

    def _count(self, split: list[list[str]]) -> sparse.csr_matrix:
        lengths = np.fromiter(map(len, split), dtype=np.int64, count=len(split))
        total = int(lengths.sum())
        columns = np.fromiter(
            map(self.vocabulary.get, chain.from_iterable(split), repeat(-1)), dtype=np.int64, count=total
        )
        rows = np.repeat(np.arange(len(split), dtype=np.int64), lengths)
        known = columns >= 0
        return _sparse_counts(rows[known], columns[known], len(split), len(self.vocabulary))


_BITS = 21  # a Unicode code point fits in 21 bits: an n-gram of up to three is one 63-bit integer


def _ngram_codes(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(statement row, n-gram code) of every character n-gram (``CHAR_NGRAMS``: 2 or 2-3), vectorised."""
    cleaned = [text.replace("\x00", " ") for text in texts]
    joined = "\x00".join(cleaned)
    chars = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, cleaned), dtype=np.int64, count=len(cleaned))
    rows = np.repeat(np.arange(len(cleaned), dtype=np.int64), lengths + 1)[: len(chars)]
    real = chars != 0
    first, second, third = chars[:-2], chars[1:-1], chars[2:]
    bigram = (chars[:-1] << _BITS) | chars[1:]
    bigram_ok = real[:-1] & real[1:]
    if CHAR_NGRAMS[1] < 3:
        return rows[:-1][bigram_ok], bigram[bigram_ok]
    trigram = (first << (2 * _BITS)) | (second << _BITS) | third
    trigram_ok = real[:-2] & real[1:-1] & real[2:]
    codes = np.concatenate([bigram[bigram_ok], trigram[trigram_ok]])
    where = np.concatenate([rows[:-1][bigram_ok], rows[:-2][trigram_ok]])
    return where, codes


def _ngram_text(code: int) -> str:
    mask = (1 << _BITS) - 1
    parts = [(code >> (2 * _BITS)) & mask, (code >> _BITS) & mask, code & mask]
    return "".join(chr(p) for p in parts if p)


class _CharNgrams(_Tfidf):
    def __init__(self, max_features: int) -> None:
        self.max_features = max_features
        self.codes = np.zeros(0, dtype=np.uint64)  # sorted: a column is a position in it

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows, codes = _ngram_codes(texts)
        unique, columns, totals = np.unique(codes, return_inverse=True, return_counts=True)
        if len(unique) > self.max_features:  # the most frequent n-grams; ties by code, so always the same set
            keep = np.sort(np.lexsort((unique, -totals))[: self.max_features])
            remap = np.full(len(unique), -1, dtype=np.int64)
            remap[keep] = np.arange(len(keep))
            unique, columns = unique[keep], remap[columns]
            rows, columns = rows[columns >= 0], columns[columns >= 0]
        self.codes = unique
        return self.weigh(_sparse_counts(rows, columns, len(texts), len(unique)), fit=True)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        rows, codes = _ngram_codes(texts)
        return self.weigh(self._count(rows, codes, len(texts)), fit=False)

    def _count(self, rows: np.ndarray, codes: np.ndarray, n: int) -> sparse.csr_matrix:
        columns = np.searchsorted(self.codes, codes)
        columns[columns >= len(self.codes)] = 0
        known = self.codes[columns] == codes if len(self.codes) else np.zeros(len(codes), dtype=bool)
        return _sparse_counts(rows[known], columns[known], n, len(self.codes))

    def name(self, column: int) -> str:
        return _ngram_text(int(self.codes[column]))


def _sparse_counts(rows: np.ndarray, columns: np.ndarray, n: int, width: int) -> sparse.csr_matrix:
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sparse.csr_matrix((data, (rows, columns)), shape=(n, width))
    matrix.sum_duplicates()
    return matrix


def _normalise(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags((1.0 / norms).astype(np.float32)) @ matrix)


class Features:
    """TF-IDF over jieba words plus character n-grams; fit on a corpus, then transform any statement."""

    def __init__(self) -> None:
        self.words = _Words()
        self.chars = _CharNgrams(MAX_CHAR_FEATURES)
        self.n_words = 0

    def fit_transform(self, texts: Sequence[str], tokens: Sequence[str]) -> sparse.csr_matrix:
        with _no_gc():
            word_matrix = self.words.fit_transform(tokens)
            char_matrix = self.chars.fit_transform(texts)
        self.n_words = word_matrix.shape[1]
        return _join(word_matrix, char_matrix)

    def transform(self, texts: Sequence[str], tokens: Sequence[str]) -> sparse.csr_matrix:
        with _no_gc():
            return _join(self.words.transform(tokens), self.chars.transform(texts))

    def describe(self, index: int) -> str:
        """A feature as a reader sees it: the word, or the character n-gram in quotes."""
        if index < self.n_words:
            return self.words.names[index]
        return f"“{self.chars.name(index - self.n_words)}”"


@contextmanager
def _no_gc() -> Iterator[None]:
    """Millions of short-lived token strings: without this the cycle collector rescans them again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _join(word_matrix: Any, char_matrix: Any) -> sparse.csr_matrix:
    joined = sparse.hstack([word_matrix * WORD_WEIGHT, char_matrix * CHAR_WEIGHT], format="csr", dtype=np.float32)
    # a statement with no word (or no n-gram) has a zero block: renormalise so its cosine stays a cosine
    return _normalise(joined)


@dataclass(frozen=True)
class SimilarStatement:
    sentence_id: int
    document_id: int
    label: str
    text: str
    similarity: float
    codes: tuple[tuple[str, str], ...]  # (coder, code name)


class SimilarityIndex:
    """Every statement of the project as a row of one normalised sparse matrix: a query is one product."""

    def __init__(
        self, ids: list[int], labels: list[str], texts: list[str], tokens: list[str], documents: list[int] | None = None
    ) -> None:
        self.ids = ids
        self.documents = documents or [0] * len(ids)
        self.labels = labels
        self.texts = texts
        self.features = Features()
        self.matrix = self.features.fit_transform(texts, tokens) if ids else sparse.csr_matrix((0, 0))
        # by column too: a query touches only the statements that share one of its features
        self.columns = self.matrix.tocsc()
        self.row_of = {sid: row for row, sid in enumerate(ids)}

    @classmethod
    def build(cls, session: Session) -> SimilarityIndex:
        rows = session.execute(
            select(Sentence.id, Sentence.label, Sentence.text, Sentence.tokens, Sentence.document_id).order_by(
                Sentence.id
            )
        ).all()
        return cls(
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
            [r[3] or "" for r in rows],
            [r[4] for r in rows],
        )

    def nearest(self, sentence_id: int, limit: int = 10) -> list[tuple[int, float]]:
        """(sentence id, cosine) of the statements most like this one, best first (itself left out)."""
        row = self.row_of.get(sentence_id)
        if row is None:
            return []
        return self._top(self.matrix[row], limit, skip=row)

    def nearest_text(self, text: str, tokens: str, limit: int = 10) -> list[tuple[int, float]]:
        """The same for any text (e.g. a statement typed or imported since the index was built)."""
        if not self.ids:
            return []
        return self._top(self.features.transform([text], [tokens]), limit, skip=-1)

    def _top(self, query: sparse.csr_matrix, limit: int, skip: int) -> list[tuple[int, float]]:
        query = sparse.csr_matrix(query)
        scores = np.asarray(self.columns[:, query.indices] @ query.data).ravel()
        if skip >= 0:
            scores[skip] = -1.0
        count = min(limit, len(scores))
        if count <= 0:
            return []
        top = np.argpartition(-scores, count - 1)[:count]
        # best first; equal scores in statement order, so the answer never depends on the partition
        ordered = sorted(top.tolist(), key=lambda i: (-float(scores[i]), self.ids[i]))
        return [(self.ids[i], round(float(scores[i]), 4)) for i in ordered if scores[i] > 0]


_CACHE: dict[str, tuple[tuple[int, int, int], SimilarityIndex]] = {}
_CACHE_LOCK = threading.Lock()


def project_index(session: Session) -> SimilarityIndex:
    """The project's index, built once per process and again only when statements change.

    Why: building it takes seconds on 100,000 statements, a query milliseconds; the
    workbench asks again and again. Splitting, merging or importing changes the count,
    the highest id or the total length, and the next call rebuilds.
    """
    count, highest, length = session.execute(
        select(
            func.count(Sentence.id), func.coalesce(func.max(Sentence.id), 0), func.coalesce(func.sum(Sentence.end), 0)
        )
    ).one()
    key = (int(count), int(highest), int(length))
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    with _CACHE_LOCK:
        cached = _CACHE.get(url)
        if cached is not None and cached[0] == key:
            return cached[1]
        index = SimilarityIndex.build(session)
        _CACHE[url] = (key, index)
        return index


def similar_statements(
    session: Session, label: str, *, limit: int = 10, coder: str | None = None, index: SimilarityIndex | None = None
) -> tuple[str, str, list[SimilarStatement]]:
    """(label, text, the most similar statements with their codes) for ``qcoder similar D04-S017``.

    ``coder`` shows only that coder's codes on them; by default every coder's.
    """
    sentence = resolve_statements(session, [label])[0]
    index = index or project_index(session)
    found = index.nearest(sentence.id, limit)
    codes = codes_by_statement(session, [sid for sid, _ in found], coder)
    result = []
    for sid, score in found:
        row = index.row_of[sid]
        result.append(
            SimilarStatement(sid, index.documents[row], index.labels[row], index.texts[row], score, codes.get(sid, ()))
        )
    return sentence.label, sentence.text, result


def codes_by_statement(
    session: Session, sentence_ids: Sequence[int], coder: str | None = None
) -> dict[int, tuple[tuple[str, str], ...]]:
    """sentence id → ((coder name, code name), …) in a stable order."""
    found: dict[int, list[tuple[str, str]]] = {}
    for start in range(0, len(sentence_ids), 500):
        query = (
            select(Coding.sentence_id, Coder.name, Code.name)
            .join(Coder, Coder.id == Coding.coder_id)
            .join(Code, Code.id == Coding.code_id)
            .where(Coding.sentence_id.in_(list(sentence_ids[start : start + 500])))
        )
        if coder is not None:
            query = query.where(Coder.name == coder)
        for sid, coder_name, code_name in session.execute(query.order_by(Coding.id)):
            found.setdefault(sid, []).append((coder_name, code_name))
    return {sid: tuple(pairs) for sid, pairs in found.items()}
