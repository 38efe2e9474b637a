"""Theoretical saturation: the new-concept curve and the held-out check (理论饱和度检验).

The curve: documents in coding order — the order in which each document received its first
coding (coding row ids grow with time, so the smallest id is the first coding); documents
never coded follow in import order — or, with ``order="import"``, in import order. A concept
is *new* in the first document (in that order) where a statement carries it; the curve is the
cumulative number of concepts.

The held-out check: documents imported with role ``holdout`` are coded last with the
codebook frozen. A concept counts as new evidence against saturation when

* it is used only in held-out documents, or
* its first coding ever was made in a held-out document (it emerged there, even if it was
  later also applied to an earlier document), or
* it was created after the freeze.

The freeze time is the ``freeze_at`` argument; without it, the time of the first coding in a
held-out document (the moment the researcher started on the held-out data). Codes at other
levels and relations created after the freeze are reported too. The verdict sentence is
computed from these lists, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qcoder.analysis.hierarchy import plural
from qcoder.analysis.snapshot import Snapshot, as_utc, load_snapshot
from qcoder.analysis.table import Table, label, relation_type_label
from qcoder.errors import QcoderError
from qcoder.store.models import Code, Coder, Coding, Document, Relation, Sentence
from qcoder.store.settings import get_setting

ORDERS = ("coding", "import")


@dataclass(frozen=True)
class CurvePoint:
    document_id: int
    label: str
    name: str
    role: str
    new: tuple[str, ...]  # concepts first used in this document
    cumulative: int

    @property
    def new_count(self) -> int:
        return len(self.new)


@dataclass
class SaturationCurve:
    order: str
    level: int
    level_name: str
    language: str
    points: list[CurvePoint]

    @property
    def total(self) -> int:
        return self.points[-1].cumulative if self.points else 0


def _document_order(session: Session, snap: Snapshot, order: str, coder: str | None) -> list[int]:
    """Document indices in the chosen order."""
    if order not in ORDERS:
        raise QcoderError(f"unknown order {order!r}; use coding or import")
    imported = list(range(len(snap.documents)))
    if order == "import":
        return imported
    first = _first_coding_per_document(session, snap, coder)
    return sorted(imported, key=lambda i: (i not in first, first.get(i, 0), i))


def _group_min(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Smallest value per group (-1 for empty groups), in one pass."""
    top = np.iinfo(np.int64).max
    out = np.full(size, top, dtype=np.int64)
    np.minimum.at(out, groups, values)
    out[out == top] = -1
    return out


def _first_coding_per_document(session: Session, snap: Snapshot, coder: str | None) -> dict[int, int]:
    """document index → smallest coding id in it (of one coder, if given)."""
    who = snap.coder_index(coder)
    if snap.coding_ids is not None:
        mask = slice(None) if who is None else snap.coding_coder == who
        first = _group_min(snap.coded_doc[snap.coding_col[mask]], snap.coding_ids[mask], len(snap.documents))
        return {d: int(v) for d, v in enumerate(first.tolist()) if v >= 0}
    query = (
        select(Sentence.document_id, func.min(Coding.id))
        .join(Sentence, Sentence.id == Coding.sentence_id)
        .group_by(Sentence.document_id)
    )
    if coder is not None:
        query = query.where(Coding.coder_id == select(Coder.id).where(Coder.name == coder).scalar_subquery())
    index = {d.id: d.index for d in snap.documents}
    return {index[d]: first for d, first in session.execute(query) if d in index}


def saturation(session: Session, *, level: int = 0, order: str = "coding", coder: str | None = None) -> SaturationCurve:
    """New and cumulative concepts (codes at ``level``, rolled up) per document in ``order``."""
    snap = load_snapshot(session)
    stats = snap.stats(snap.coder_index(coder), rolled=True)
    docs = _document_order(session, snap, order, coder)
    rank = np.empty(len(docs), dtype=np.int64)
    rank[docs] = np.arange(len(docs))
    new_at: dict[int, list[str]] = {}
    for index in snap.at_level(level):
        used = np.flatnonzero(stats.doc_matrix[index] > 0)
        if len(used):
            first_doc = int(used[np.argmin(rank[used])])
            new_at.setdefault(first_doc, []).append(snap.codes[index].name)
    points, cumulative = [], 0
    for d in docs:
        doc = snap.documents[d]
        new = tuple(new_at.get(d, []))
        cumulative += len(new)
        points.append(CurvePoint(doc.id, doc.label, doc.name, doc.role, new, cumulative))
    return SaturationCurve(order, level, snap.level_name(level), snap.language, points)


# ---------------------------------------------------------------------- held-out check
@dataclass(frozen=True)
class NewCode:
    id: int
    name: str
    level: int
    level_name: str
    created_at: datetime
    reasons: tuple[str, ...]  # only-holdout | first-used-in-holdout | created-after-freeze


@dataclass(frozen=True)
class NewRelation:
    id: int
    source: str
    target: str
    type: str
    created_at: datetime


