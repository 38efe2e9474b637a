"""The tables a GT paper prints: categories with example statements, main categories with
their meaning, relations with their meaning, and the storyline.

The example statement of a code is the one the researcher chose (``exemplar_sentence_id``);
without a choice it is the code's first coded statement in document order (documents in
import order, statements by position), looking through the code's whole subtree.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.analysis.snapshot import load_snapshot
from qcoder.analysis.table import Cell, Table, label, relation_type_label
from qcoder.coding.codes import natural_key
from qcoder.coding.memos import storyline as storyline_memo
from qcoder.errors import QcoderError
from qcoder.store.models import Coder, Coding, Relation, Sentence


@dataclass(frozen=True)
class Example:
    sentence_id: int
    label: str  # D03-S017
    text: str
    chosen: bool  # the researcher's exemplar, not the first coded statement
    quote: str | None = None  # the exact words coded in it, when the coding has a quote span

    def cell(self, language: str) -> str:
        shown = self.quote or self.text
        return f"“{shown}”（{self.label}）" if language == "zh" else f'"{shown}" ({self.label})'


def examples(session: Session, code_ids: list[int] | None = None, *, coder: str | None = None) -> dict[int, Example]:
    """code id → example statement (chosen exemplar, else first coded statement in document order)."""
    snap = load_snapshot(session)
    first = snap.stats(snap.coder_index(coder), rolled=True).first_sentence.tolist()
    wanted = {c.id for c in snap.codes} if code_ids is None else set(code_ids)
    pick: dict[int, tuple[int, bool]] = {}
    for code in snap.codes:
        if code.id not in wanted:
            continue
        if code.exemplar_sentence_id is not None:
            pick[code.id] = (code.exemplar_sentence_id, True)
        elif first[code.index] >= 0:
            pick[code.id] = (first[code.index], False)
    sentence_ids = sorted({sid for sid, _ in pick.values()})
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(sentence_ids), 500):
        chunk = sentence_ids[start : start + 500]
        found.update(
            (sid, (lab, txt))
            for sid, lab, txt in session.execute(
                select(Sentence.id, Sentence.label, Sentence.text).where(Sentence.id.in_(chunk))
            )
        )
    quoted = _quotes(session, {code_id: sid for code_id, (sid, _chosen) in pick.items()}, coder)
    return {
        code_id: Example(sid, found[sid][0], found[sid][1], chosen, _quoted(found[sid][1], quoted.get(code_id)))
        for code_id, (sid, chosen) in pick.items()
        if sid in found
    }


def _quoted(text: str, span: tuple[int, int] | None) -> str | None:
    return None if span is None else text[span[0] : span[1]]


def _quotes(session: Session, picks: dict[int, int], coder: str | None) -> dict[int, tuple[int, int]]:
    """code id → the quote span of its coding on its example statement (the first coder's, by id)."""
    found: dict[int, tuple[int, int]] = {}
    wanted = sorted(set(picks.values()))
    for start in range(0, len(wanted), 500):
        query = (
            select(Coding.code_id, Coding.sentence_id, Coding.quote_start, Coding.quote_end)
            .where(Coding.sentence_id.in_(wanted[start : start + 500]), Coding.quote_start.is_not(None))
            .order_by(Coding.coder_id, Coding.id)
        )
        if coder is not None:
            query = query.join(Coder, Coder.id == Coding.coder_id).where(Coder.name == coder)
        for code_id, sid, q_start, q_end in session.execute(query):
            if picks.get(code_id) == sid and code_id not in found and q_start is not None and q_end is not None:
                found[code_id] = (q_start, q_end)
    return found


def _level(level: int) -> int:
    if level < 0:
        raise QcoderError("a level is 0 or more")
    return level


def category_table(session: Session, *, level: int = 1, per_child: bool = False, coder: str | None = None) -> Table:
    """Category | its concepts | example statement (with ID). ``per_child``: one row per concept."""
    snap = load_snapshot(session)
    lang = snap.language
    rank = _level(level)
    below = snap.level_name(rank - 1) if rank > 0 else label("code", lang)
    cats = snap.at_level(rank)
    kids = snap.children()
    wanted = [snap.codes[i].id for i in cats] + [snap.codes[k].id for i in cats for k in kids[i]]
    found = examples(session, wanted, coder=coder)
    sep = "、" if lang == "zh" else ", "
    rows: list[list[Cell]] = []
    for index in cats:
        code = snap.codes[index]
        if per_child and kids[index]:
            for kid in kids[index]:
                example = found.get(snap.codes[kid].id)
                rows.append([code.name, snap.codes[kid].name, example.cell(lang) if example else ""])
        else:
            example = found.get(code.id)
            rows.append(
                [code.name, sep.join(snap.codes[k].name for k in kids[index]), example.cell(lang) if example else ""]
            )
    return Table(
        title=(f"{snap.level_name(rank)}及其{below}" if lang == "zh" else f"{snap.level_name(rank)} and {below}"),
        columns=[snap.level_name(rank), below, label("example", lang)],
        rows=rows,
        name=f"categories_{rank}",
    )


def main_category_table(session: Session, *, level: int = 2) -> Table:
    """Main category | sub-categories | meaning (its definition, then each sub-category's)."""
    snap = load_snapshot(session)
    lang = snap.language
    rank = _level(level)
    kids = snap.children()
    sep = "、" if lang == "zh" else ", "
    colon = "：" if lang == "zh" else ": "
    rows: list[list[Cell]] = []
    for index in snap.at_level(rank):
        code = snap.codes[index]
        meaning = [code.definition.strip()] if code.definition.strip() else []
        meaning += [
            f"{snap.codes[k].name}{colon}{snap.codes[k].definition.strip()}"
            for k in kids[index]
            if snap.codes[k].definition.strip()
        ]
        rows.append([code.name, sep.join(snap.codes[k].name for k in kids[index]), "\n".join(meaning)])
    return Table(
        title=(
            f"{snap.level_name(rank)}及其对应范畴" if lang == "zh" else f"{snap.level_name(rank)} and sub-categories"
        ),
        columns=[snap.level_name(rank), label("sub_categories", lang), label("meaning", lang)],
        rows=rows,
        name=f"main_categories_{rank}",
    )


def relation_table(session: Session) -> Table:
    """Relation "A → B" | type | meaning (the relation's note); higher-level relations first."""
    snap = load_snapshot(session)
    lang = snap.language
    by_id = {c.id: c for c in snap.codes}
    rows_ = session.execute(select(Relation.source_id, Relation.target_id, Relation.type, Relation.note)).all()
    rows_ = [r for r in rows_ if r[0] in by_id and r[1] in by_id]
    rows_.sort(key=lambda r: (-by_id[r[0]].level, natural_key(by_id[r[0]].name), natural_key(by_id[r[1]].name), r[2]))
    return Table(
        title=label("relations", lang),
        columns=[label("relation", lang), label("relation_type", lang), label("relation_meaning", lang)],
        rows=[
            [
                f"{snap.shown_name(by_id[s].index)} → {snap.shown_name(by_id[t].index)}",
                relation_type_label(typ, lang),
                note,
            ]
            for s, t, typ, note in rows_
        ],
        name="relations",
    )


def storyline(session: Session) -> str | None:
    """The storyline memo's text (selective coding), or None if not written yet."""
    memo = storyline_memo(session)
    return memo.text if memo is not None else None


def storyline_table(session: Session) -> Table:
    snap = load_snapshot(session)
    text = storyline(session)
    lang = snap.language
    return Table(
        title=label("storyline", lang),
        columns=[label("storyline", lang)],
        rows=[[text]] if text else [],
        notes=[] if text else ["尚未撰写故事线备忘录" if lang == "zh" else "no storyline memo yet"],
        name="storyline",
    )


def paper_tables(session: Session, *, level: int = 1, coder: str | None = None) -> list[Table]:
    """Everything for the paper: categories (at ``level``), the level above, relations, storyline."""
    snap = load_snapshot(session)
    out = [category_table(session, level=level, coder=coder)]
    if level + 1 < len(snap.ladder):
        out.append(main_category_table(session, level=level + 1))
    out += [relation_table(session), storyline_table(session)]
    return out
