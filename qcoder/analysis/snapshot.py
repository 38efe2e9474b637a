"""One compact read of a project for the analyses: small tables as records, codings as arrays.

Why: a project may hold 100,000 statements and 300,000 codings. Building an ORM object per
coding is far too slow for a report, so the codings are read once with a plain SELECT into
integer numpy arrays, and every analysis (hierarchy, tables, frequencies, saturation, words)
works from those arrays. The snapshot is cached on the session (``session.info``), so several
analyses run in one session share one read; open a new session to see newer codings.

Statement sets are computed as boolean bitmaps code × coded-statement, processed in blocks
of columns so memory stays bounded; rolling a code's statements up into its parent is a
row OR, which counts every statement once however many children or coders coded it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from qcoder.coding.codes import natural_key
from qcoder.errors import NotFound
from qcoder.store.models import Code, Coder, Document, Sentence
from qcoder.store.settings import Level, levels, report_language

_CACHE_KEY = "qcoder.analysis.snapshot"
_BLOCK_CELLS = 1 << 24  # bitmap cells per block: 16 MB of booleans at most


def as_utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC), PostgreSQL aware ones: make all aware."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class CodeRec:
    index: int
    id: int
    name: str
    level: int
    parent: int | None  # index of the parent code
    definition: str
    exemplar_sentence_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class DocRec:
    index: int
    id: int
    label: str
    name: str
    role: str
    imported_at: datetime


@dataclass
class CodeStats:
    """Per code (by index): distinct statements, statements per document, first statement."""

    statements: np.ndarray  # (C,) distinct statements
    doc_matrix: np.ndarray  # (C, D) distinct statements per document
    first_sentence: np.ndarray  # (C,) sentence id of the first statement in document order, -1 if none
    coded_statements: int  # distinct statements with at least one coding (in this selection)


@dataclass
class Snapshot:
    ladder: list[Level]
    language: str
    codes: list[CodeRec]
    coders: list[str]
    documents: list[DocRec]
    sentence_rows: int  # rows in ``sentences`` (statements and headings)
    coding_code: np.ndarray  # (N,) code index
    coding_coder: np.ndarray  # (N,) coder index
    coding_col: np.ndarray  # (N,) column = index into coded_sentence_ids; the coding arrays are sorted by it
    coding_ids: np.ndarray | None  # (N,) coding row ids (they grow with time), if they fit the packed read
    coded_sentence_ids: np.ndarray  # (S,) ids of coded statements, in document order
    coded_doc: np.ndarray  # (S,) document index of each coded statement (non-decreasing)
    _stats: dict[tuple[int | None, bool], CodeStats] = field(default_factory=dict, repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)  # lazily read extras (tokens)

    # ------------------------------------------------------------------ small helpers
    def level_name(self, rank: int) -> str:
        if 0 <= rank < len(self.ladder):
            return self.ladder[rank].label(self.language)
        return f"level {rank}" if self.language != "zh" else f"第{rank}层"

    def coder_index(self, name: str | None) -> int | None:
        if name is None:
            return None
        try:
            return self.coders.index(name)
        except ValueError:
            known = ", ".join(self.coders) or "none yet"
            raise NotFound(f"no coder {name!r}; coders: {known}") from None

    def shown_name(self, index: int) -> str:
        """The code's name, or its path (``Parent/Child``) where codes under different parents share
        the name: what a flat table (frequencies, relations) prints so its rows can be told apart."""
        shared = self.cache.get("shared_names")
        if shared is None:
            seen: dict[str, int] = {}
            for code in self.codes:
                seen[code.name] = seen.get(code.name, 0) + 1
            shared = self.cache["shared_names"] = {name for name, count in seen.items() if count > 1}
        code = self.codes[index]
        if code.name not in shared:
            return code.name
        names: list[str] = [code.name]
        parent = code.parent
        while parent is not None and len(names) <= len(self.codes):
            names.append(self.codes[parent].name)
            parent = self.codes[parent].parent
        return "/".join(reversed(names))

    def children(self) -> list[list[int]]:
        kids: list[list[int]] = [[] for _ in self.codes]
        for code in self.codes:
            if code.parent is not None:
                kids[code.parent].append(code.index)
        for group in kids:
            group.sort(key=lambda i: (-self.codes[i].level, natural_key(self.codes[i].name)))
        return kids

    def bottom_up(self) -> list[tuple[int, int]]:
        """(child, parent) pairs, children of lower levels first, so one pass rolls everything up."""
        order = sorted((c for c in self.codes if c.parent is not None), key=lambda c: (c.level, c.index))
        return [(c.index, c.parent) for c in order if c.parent is not None]

    def at_level(self, rank: int | None) -> list[int]:
        chosen = [c for c in self.codes if rank is None or c.level == rank]
        chosen.sort(key=lambda c: (-c.level, natural_key(c.name)))
        return [c.index for c in chosen]

    def tree_order(self) -> list[tuple[int, int]]:
        """(code index, depth) in preorder: roots highest level first, children by name."""
        kids = self.children()
        roots = [c.index for c in self.codes if c.parent is None]
        roots.sort(key=lambda i: (-self.codes[i].level, natural_key(self.codes[i].name)))
        out: list[tuple[int, int]] = []
        stack = [(r, 0) for r in reversed(roots)]
        while stack:
            index, depth = stack.pop()
            out.append((index, depth))
            stack.extend((k, depth + 1) for k in reversed(kids[index]))
        return out

    # ------------------------------------------------------------------ statement sets
    def bitmaps(self, coder: int | None = None, rolled: bool = True) -> Iterator[tuple[int, np.ndarray]]:
        """Blocks (first column, bool code × column) of who-has-which-statement, rolled up if asked."""
        n_codes, n_cols = len(self.codes), len(self.coded_sentence_ids)
        if n_codes == 0 or n_cols == 0:
            return
        width = max(1024, _BLOCK_CELLS // n_codes)
        mask = None if coder is None else self.coding_coder == coder
        codes = self.coding_code if mask is None else self.coding_code[mask]
        cols = self.coding_col if mask is None else self.coding_col[mask]  # sorted: see load_snapshot
        pairs = self.bottom_up() if rolled else []
        for start in range(0, n_cols, width):
            stop = min(start + width, n_cols)
            lo, hi = np.searchsorted(cols, [start, stop])
            block = np.zeros((n_codes, stop - start), dtype=bool)
            block[codes[lo:hi], cols[lo:hi] - start] = True
            for child, parent in pairs:
                block[parent] |= block[child]
            yield start, block

    def stats(self, coder: int | None = None, rolled: bool = True) -> CodeStats:
        key = (coder, rolled)
        if key not in self._stats:
            self._stats[key] = self._compute_stats(coder, rolled)
        return self._stats[key]

    def statement_counts(self, coder: int | None = None, rolled: bool = True) -> np.ndarray:
        """Distinct statements per code only: cheaper than ``stats`` when that is all one needs."""
        if (coder, rolled) in self._stats:
            return self._stats[(coder, rolled)].statements
        counts = np.zeros(len(self.codes), dtype=np.int64)
        for _start, block in self.bitmaps(coder, rolled):
            counts += block.sum(axis=1)
        return counts

    def _compute_stats(self, coder: int | None, rolled: bool) -> CodeStats:
        n_codes, n_docs = len(self.codes), len(self.documents)
        statements = np.zeros(n_codes, dtype=np.int64)
        doc_matrix = np.zeros((n_codes, n_docs), dtype=np.int64)
        first = np.full(n_codes, -1, dtype=np.int64)
        coded = 0
        for start, block in self.bitmaps(coder, rolled):
            coded += int(np.count_nonzero(block.any(axis=0)))
            # the (code, statement) cells that are set, row after row: counting them per code and
            # per (code, document) is two bincounts, where summing the bitmap by document is slower
            row, col = np.divmod(np.flatnonzero(block), block.shape[1])  # 1-D nonzero: far faster than 2-D
            statements += np.bincount(row, minlength=n_codes)
            keys = row * n_docs + self.coded_doc[col + start]
            doc_matrix += np.bincount(keys, minlength=n_codes * n_docs).reshape(n_codes, n_docs)
            if len(row):
                heads = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])  # each code's first statement here
                code_at, col_at = row[heads], col[heads]
                new = first[code_at] < 0
                first[code_at[new]] = self.coded_sentence_ids[col_at[new] + start]
        return CodeStats(statements, doc_matrix, first, coded)

    def coders_per_code(self, coder: int | None = None, rolled: bool = True) -> list[set[int]]:
        """Coder indices who coded each code (or, rolled up, anything below it)."""
        width = max(len(self.coders), 1)
        keys = self.coding_code * width + self.coding_coder
        if coder is not None:
            keys = keys[self.coding_coder == coder]
        found: list[set[int]] = [set() for _ in self.codes]
        present = np.bincount(keys, minlength=len(self.codes) * width)  # linear, where np.unique sorts
        for key in np.flatnonzero(present).tolist():
            found[key // width].add(key % width)
        if rolled:
            for child, parent in self.bottom_up():
                found[parent] |= found[child]
        return found


# ---------------------------------------------------------------------- loading
def _ints(session: Session, value_sql: str, from_sql: str) -> np.ndarray:
    """One integer per row, fetched as a single aggregated string and parsed by numpy.

    Why: fetching 300,000 rows as Python tuples costs ~150 ms on SQLite; one
    ``group_concat`` of packed integers costs ~45 ms, with no per-row Python objects.
    """
    if session.get_bind().dialect.name == "postgresql":
        sql = f"SELECT string_agg(({value_sql})::text, ',') {from_sql}"
    else:
        sql = f"SELECT group_concat({value_sql}) {from_sql}"
    text_ = session.execute(text(sql)).scalar()
    if not text_:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text_, sep=",", dtype=np.int64)


def _packed(session: Session, columns: list[tuple[str, int]], table: str) -> np.ndarray | None:
    """Rows of small non-negative integers packed into one int64 each; None if they do not fit.

    ``columns`` are (column, largest value). On PostgreSQL (read committed: each SELECT sees
    new commits) rows with a larger value, written since the maxima were read, are left out
    rather than garbled; SQLite reads the whole session from one snapshot, so it needs no filter.
    """
    widths = [max(int(top), 1).bit_length() for _, top in columns]
    if sum(widths) > 62:
        return None
    postgres = session.get_bind().dialect.name == "postgresql"
    cast = "::bigint" if postgres else ""
    parts, shift = [], 0
    for (column, _), width in reversed(list(zip(columns, widths))):
        parts.append(f"({column}{cast} << {shift})" if shift else f"{column}{cast}")
        shift += width
    bounds = " AND ".join(f"{column} <= {int(top)}" for column, top in columns)
    packed = _ints(session, " | ".join(parts), f"FROM {table} WHERE {bounds}" if postgres else f"FROM {table}")
    out = np.empty((len(packed), len(columns)), dtype=np.int64)
    shift = 0
    for i in range(len(columns) - 1, -1, -1):
        out[:, i] = (packed >> shift) & ((1 << widths[i]) - 1)
        shift += widths[i]
    return out


def _columns(session: Session, columns: list[tuple[str, int]], table: str) -> np.ndarray:
    """The integer columns of every row of ``table`` as an (n, k) array."""
    packed = _packed(session, columns, table)
    if packed is not None:
        return packed
    rows = session.execute(text(f"SELECT {', '.join(c for c, _ in columns)} FROM {table}")).all()
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=len(rows) * len(columns))
    return flat.reshape(len(rows), len(columns))


def _lookup(sorted_ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``wanted`` in ``sorted_ids`` and a mask of those actually present."""
    if len(sorted_ids) == 0:
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return pos, sorted_ids[pos] == wanted


