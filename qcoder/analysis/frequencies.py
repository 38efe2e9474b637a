"""How often codes occur: per code and coder, per document, and together on one statement.

Counts are distinct statements: a statement coded by three coders, or by two concepts of
one category, counts once. "Rolled up" (the default) means a code counts the statements of
its whole subtree, which is what a category's frequency means in a GT paper; ``rolled=False``
counts only statements coded with the code itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from qcoder.analysis.snapshot import Snapshot, load_snapshot
from qcoder.analysis.table import Cell, Table, label


@dataclass(frozen=True)
class Frequency:
    id: int
    name: str
    level: int
    level_name: str
    statements: int  # distinct statements (of the chosen coder, or of anyone)
    documents: int
    codings: int  # coding rows (one per statement × coder), summed over the subtree if rolled
    per_coder: dict[str, int]  # distinct statements per coder


def _codings_per_code(snap: Snapshot, who: int | None, rolled: bool) -> list[int]:
    codes = snap.coding_code if who is None else snap.coding_code[snap.coding_coder == who]
    counts = np.bincount(codes, minlength=len(snap.codes)).tolist()
    if rolled:
        for child, parent in snap.bottom_up():
            counts[parent] += counts[child]
    return counts


def code_frequencies(
    session: Session, *, level: int | None = None, coder: str | None = None, rolled: bool = True
) -> list[Frequency]:
    """Per code (all levels, or one): statements, documents, codings, statements per coder."""
    snap = load_snapshot(session)
    who = snap.coder_index(coder)
    stats = snap.stats(who, rolled)
    documents = (stats.doc_matrix > 0).sum(axis=1).tolist()
    codings = _codings_per_code(snap, who, rolled)
    coder_range = range(len(snap.coders)) if who is None else [who]
    per_coder = {k: snap.statement_counts(k, rolled).tolist() for k in coder_range}
    out = [
        Frequency(
            id=snap.codes[i].id,
            name=snap.shown_name(i),
            level=snap.codes[i].level,
            level_name=snap.level_name(snap.codes[i].level),
            statements=int(stats.statements[i]),
            documents=documents[i],
            codings=codings[i],
            per_coder={snap.coders[k]: per_coder[k][i] for k in coder_range},
        )
        for i in snap.at_level(level)
    ]
    out.sort(key=lambda f: (-f.level, -f.statements))  # stable: names stay in natural order on ties
    return out


def frequency_table(
    session: Session, *, level: int | None = None, coder: str | None = None, rolled: bool = True
) -> Table:
    snap = load_snapshot(session)
    lang = snap.language
    rows = code_frequencies(session, level=level, coder=coder, rolled=rolled)
    coders = [coder] if coder is not None else snap.coders
    title = label("frequencies", lang) + (f"（{coder}）" if coder and lang == "zh" else f" ({coder})" if coder else "")
    return Table(
        title=title,
        columns=[
            label("code", lang),
            label("level", lang),
            label("statement_count", lang),
            label("documents", lang),
            label("codings", lang),
            *coders,
        ],
        rows=[
            [f.name, f.level_name, f.statements, f.documents, f.codings, *(f.per_coder[c] for c in coders)]
            for f in rows
        ],
        notes=[
            (
                "语句数为去重后的语句数；上层编码包含其下所有编码的语句"
                if lang == "zh"
                else "statements are distinct; a category counts the statements of all codes below it"
            )
            if rolled
            else ("仅统计直接编码" if lang == "zh" else "direct codings only")
        ],
        name="frequencies",
    )


@dataclass
class DocumentMatrix:
    codes: list[tuple[int, str]]  # (id, name) per row
    documents: list[str]  # labels per column
    counts: np.ndarray  # (codes, documents) distinct statements

    def total(self) -> list[int]:
        return self.counts.sum(axis=1).tolist()


def code_document_matrix(
    session: Session, *, level: int | None = 0, coder: str | None = None, rolled: bool = True
) -> DocumentMatrix:
    """Distinct statements per code (rows, at ``level`` or all) and document (columns, import order)."""
    snap = load_snapshot(session)
    stats = snap.stats(snap.coder_index(coder), rolled)
    rows = snap.at_level(level)
    return DocumentMatrix(
        codes=[(snap.codes[i].id, snap.shown_name(i)) for i in rows],
        documents=[d.label for d in snap.documents],
        counts=stats.doc_matrix[rows] if rows else np.zeros((0, len(snap.documents)), dtype=np.int64),
    )


def matrix_table(session: Session, *, level: int | None = 0, coder: str | None = None, rolled: bool = True) -> Table:
    snap = load_snapshot(session)
    lang = snap.language
    m = code_document_matrix(session, level=level, coder=coder, rolled=rolled)
    totals = m.total()
    return Table(
        title=label("matrix", lang),
        columns=[label("code", lang), *m.documents, label("total", lang)],
        rows=[[name, *m.counts[r].tolist(), totals[r]] for r, (_, name) in enumerate(m.codes)],
        notes=[d.label + " " + d.name for d in snap.documents],
        name="matrix",
    )


@dataclass
class Cooccurrence:
    codes: list[tuple[int, str]]
    counts: np.ndarray  # (k, k) statements carrying both; the diagonal is each code's own count

    def index_pairs(self, minimum: int = 1) -> list[tuple[int, int, int]]:
        """(row A, row B, statements with both), most frequent first, A before B."""
        upper = np.triu(self.counts, k=1)
        a, b = np.nonzero(upper >= minimum)
        found = [(int(i), int(j), int(upper[i, j])) for i, j in zip(a, b)]
        found.sort(key=lambda t: (-t[2], t[0], t[1]))
        return found

    def pairs(self, minimum: int = 1) -> list[tuple[str, str, int]]:
        """(code A, code B, statements with both), most frequent first."""
        return [(self.codes[i][1], self.codes[j][1], n) for i, j, n in self.index_pairs(minimum)]


def cooccurrence(
    session: Session, *, level: int | None = 0, coder: str | None = None, rolled: bool = True
) -> Cooccurrence:
    """How many statements carry both codes. With ``coder``, only that coder's codings count
    (both codes by the same coder); without, codings of all coders are pooled."""
    snap = load_snapshot(session)
    who = snap.coder_index(coder)
    rows = snap.at_level(level)
    k = len(rows)
    flat = np.zeros(k * k, dtype=np.int64)  # pair (a, b) at a * k + b
    if rows:
        for _start, block in snap.bitmaps(who, rolled):
            # sorted by statement, then code; 1-D nonzero over a transposed copy is several times
            # faster than numpy's 2-D nonzero over the transposed view
            col, row = np.divmod(np.flatnonzero(np.ascontiguousarray(block[rows].T)), k)
            flat += np.bincount(row * k + row, minlength=k * k)
            # pair each code with the 1st, 2nd, … next code on the same statement
            for step in range(1, k):
                same = col[step:] == col[:-step]
                if not same.any():
                    break
                a, b = row[:-step][same], row[step:][same]
                flat += np.bincount(a * k + b, minlength=k * k) + np.bincount(b * k + a, minlength=k * k)
    return Cooccurrence(codes=[(snap.codes[i].id, snap.shown_name(i)) for i in rows], counts=flat.reshape(k, k))


def cooccurrence_table(
    session: Session, *, level: int | None = 0, coder: str | None = None, rolled: bool = True
) -> Table:
    """Pairs with their count; without ``coder``, also one column per coder."""
    snap = load_snapshot(session)
    lang = snap.language
    pooled = cooccurrence(session, level=level, coder=coder, rolled=rolled)
    per_coder = (
        {}
        if coder is not None
        else {name: cooccurrence(session, level=level, coder=name, rolled=rolled) for name in snap.coders}
    )
    rows: list[list[Cell]] = [
        [pooled.codes[i][1], pooled.codes[j][1], n, *(int(m.counts[i, j]) for m in per_coder.values())]
        for i, j, n in pooled.index_pairs()
    ]
    head = coder if coder is not None else label("all_coders", lang)
    return Table(
        title=label("cooccurrence", lang),
        columns=[label("code_a", lang), label("code_b", lang), head, *per_coder],
        rows=rows,
        notes=["数字为同时带有两个编码的语句数" if lang == "zh" else "figures are statements carrying both codes"],
        name="cooccurrence",
    )
