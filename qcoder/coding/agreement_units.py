"""Agreement units loaded from the database: in coding, below analysis, because reconciliation reads them too.

A coder who has not reviewed a document (``DocumentReview``) has *no* value there, not
a 0, so the loader keeps, per chosen code, who coded which statement (directly or through
a child code) and who reviewed which document; ``UnitData.matrix`` turns that into the
(coders x statements) array of 1, 0 and NaN the statistics take.

Loading is a handful of queries whatever the project size: codes, reviews, the
statements of the chosen documents, and one query for the codings of the chosen coders
there (integers packed into one aggregated string, parsed by numpy — no ORM object per
row). Roll-up is a lookup array code id -> chosen code index, one per ancestor layer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import BigInteger, Select, Text, cast, func, select
from sqlalchemy.orm import Session

from qcoder.coding.coders import find_coder
from qcoder.coding.codes import find_code, natural_key
from qcoder.coding.statements import find_document
from qcoder.errors import QcoderError
from qcoder.store.models import Code, Coding, Document, DocumentReview, Sentence
from qcoder.store.settings import levels, report_language, resolve_level

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_IN_LIMIT = 500  # longer id lists are filtered in numpy instead of an SQL IN (...)


# --------------------------------------------------------------------------- request and unit data


@dataclass(frozen=True)
class AgreementRequest:
    """What to compare: coders (two or more), a level or named codes, documents.

    ``documents`` empty means every document reviewed by at least two of the coders.
    ``level`` alone picks every code of that level; ``codes`` picks named codes (the level,
    if given, disambiguates names). Neither picks the lowest level (concepts).
    ``bootstrap`` > 0 adds percentile bootstrap intervals for alpha (``seed`` fixes them).
    """

    coders: tuple[str, ...]
    level: str | int | None = None
    codes: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()
    bootstrap: int = 0
    seed: int = 0
    confidence: float = 0.95


@dataclass(frozen=True)
class CodeRef:
    id: int
    name: str
    level: int
    label: str  # name, with the level added when the name is used at two chosen levels


@dataclass(frozen=True)
class DocRef:
    id: int
    label: str
    name: str


@dataclass(frozen=True)
class CodeScope:
    """The chosen codes, every code whose codings roll up into them, and a stable key for the choice."""

    codes: tuple[CodeRef, ...]
    label: str  # the level's name, or the chosen codes' names
    ids: frozenset[int]  # chosen codes and every code below them
    key: str  # "level:0" or "codes:3,5": reconciliation decisions belong to one choice
    layers: tuple[IntArray, ...] = field(repr=False)


@dataclass
class UnitData:
    """The statements of the chosen documents and who coded what there, as integer arrays.

    ``hit_*`` are the rolled-up codings (chosen code index, unit index, coder index), one
    per distinct triple, sorted by code then unit, and only where the coder reviewed the
    document. ``left_out`` counts, per coder, codings in chosen documents that coder has
    not marked reviewed: they are not evidence of agreement (a 1 without the 0s around it).
    """

    coders: tuple[str, ...]
    coder_ids: tuple[int, ...]
    codes: tuple[CodeRef, ...]
    documents: tuple[DocRef, ...]
    level_label: str
    reviewed: BoolArray  # (coders, documents)
    sentence_ids: IntArray  # (units,) in document order
    unit_doc: IntArray  # (units,) index into documents
    hit_code: IntArray
    hit_unit: IntArray
    hit_coder: IntArray
    left_out: tuple[int, ...]
    scope: CodeScope
    _bounds: IntArray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._bounds = np.searchsorted(self.hit_code, np.arange(len(self.codes) + 1))

    @property
    def n_units(self) -> int:
        return int(self.sentence_ids.size)

    def present(self) -> BoolArray:
        """(coders, units): True where the coder reviewed the unit's document."""
        return self.reviewed[:, self.unit_doc]

    def matrix(self, index: int, present: BoolArray | None = None) -> FloatArray:
        """One code's (coders, units) array: 1 coded, 0 reviewed and not coded, NaN not reviewed."""
        mask = self.present() if present is None else present
        x = np.where(mask, 0.0, np.nan)
        lo, hi = self._bounds[index], self._bounds[index + 1]
        x[self.hit_coder[lo:hi], self.hit_unit[lo:hi]] = 1.0
        return x

    def unit_sets(self) -> list[list[frozenset[int] | None]]:
        """Per unit, per coder: the set of chosen code indices (empty if reviewed and uncoded), None if not reviewed."""
        k = len(self.coders)
        present = self.present()
        empty: frozenset[int] = frozenset()
        units: list[list[frozenset[int] | None]] = [
            [empty if flag else None for flag in column] for column in present.T.tolist()
        ]
        if self.hit_code.size == 0:
            return units
        key = self.hit_unit * k + self.hit_coder
        order = np.lexsort((self.hit_code, key))
        key, codes = key[order], self.hit_code[order].tolist()
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
        ends = np.r_[starts[1:], key.size].tolist()
        shared: dict[frozenset[int], frozenset[int]] = {}
        for start, end, group in zip(starts.tolist(), ends, key[starts].tolist()):
            found = frozenset(codes[start:end])
            units[group // k][group % k] = shared.setdefault(found, found)
        return units


def code_scope(session: Session, request: AgreementRequest) -> CodeScope:
    """Resolve the request's level or code names (one query for the code table)."""
    all_codes = session.execute(select(Code.id, Code.name, Code.level, Code.parent_id)).all()
    chosen, label = _choose_codes(session, request, all_codes)
    layers, scope = _rollup_layers(all_codes, [c.id for c in chosen])
    if request.codes:
        key = "codes:" + ",".join(str(i) for i in sorted(c.id for c in chosen))
    else:
        key = f"level:{resolve_level(session, request.level).rank}"
    return CodeScope(tuple(chosen), label, frozenset(scope), key, tuple(layers))


def load_units(session: Session, request: AgreementRequest) -> UnitData:
    """Read what the request needs: codes, reviews, statements, codings (one query each)."""
    coder_rows = _choose_coders(session, request.coders)
    coder_ids = [cid for cid, _ in coder_rows]
    scope = code_scope(session, request)
    reviews = session.execute(
        select(DocumentReview.coder_id, DocumentReview.document_id).where(DocumentReview.coder_id.in_(coder_ids))
    ).all()
    documents = _choose_documents(session, request, coder_ids, reviews)
    doc_ids = np.array([d.id for d in documents], dtype=np.int64)
    coder_pos = {cid: i for i, cid in enumerate(coder_ids)}
    doc_pos = {d.id: i for i, d in enumerate(documents)}
    reviewed = np.zeros((len(coder_ids), len(documents)), dtype=bool)
    for coder_id, document_id in reviews:
        if document_id in doc_pos:
            reviewed[coder_pos[coder_id], doc_pos[document_id]] = True

    sentence_ids, unit_doc = _unit_sentences(session, doc_ids)
    codings = load_codings(session, coder_ids, doc_ids, sorted(scope.ids))
    hits, left_out = _roll_up(codings, sentence_ids, unit_doc, reviewed, list(scope.layers), coder_ids)
    return UnitData(
        coders=tuple(name for _, name in coder_rows),
        coder_ids=tuple(coder_ids),
        codes=scope.codes,
        documents=tuple(documents),
        level_label=scope.label,
        reviewed=reviewed,
        sentence_ids=sentence_ids,
        unit_doc=unit_doc,
        hit_code=hits[0],
        hit_unit=hits[1],
        hit_coder=hits[2],
        left_out=left_out,
        scope=scope,
    )


def _choose_coders(session: Session, names: Sequence[str]) -> list[tuple[int, str]]:
    rows: list[tuple[int, str]] = []
    for name in names:
        coder = find_coder(session, name)
        if coder.id not in [cid for cid, _ in rows]:
            rows.append((coder.id, coder.name))
    if len(rows) < 2:
        raise QcoderError("agreement needs two or more different coders, e.g. --coders 小王,小李")
    return rows


def _choose_codes(session: Session, request: AgreementRequest, all_codes: Sequence[Any]) -> tuple[list[CodeRef], str]:
    """The chosen codes, highest level first then by name, and a label for the choice."""
    ladder = levels(session)
    language = report_language(session)

    def level_name(rank: int) -> str:
        return ladder[rank].label(language) if 0 <= rank < len(ladder) else str(rank)

    if request.codes:
        rank = resolve_level(session, request.level).rank if request.level is not None else None
        found = {code.id: code for code in (find_code(session, name, rank) for name in request.codes)}
        picked = [(c.id, c.name, c.level) for c in found.values()]
        label = ", ".join(name for _, name, _ in picked)
    else:
        level = resolve_level(session, request.level)
        picked = [(cid, name, lv) for cid, name, lv, _ in all_codes if lv == level.rank]
        label = level_name(level.rank)
    picked.sort(key=lambda c: (-c[2], natural_key(c[1])))
    names = [name for _, name, _ in picked]
    refs = [
        CodeRef(cid, name, lv, f"{name} [{level_name(lv)}]" if names.count(name) > 1 else name)
        for cid, name, lv in picked
    ]
    return refs, label


def _choose_documents(
    session: Session, request: AgreementRequest, coder_ids: Sequence[int], reviews: Sequence[Any]
) -> list[DocRef]:
    if request.documents:
        docs = {d.id: d for d in (find_document(session, spec) for spec in request.documents)}
        return [DocRef(d.id, d.label, d.name) for d in sorted(docs.values(), key=lambda d: d.id)]
    reviewers: dict[int, int] = {}
    for _, document_id in reviews:
        reviewers[document_id] = reviewers.get(document_id, 0) + 1
    shared = sorted(doc for doc, count in reviewers.items() if count >= 2)
    if not shared:
        return []
    rows = session.execute(select(Document.id, Document.label, Document.name).order_by(Document.id)).all()
    wanted = set(shared)
    return [DocRef(did, label, name) for did, label, name in rows if did in wanted]


# --------------------------------------------------------------------------- queries as integer arrays


def _fetch_ints(
    session: Session, columns: Sequence[Any], tops: Sequence[int], build: Callable[..., Select[Any]]
) -> IntArray:
    """Integer columns of many rows as an (n, k) array; ``tops`` bound each column's values.

    Why: 1.5 million codings fetched as Python tuples cost seconds. Packed into one
    integer per row and aggregated into one string (``group_concat``/``string_agg``),
    they cost one row and a numpy parse. ``build(*exprs)`` makes the SELECT for the given
    select-list; falls back to plain rows when the values do not fit in 62 bits.
    """
    widths = [max(int(top), 1).bit_length() for top in tops]
    k = len(columns)
    if sum(widths) > 62:
        rows = session.execute(build(*columns)).all()
        flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * k)
        return flat.reshape(len(rows), k)
    postgres = session.get_bind().dialect.name == "postgresql"
    packed_expr: Any = None
    shift = 0
    for column, width in reversed(list(zip(columns, widths))):
        term = cast(column, BigInteger) if postgres else column
        if shift:
            term = term * (1 << shift)
        packed_expr = term if packed_expr is None else packed_expr + term
        shift += width
    aggregate = func.string_agg(cast(packed_expr, Text), ",") if postgres else func.group_concat(packed_expr)
    # rows written since the tops were read must not overflow their bit field
    bounded = build(aggregate).where(*(column <= int(top) for column, top in zip(columns, tops)))
    text_ = session.execute(bounded).scalar()
    packed = np.fromstring(text_, sep=",", dtype=np.int64) if text_ else np.zeros(0, dtype=np.int64)
    out = np.empty((packed.size, k), dtype=np.int64)
    shift = 0
    for i in range(k - 1, -1, -1):
        out[:, i] = (packed >> shift) & ((1 << widths[i]) - 1)
        shift += widths[i]
    return out