def _positions(ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index in ``ids`` (distinct, any order) of each of ``wanted``, and a mask of those present.

    Why a table: row ids are mostly dense, and one gather through an id → index table is
    several times cheaper than 300,000 binary searches; sparse ids fall back to searching.
    """
    n = len(ids)
    if n == 0:
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    top, low = int(ids.max()), int(ids.min())
    if low >= 0 and top < 4 * n + (1 << 16):
        table = np.full(top + 1, -1, dtype=np.int64)
        table[ids] = np.arange(n)
        inside = (wanted >= 0) & (wanted <= top)
        pos = table[np.where(inside, wanted, 0)]
        ok = inside & (pos >= 0)
        return np.where(ok, pos, 0), ok
    order = np.argsort(ids, kind="stable")
    pos, ok = _lookup(ids[order], wanted)
    return order[pos], ok


def load_snapshot(session: Session) -> Snapshot:
    """Read the project once; cached on the session for the analyses that follow."""
    cached = session.info.get(_CACHE_KEY)
    if isinstance(cached, Snapshot):
        return cached
    ladder = levels(session)
    language = report_language(session)
    code_rows = session.execute(
        select(
            Code.id, Code.name, Code.level, Code.parent_id, Code.definition, Code.exemplar_sentence_id, Code.created_at
        ).order_by(Code.id)
    ).all()
    index_of = {row[0]: i for i, row in enumerate(code_rows)}
    codes = [
        CodeRec(
            index=i,
            id=cid,
            name=name,
            level=level,
            parent=index_of.get(parent) if parent is not None else None,
            definition=definition or "",
            exemplar_sentence_id=exemplar,
            created_at=as_utc(created) or datetime.min.replace(tzinfo=UTC),
        )
        for i, (cid, name, level, parent, definition, exemplar, created) in enumerate(code_rows)
    ]
    coder_rows = session.execute(select(Coder.id, Coder.name).order_by(Coder.id)).all()
    doc_rows = session.execute(
        select(Document.id, Document.label, Document.name, Document.role, Document.imported_at).order_by(Document.id)
    ).all()
    documents = [
        DocRec(index=i, id=d, label=label, name=name, role=role, imported_at=as_utc(at) or datetime.min)
        for i, (d, label, name, role, at) in enumerate(doc_rows)
    ]
    # three subqueries: each maximum comes from an index, where one SELECT of all three scans the table
    top = session.execute(
        text(
            "SELECT (SELECT MAX(id) FROM sentences), (SELECT MAX(document_id) FROM sentences), "
            "(SELECT MAX(ordinal) FROM sentences)"
        )
    ).one()
    top_sentence, top_doc, top_ordinal = (int(v or 0) for v in top)
    # every statement's (document, ordinal, id), then sorted into document order
    sentences = _columns(
        session, [("document_id", top_doc), ("ordinal", top_ordinal), ("id", top_sentence)], "sentences"
    )
    in_order = sentences[:, 0] * (top_ordinal + 1) + sentences[:, 1]
    if len(in_order) and not bool(np.all(in_order[1:] >= in_order[:-1])):  # an index scan reads them in order
        sentences = sentences[np.lexsort((sentences[:, 1], sentences[:, 0]))]
    top_code = max((c.id for c in codes), default=0)
    top_coder = max((r[0] for r in coder_rows), default=0)
    top_coding = int(session.execute(text("SELECT MAX(id) FROM codings")).scalar() or 0)
    wanted = [("sentence_id", top_sentence), ("code_id", top_code), ("coder_id", top_coder)]
    # the coding id (insertion order) comes along when it fits into the packed integer
    with_ids = _packed(session, [*wanted, ("id", top_coding)], "codings")
    codings = with_ids if with_ids is not None else _columns(session, wanted, "codings")

    sent_doc, doc_ok = _positions(np.array([d.id for d in documents], dtype=np.int64), sentences[:, 0])
    sentences, sent_doc = sentences[doc_ok], sent_doc[doc_ok]
    sent_pos, ok_s = _positions(sentences[:, 2], codings[:, 0])  # position in document order
    code_pos, ok_c = _positions(np.array([c.id for c in codes], dtype=np.int64), codings[:, 1])
    coder_pos, ok_k = _positions(np.array([r[0] for r in coder_rows], dtype=np.int64), codings[:, 2])
    keep = ok_s & ok_c & ok_k  # rows that appeared between this snapshot's SELECTs are ignored
    # the coded statements (in document order) and each coding's column among them, without sorting
    coded_at = sent_pos[keep]
    is_coded = np.zeros(len(sentences), dtype=bool)
    is_coded[coded_at] = True
    coded_positions = np.flatnonzero(is_coded)
    coding_col = (np.cumsum(is_coded) - 1)[coded_at]
    by_col = np.argsort(coding_col, kind="stable")  # codings in statement order, for the bitmaps
    snapshot = Snapshot(
        ladder=ladder,
        language=language,
        codes=codes,
        coders=[name for _, name in coder_rows],
        documents=documents,
        sentence_rows=len(sentences),
        coding_code=code_pos[keep][by_col],
        coding_coder=coder_pos[keep][by_col],
        coding_col=coding_col[by_col],
        coding_ids=codings[keep, 3][by_col] if with_ids is not None else None,
        coded_sentence_ids=sentences[coded_positions, 2],
        coded_doc=sent_doc[coded_positions],
    )
    session.info[_CACHE_KEY] = snapshot
    return snapshot


def total_statements(session: Session) -> int:
    """Statements imported (rows of kind ``sentence``; headings are not statements).

    Not part of the snapshot: it scans the statements table, and only the hierarchy needs it;
    counted once per snapshot (several reports of one session ask for it).
    """
    snap = session.info.get(_CACHE_KEY)
    if isinstance(snap, Snapshot) and "total_statements" in snap.cache:
        return int(snap.cache["total_statements"])
    total = int(session.scalar(select(func.count()).select_from(Sentence).where(Sentence.kind == "sentence")) or 0)
    if isinstance(snap, Snapshot):
        snap.cache["total_statements"] = total
    return total


def forget_snapshot(session: Session) -> None:
    """Drop the cached snapshot (after writing in the same session)."""
    session.info.pop(_CACHE_KEY, None)