@dataclass
class HoldoutCheck:
    level: int
    level_name: str
    level_name_en: str
    language: str
    holdout_documents: list[str]  # labels
    coded_holdout_statements: int
    freeze_at: datetime | None
    freeze_source: str  # argument | first held-out coding | none
    new_concepts: list[NewCode]  # at ``level``
    new_codes: list[NewCode]  # at other levels, created after the freeze
    new_relations: list[NewRelation]

    @property
    def status(self) -> str:
        if not self.holdout_documents:
            return "no-holdout"
        if self.coded_holdout_statements == 0:
            return "not-coded"
        return "new-concepts" if self.new_concepts else "saturated"

    @property
    def verdict_en(self) -> str:
        concepts = plural(self.level_name_en, 2)
        if self.status == "no-holdout":
            return "no held-out documents: import some with `qcoder import --role holdout` to check saturation"
        if self.status == "not-coded":
            return f"the {len(self.holdout_documents)} held-out document(s) are not coded yet"
        if self.new_concepts:
            n = len(self.new_concepts)
            text = f"{n} new {plural(self.level_name_en, n)} emerged: {', '.join(c.name for c in self.new_concepts)}"
        else:
            text = (
                f"no new {concepts} emerged in the held-out documents ({len(self.holdout_documents)} "
                f"document(s), {self.coded_holdout_statements} coded statement(s))"
            )
        extra = []
        if self.new_codes:
            extra.append(
                f"{len(self.new_codes)} other code(s) created after the freeze: "
                + ", ".join(c.name for c in self.new_codes)
            )
        if self.new_relations:
            extra.append(
                f"{len(self.new_relations)} relation(s) created after the freeze: "
                + ", ".join(f"{r.source} → {r.target}" for r in self.new_relations)
            )
        return "; ".join([text, *extra])

    @property
    def verdict_zh(self) -> str:
        if self.status == "no-holdout":
            return "没有留存文档：请用 `qcoder import --role holdout` 导入用于饱和度检验的文档"
        if self.status == "not-coded":
            return f"{len(self.holdout_documents)} 份留存文档尚未编码"
        if self.new_concepts:
            text = f"留存文档中出现了 {len(self.new_concepts)} 个新{self.level_name}：" + "、".join(
                c.name for c in self.new_concepts
            )
        else:
            text = (
                f"{len(self.holdout_documents)} 份留存文档（{self.coded_holdout_statements} 条已编码语句）中"
                f"未出现新的{self.level_name}"
            )
        extra = []
        if self.new_codes:
            extra.append(
                f"冻结后新建了 {len(self.new_codes)} 个其他层级的编码：" + "、".join(c.name for c in self.new_codes)
            )
        if self.new_relations:
            extra.append(
                f"冻结后新建了 {len(self.new_relations)} 条关系："
                + "、".join(f"{r.source} → {r.target}" for r in self.new_relations)
            )
        return "；".join([text, *extra])

    @property
    def verdict(self) -> str:
        return self.verdict_zh if self.language == "zh" else self.verdict_en


def holdout_check(session: Session, *, level: int = 0, freeze_at: datetime | None = None) -> HoldoutCheck:
    """Did the held-out documents bring new concepts (or codes/relations after the freeze)?"""
    snap = load_snapshot(session)
    holdout = [d for d in snap.documents if d.role == "holdout"]
    holdout_idx = np.array([d.index for d in holdout], dtype=np.int64)
    stats = snap.stats(None, rolled=True)
    coded_holdout = int(np.isin(snap.coded_doc, holdout_idx).sum()) if len(holdout_idx) else 0
    source = "argument" if freeze_at is not None else "none"
    if freeze_at is None:
        stored = get_setting(session, "codebook_frozen_at")
        if stored:
            freeze_at = datetime.fromisoformat(stored)
            source = "project setting (qcoder freeze)"
    if freeze_at is None and holdout:
        # IN (statements of held-out documents) lets the database use the codings index
        held_out = (
            select(Sentence.id).join(Document, Document.id == Sentence.document_id).where(Document.role == "holdout")
        )
        freeze_at = as_utc(session.scalar(select(func.min(Coding.created_at)).where(Coding.sentence_id.in_(held_out))))
        source = "first held-out coding" if freeze_at is not None else "none"
    freeze = as_utc(freeze_at)
    first_doc = _first_coding_documents(session, snap)
    holdout_ids = {d.id for d in holdout}
    is_holdout = np.zeros(len(snap.documents), dtype=bool)
    is_holdout[holdout_idx] = True
    concepts, others = [], []
    for code in sorted(snap.codes, key=lambda c: (c.level, c.created_at, c.id)):
        reasons = []
        used = stats.doc_matrix[code.index] > 0
        if holdout and used.any() and not (used & ~is_holdout).any():
            reasons.append("only-holdout")
        elif first_doc.get(code.id) in holdout_ids:
            reasons.append("first-used-in-holdout")
        if freeze is not None and code.created_at > freeze:
            reasons.append("created-after-freeze")
        if not reasons:
            continue
        item = NewCode(code.id, code.name, code.level, snap.level_name(code.level), code.created_at, tuple(reasons))
        if code.level == level:
            concepts.append(item)
        elif "created-after-freeze" in reasons or code.level < level:
            others.append(item)
    return HoldoutCheck(
        level=level,
        level_name=snap.level_name(level),
        level_name_en=snap.ladder[level].name_en if level < len(snap.ladder) else f"level {level}",
        language=snap.language,
        holdout_documents=[d.label for d in holdout],
        coded_holdout_statements=coded_holdout,
        freeze_at=freeze,
        freeze_source=source,
        new_concepts=concepts if holdout else [],
        new_codes=others if holdout else [],
        new_relations=_relations_after(session, freeze) if holdout else [],
    )