def _unit_sentences(session: Session, doc_ids: IntArray) -> tuple[IntArray, IntArray]:
    """Sentence ids (headings excluded) of the documents, in document order, and their document index."""
    if doc_ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    tops = session.execute(
        select(func.max(Sentence.id), func.max(Sentence.ordinal), func.max(Sentence.document_id))
    ).one()
    top_id, top_ordinal, top_doc = (int(v or 0) for v in tops)

    def build(*exprs: Any) -> Select[Any]:
        query = select(*exprs).where(Sentence.kind == "sentence")
        if doc_ids.size <= _IN_LIMIT:
            query = query.where(Sentence.document_id.in_(doc_ids.tolist()))
        return query

    rows = _fetch_ints(
        session, [Sentence.document_id, Sentence.ordinal, Sentence.id], [top_doc, top_ordinal, top_id], build
    )
    position = np.searchsorted(doc_ids, rows[:, 0])
    keep = (position < doc_ids.size) & (doc_ids[np.minimum(position, doc_ids.size - 1)] == rows[:, 0])
    rows, position = rows[keep], position[keep]
    order = np.lexsort((rows[:, 1], position))
    return rows[order, 2], position[order].astype(np.int64)


def load_codings(session: Session, coder_ids: Sequence[int], doc_ids: IntArray, scope: Sequence[int]) -> IntArray:
    """(sentence id, code id, coder id) of the chosen coders' codings in the chosen documents.

    The planner should walk the chosen documents' statements and read each one's codings
    from the (sentence, code, coder) unique index, which covers the query; ``+ 0`` keeps
    it from preferring the coder or code index, whose row look-ups are 5x slower here.
    """
    if doc_ids.size == 0 or not scope:
        return np.zeros((0, 3), dtype=np.int64)

    def build(*exprs: Any) -> Select[Any]:
        query = (
            select(*exprs)
            .select_from(Coding)
            .join(Sentence, Sentence.id == Coding.sentence_id)
            .where((Coding.coder_id + 0).in_(list(coder_ids)), Sentence.kind == "sentence")
        )
        if doc_ids.size <= _IN_LIMIT:
            query = query.where(Sentence.document_id.in_(doc_ids.tolist()))
        if len(scope) <= _IN_LIMIT:
            query = query.where((Coding.code_id + 0).in_(list(scope)))
        return query

    columns = [Coding.sentence_id, Coding.code_id, Coding.coder_id]
    tops = [int(session.scalar(select(func.max(column))) or 0) for column in columns]  # one each: index look-ups
    return _fetch_ints(session, columns, tops, build)


