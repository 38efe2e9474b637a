"""Codes by a statement attribute (speaker, question, page …) or a document attribute (性别, 地区 …).

Two tables, in every report format:
- counts: rows = codes, columns = the attribute's values (plus "(none)" when some coded statements have
  none), cells = distinct statements of the code (rolled up the tree, as in the other reports);
- cases × codes, 0/1: one row per case with its value and, per code, 1 if the case has at least one
  statement of the code. A case is a document for a document attribute, and a document × speaker
  (× value) for a statement attribute: the layout R and SPSS read directly (one row per case, one
  indicator variable per code).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.analysis.snapshot import load_snapshot
from qcoder.analysis.table import Table, label
from qcoder.errors import QcoderError
from qcoder.store.models import Document, Sentence

NONE = "(none)"


def parse_by(by: str) -> tuple[str, str]:
    """`speaker` / `question` / `stmt:NAME` → ("statement", NAME); `attr:NAME` / `doc:NAME` → ("document", NAME)."""
    kind, sep, name = by.partition(":")
    if not sep:
        return "statement", by.strip()
    if kind in ("attr", "doc", "document"):
        return "document", name.strip()
    if kind in ("stmt", "statement"):
        return "statement", name.strip()
    raise QcoderError(f"--by {by!r}: use speaker, question, page, stmt:NAME (statement) or attr:NAME (document)")


def attribute_tables(
    session: Session, by: str, *, level: int | None = 0, coder: str | None = None, rolled: bool = True
) -> list[Table]:
    """The counts table and the 0/1 cases table of codes (at ``level``) by the attribute ``by``."""
    where, name = parse_by(by)
    if not name:
        raise QcoderError("--by needs an attribute name, e.g. --by speaker or --by attr:性别")
    snap = load_snapshot(session)
    lang = snap.language
    rows = snap.at_level(level)
    ids = snap.coded_sentence_ids
    docs = snap.coded_doc
    per_doc: list[str] = []
    if where == "document":
        attrs = dict(session.execute(select(Document.id, Document.attributes)).all())
        per_doc = [str((attrs.get(d.id) or {}).get(name, "")) for d in snap.documents]
        values = [per_doc[d] for d in docs.tolist()]
        known = any(per_doc)
    else:
        found: dict[int, str] = {}
        id_list = ids.tolist()
        for start in range(0, len(id_list), 5000):
            chunk = id_list[start : start + 5000]
            for sid, attributes in session.execute(
                select(Sentence.id, Sentence.attributes).where(Sentence.id.in_(chunk))
            ):
                found[sid] = str((attributes or {}).get(name, ""))
        values = [found.get(i, "") for i in id_list]
        known = any(values)
    if not known and len(ids):
        where_word = "document" if where == "document" else "statement"
        raise QcoderError(f"no coded {where_word} has the attribute {name!r}; check the name (qcoder show lists them)")
    distinct = sorted({v for v in values if v}, key=_natural)
    if any(not v for v in values):
        distinct.append(NONE)
    column_of = {v: i for i, v in enumerate(distinct)}
    value_col = np.array([column_of[v or NONE] for v in values], dtype=np.int64)
    # cases: documents (document attribute) or document × value (statement attribute)
    case_keys = [(int(d), v or NONE) for d, v in zip(docs.tolist(), values)]
    every = set(case_keys) | set(_all_cases(session, snap, where, name, per_doc if where == "document" else []))
    case_list = sorted(every, key=lambda k: (k[0], _natural(k[1])))
    case_of = {k: i for i, k in enumerate(case_list)}
    case_col = np.array([case_of[k] for k in case_keys], dtype=np.int64)
    counts = np.zeros((len(rows), len(distinct)), dtype=np.int64)
    present = np.zeros((len(rows), len(case_list)), dtype=bool)
    who = snap.coder_index(coder)
    for start, block in snap.bitmaps(who, rolled):
        part = block[rows]
        width = part.shape[1]
        vals = value_col[start : start + width]
        cases = case_col[start : start + width]
        for j in np.unique(vals).tolist():
            counts[:, j] += part[:, vals == j].sum(axis=1)
        for c in np.unique(cases).tolist():
            present[:, c] |= part[:, cases == c].any(axis=1)
    codes = [snap.codes[i].name for i in rows]
    title_by = name if where == "statement" else f"{name}"
    total = label("total", lang)
    counts_table = Table(
        title=(f"编码 × {title_by}（语句数）" if lang == "zh" else f"code × {title_by} (statements)"),
        columns=[label("code", lang), *distinct, total],
        rows=[[codes[r], *counts[r].tolist(), int(counts[r].sum())] for r in range(len(rows))],
        notes=[
            "单元格为去重后的语句数；上层编码包含其下所有编码的语句"
            if lang == "zh"
            else "cells are distinct statements; a category counts the statements of all codes below it"
        ],
        name=f"by_{_ascii(name)}",
    )
    case_word = "文档" if lang == "zh" else "document"
    doc_name = "名称" if lang == "zh" else "name"
    cases_table = Table(
        title=(f"个案 × 编码（0/1，按{title_by}）" if lang == "zh" else f"cases × codes (0/1, by {title_by})"),
        columns=[case_word, doc_name, name, *codes],
        rows=[
            [snap.documents[d].label, snap.documents[d].name, v, *present[:, c].astype(int).tolist()]
            for c, (d, v) in enumerate(case_list)
        ],
        notes=[
            (
                "每行一个个案（文档"
                + ("" if where == "document" else " × " + name)
                + "）；1 = 该个案至少有一条语句编码为该编码"
            )
            if lang == "zh"
            else "one row per case (document"
            + ("" if where == "document" else " × " + name)
            + "); 1 = at least one statement of the case has the code"
        ],
        name=f"cases_{_ascii(name)}",
    )
    return [counts_table, cases_table]


def _all_cases(session: Session, snap: object, where: str, name: str, per_doc: list[str]) -> list[tuple[int, str]]:
    """Every case, also those without a coded statement (a row of zeros is data too)."""
    documents = snap.documents  # type: ignore[attr-defined]
    if where == "document":
        return [(d.index, per_doc[d.index] or NONE) for d in documents]
    index_of = {d.id: d.index for d in documents}
    cases: set[tuple[int, str]] = set()
    for doc_id, attributes in session.execute(
        select(Sentence.document_id, Sentence.attributes).where(Sentence.kind != "heading")
    ):
        if doc_id in index_of:
            cases.add((index_of[doc_id], str((attributes or {}).get(name, "")) or NONE))
    return sorted(cases)


def _natural(value: str) -> tuple[int, float, str]:
    """Numbers in numeric order (年龄 9 before 10), then text."""
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _ascii(name: str) -> str:
    cleaned = "".join(ch if ch.isascii() and ch.isalnum() else "_" for ch in name).strip("_")
    return cleaned or "attribute"