def _first_coding_documents(session: Session, snap: Snapshot) -> dict[int, int]:
    """code id → document id of the code's earliest coding (smallest coding id)."""
    if snap.coding_ids is not None:
        first = _group_min(snap.coding_code, snap.coding_ids, len(snap.codes))
        where = np.flatnonzero(snap.coding_ids == first[snap.coding_code])  # the earliest coding of its code
        docs = snap.coded_doc[snap.coding_col[where]]
        return {snap.codes[c].id: snap.documents[d].id for c, d in zip(snap.coding_code[where].tolist(), docs.tolist())}
    first_ids = select(func.min(Coding.id)).group_by(Coding.code_id)
    rows = session.execute(
        select(Coding.code_id, Sentence.document_id)
        .join(Sentence, Sentence.id == Coding.sentence_id)
        .where(Coding.id.in_(first_ids))
    )
    return dict(rows.all())


def _relations_after(session: Session, freeze: datetime | None) -> list[NewRelation]:
    if freeze is None:
        return []
    names = dict(session.execute(select(Code.id, Code.name)).all())
    out = []
    for rid, source, target, type_, created in session.execute(
        select(Relation.id, Relation.source_id, Relation.target_id, Relation.type, Relation.created_at).order_by(
            Relation.created_at, Relation.id
        )
    ):
        when = as_utc(created)
        if when is not None and when > freeze:
            out.append(NewRelation(rid, names.get(source, "?"), names.get(target, "?"), type_, when))
    return out


# ---------------------------------------------------------------------- tables
def saturation_tables(
    session: Session,
    *,
    level: int = 0,
    order: str = "coding",
    coder: str | None = None,
    freeze_at: datetime | None = None,
) -> list[Table]:
    curve = saturation(session, level=level, order=order, coder=coder)
    check = holdout_check(session, level=level, freeze_at=freeze_at)
    lang = curve.language
    sep = "、" if lang == "zh" else ", "
    order_note = {
        ("coding", "zh"): "文档按首次编码的先后排序",
        ("coding", "en"): "documents in the order they were first coded",
        ("import", "zh"): "文档按导入顺序排序",
        ("import", "en"): "documents in import order",
    }[(curve.order, "zh" if lang == "zh" else "en")]
    curve_table = Table(
        title=label("saturation", lang),
        columns=[
            label("document", lang),
            "名称" if lang == "zh" else "name",
            label("role", lang),
            label("new", lang),
            label("cumulative", lang),
            label("new_codes", lang),
        ],
        rows=[[p.label, p.name, p.role, p.new_count, p.cumulative, sep.join(p.new)] for p in curve.points],
        notes=[order_note],
        name="saturation",
    )
    when = f"{check.freeze_at:%Y-%m-%d %H:%M:%S} UTC ({check.freeze_source})" if check.freeze_at else "—"
    rows: list[list[str | int | float | None]] = [
        ["留存文档" if lang == "zh" else "held-out documents", sep.join(check.holdout_documents) or "—"],
        ["留存文档中已编码语句" if lang == "zh" else "coded held-out statements", check.coded_holdout_statements],
        ["编码本冻结时间" if lang == "zh" else "codebook frozen at", when],
        [
            f"新{check.level_name}" if lang == "zh" else f"new {plural(check.level_name_en, 2)}",
            sep.join(f"{c.name} ({', '.join(c.reasons)})" for c in check.new_concepts) or "—",
        ],
        [
            "冻结后新建的其他编码" if lang == "zh" else "other codes created after the freeze",
            sep.join(f"{c.name} [{c.level_name}]" for c in check.new_codes) or "—",
        ],
        [
            "冻结后新建的关系" if lang == "zh" else "relations created after the freeze",
            sep.join(f"{r.source} → {r.target} ({relation_type_label(r.type, lang)})" for r in check.new_relations)
            or "—",
        ],
        ["结论" if lang == "zh" else "verdict", check.verdict],
    ]
    holdout_table = Table(
        title=label("holdout", lang),
        columns=[label("item", lang), label("value", lang)],
        rows=rows,
        notes=[check.verdict],
        name="holdout",
    )
    return [curve_table, holdout_table]