# --------------------------------------------------------------------------- roll-up


def _rollup_layers(all_codes: Sequence[Any], chosen_ids: Sequence[int]) -> tuple[list[IntArray], list[int]]:
    """Lookup arrays code id -> chosen code index (-1: none), one per chosen ancestor depth.

    A coding counts for its own code and every chosen code above it. Chosen codes of one
    level give a single layer; named codes at two levels (a category and one of its
    concepts) give two, so a statement coded with the concept counts for both.
    """
    parent = {cid: pid for cid, _, _, pid in all_codes}
    index = {cid: i for i, cid in enumerate(chosen_ids)}
    top = max(parent, default=0)
    layers: list[IntArray] = []
    scope: list[int] = []
    for cid in parent:
        hits, current, seen = [], cid, set()
        while current is not None and current not in seen:
            seen.add(current)
            if current in index:
                hits.append(index[current])
            current = parent.get(current)
        if hits:
            scope.append(cid)
        for depth, chosen in enumerate(hits):
            if depth == len(layers):
                layers.append(np.full(top + 1, -1, dtype=np.int64))
            layers[depth][cid] = chosen
    return layers, sorted(scope)


def _roll_up(
    codings: IntArray,
    sentence_ids: IntArray,
    unit_doc: IntArray,
    reviewed: BoolArray,
    layers: list[IntArray],
    coder_ids: Sequence[int],
) -> tuple[tuple[IntArray, IntArray, IntArray], tuple[int, ...]]:
    """Rolled-up (code, unit, coder) triples where the coder reviewed; codings left out per coder."""
    n_coders, n_units = len(coder_ids), sentence_ids.size
    empty = np.zeros(0, dtype=np.int64)
    if codings.shape[0] == 0 or n_units == 0 or not layers:
        return (empty, empty, empty), (0,) * n_coders
    by_id = np.argsort(sentence_ids)
    position = np.minimum(np.searchsorted(sentence_ids[by_id], codings[:, 0]), n_units - 1)
    known = sentence_ids[by_id][position] == codings[:, 0]
    unit = by_id[position]
    coder_lookup = np.full(max(coder_ids) + 1, -1, dtype=np.int64)
    coder_lookup[list(coder_ids)] = np.arange(n_coders)
    coder = coder_lookup[codings[:, 2]]
    code_ids = codings[:, 1]
    in_scope = (code_ids < layers[0].size) & known & (coder >= 0)
    in_scope &= layers[0][np.minimum(code_ids, layers[0].size - 1)] >= 0
    unit, coder, code_ids = unit[in_scope], coder[in_scope], code_ids[in_scope]
    counted = reviewed[coder, unit_doc[unit]]
    left_out = tuple(np.bincount(coder[~counted], minlength=n_coders).tolist())
    unit, coder, code_ids = unit[counted], coder[counted], code_ids[counted]
    keys = []
    for layer in layers:
        target = layer[code_ids]
        ok = target >= 0
        keys.append((target[ok] * n_units + unit[ok]) * n_coders + coder[ok])
    key = np.sort(np.concatenate(keys))  # sort + neighbour test: np.unique's hashing is ~50x slower here
    key = key[np.r_[True, key[1:] != key[:-1]]] if key.size else key
    triple = (key // (n_units * n_coders), (key // n_coders) % n_units, key % n_coders)
    return triple, left_out
