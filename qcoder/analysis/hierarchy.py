"""The code hierarchy as a GT paper reports it: the count chain, the tree, and its gaps.

The chain's first figure is the number of distinct *coded* statements — in GT papers the
"raw statements" are the statements that received codes — followed by the number of codes at
each level of the project's ladder (554 statements → 33 concepts → 19 initial categories →
6 main categories → 1 core category). ``total_statements`` (every statement imported, headings
excluded) is exposed beside it.

A code's figures are rolled up through its subtree: a category counts each statement once,
however many of its concepts or coders coded it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from qcoder.analysis.snapshot import Snapshot, load_snapshot, total_statements
from qcoder.analysis.table import Cell, Table, label, relation_type_label
from qcoder.errors import QcoderError
from qcoder.store.models import Relation


@dataclass(frozen=True)
class LevelCount:
    rank: int
    name: str
    name_en: str
    codes: int


@dataclass(frozen=True)
class CodeSummary:
    id: int
    name: str
    level: int
    level_name: str
    parent_id: int | None
    parent: str | None
    depth: int  # in the tree (0 = root)
    statements: int  # distinct statements, rolled up
    documents: int  # distinct documents, rolled up
    coders: tuple[str, ...]  # rolled up


@dataclass(frozen=True)
class HierarchyWarning:
    kind: str  # no-parent | skipped-level | empty-level | no-statements | parent-not-higher | off-ladder
    message: str
    code_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class RelationEdge:
    source_id: int
    target_id: int
    type: str
    note: str


@dataclass
class Hierarchy:
    language: str
    total_statements: int
    coded_statements: int
    levels: list[LevelCount]
    codes: list[CodeSummary]  # tree preorder
    warnings: list[HierarchyWarning]
    relations: list[RelationEdge]

    def chain(self) -> str:
        """``554 条原始语句 → 33 个概念 → …`` (or the English form)."""
        if self.language == "zh":
            parts = [f"{self.coded_statements} {label('statements', 'zh')}"]
            parts += [f"{lv.codes} 个{lv.name}" for lv in self.levels]
        else:
            parts = [f"{self.coded_statements} {'statement' if self.coded_statements == 1 else 'statements'}"]
            parts += [f"{lv.codes} {plural(lv.name_en, lv.codes)}" for lv in self.levels]
        return " → ".join(parts)


def plural(noun: str, count: int) -> str:
    if count == 1:
        return noun
    if noun.endswith("y") and not noun.endswith(("ay", "ey", "oy", "uy")):
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "x", "ch", "sh")) else "s")


def _load_relations(session: Session) -> list[RelationEdge]:
    rows = session.execute(
        select(Relation.source_id, Relation.target_id, Relation.type, Relation.note).order_by(Relation.id)
    )
    return [RelationEdge(*row) for row in rows]


def _level_counts(snap: Snapshot) -> list[LevelCount]:
    top = max([len(snap.ladder) - 1, *(c.level for c in snap.codes)])
    counts = [0] * (top + 1)
    for code in snap.codes:
        counts[code.level] += 1
    out = []
    for rank, count in enumerate(counts):
        name_en = snap.ladder[rank].name_en if rank < len(snap.ladder) else f"level {rank}"
        out.append(LevelCount(rank, snap.level_name(rank), name_en, count))
    return out


def _names(snap: Snapshot, indices: list[int], limit: int = 8) -> str:
    sep = "、" if snap.language == "zh" else ", "
    shown = [snap.codes[i].name for i in indices[:limit]]
    more = len(indices) - limit
    if more > 0:
        shown.append(f"…（另 {more} 个）" if snap.language == "zh" else f"… ({more} more)")
    return sep.join(shown)


def check_hierarchy(snap: Snapshot, statements: list[int]) -> list[HierarchyWarning]:
    """Gaps a reviewer would spot: orphans, skipped levels, empty levels, unused codes."""
    zh = snap.language == "zh"
    ladder_top = len(snap.ladder) - 1
    used_levels = {c.level for c in snap.codes}
    warnings: list[HierarchyWarning] = []
    for rank in range(len(snap.ladder)):
        if rank not in used_levels:
            name = snap.level_name(rank)
            warnings.append(
                HierarchyWarning("empty-level", f"层级“{name}”没有编码" if zh else f"no codes at level {name!r}")
            )
    for rank in range(ladder_top):
        if not any(level > rank for level in used_levels):
            continue  # nothing above to attach to: the empty-level warning says it
        orphans = [i for i in snap.at_level(rank) if snap.codes[i].parent is None]
        if orphans:
            here, above = snap.level_name(rank), snap.level_name(rank + 1)
            text = (
                f"{len(orphans)} 个{here}没有归入{above}：{_names(snap, orphans)}"
                if zh
                else f"{len(orphans)} {here} code(s) without a {above}: {_names(snap, orphans)}"
            )
            warnings.append(HierarchyWarning("no-parent", text, tuple(snap.codes[i].id for i in orphans)))
    for code in sorted(snap.codes, key=lambda c: (c.level, c.index)):
        if code.parent is None:
            continue
        parent = snap.codes[code.parent]
        if parent.level <= code.level:
            text = (
                f"{snap.level_name(code.level)}“{code.name}”的上级“{parent.name}”不在更高层级"
                if zh
                else f"{code.name!r}'s parent {parent.name!r} is not at a higher level"
            )
            warnings.append(HierarchyWarning("parent-not-higher", text, (code.id,)))
        elif parent.level > code.level + 1:
            skipped = "、".join(snap.level_name(r) for r in range(code.level + 1, parent.level))
            text = (
                f"{snap.level_name(code.level)}“{code.name}”直接归入{snap.level_name(parent.level)}“{parent.name}”，跳过了{skipped}"
                if zh
                else f"{snap.level_name(code.level)} {code.name!r} sits directly under {snap.level_name(parent.level)} "
                f"{parent.name!r}, skipping {', '.join(snap.level_name(r) for r in range(code.level + 1, parent.level))}"
            )
            warnings.append(HierarchyWarning("skipped-level", text, (code.id, parent.id)))
    off = [c.index for c in snap.codes if c.level > ladder_top]
    if off:
        text = (
            f"{len(off)} 个编码的层级超出层级设置：{_names(snap, off)}"
            if zh
            else f"{len(off)} code(s) above the project's ladder: {_names(snap, off)}"
        )
        warnings.append(HierarchyWarning("off-ladder", text, tuple(snap.codes[i].id for i in off)))
    unused = [i for i in snap.at_level(None) if statements[i] == 0]
    if unused:
        text = (
            f"{len(unused)} 个编码没有任何已编码语句：{_names(snap, unused)}"
            if zh
            else f"{len(unused)} code(s) have no coded statements: {_names(snap, unused)}"
        )
        warnings.append(HierarchyWarning("no-statements", text, tuple(snap.codes[i].id for i in unused)))
    return warnings


def hierarchy(session: Session, *, coder: str | None = None) -> Hierarchy:
    """Counts per level, the rolled-up tree and its warnings (optionally for one coder's codings)."""
    return _build(session, coder, with_total=True)


def _build(session: Session, coder: str | None, with_total: bool) -> Hierarchy:
    """``with_total=False`` skips counting all statements (a table scan) for the diagrams."""
    snap = load_snapshot(session)
    who = snap.coder_index(coder)
    stats = snap.stats(who, rolled=True)
    statements = stats.statements.tolist()
    documents = (stats.doc_matrix > 0).sum(axis=1).tolist()
    coders = snap.coders_per_code(who, rolled=True)
    summaries = []
    for index, depth in snap.tree_order():
        code = snap.codes[index]
        parent = snap.codes[code.parent] if code.parent is not None else None
        summaries.append(
            CodeSummary(
                id=code.id,
                name=code.name,
                level=code.level,
                level_name=snap.level_name(code.level),
                parent_id=parent.id if parent else None,
                parent=parent.name if parent else None,
                depth=depth,
                statements=statements[index],
                documents=documents[index],
                coders=tuple(snap.coders[k] for k in sorted(coders[index])),
            )
        )
    return Hierarchy(
        language=snap.language,
        total_statements=total_statements(session) if with_total else -1,
        coded_statements=stats.coded_statements,
        levels=_level_counts(snap),
        codes=summaries,
        warnings=check_hierarchy(snap, statements),
        relations=_load_relations(session),
    )


def hierarchy_tables(session: Session, *, coder: str | None = None) -> list[Table]:
    """Chain, tree and warnings as tables for the writers."""
    h = hierarchy(session, coder=coder)
    lang = h.language
    first = "原始语句（已编码）" if lang == "zh" else "statements (coded)"
    chain_rows: list[list[Cell]] = [[first, h.coded_statements]]
    chain_rows += [[lv.name, lv.codes] for lv in h.levels]
    chain = Table(
        title=label("chain", lang),
        columns=[label("level", lang), label("count", lang)],
        rows=chain_rows,
        notes=[
            h.chain(),
            (
                f"共导入 {h.total_statements} 条语句，其中 {h.coded_statements} 条已编码"
                if lang == "zh"
                else f"{h.total_statements} statements imported, {h.coded_statements} of them coded"
            ),
        ],
        name="chain",
    )
    tree = Table(
        title=label("tree", lang),
        columns=[
            label("code", lang),
            label("level", lang),
            "上级" if lang == "zh" else "parent",
            label("statement_count", lang),
            label("documents", lang),
            label("coders", lang),
        ],
        rows=[
            [
                "  " * c.depth + c.name,
                c.level_name,
                c.parent or "",
                c.statements,
                c.documents,
                ("、" if lang == "zh" else ", ").join(c.coders),
            ]
            for c in h.codes
        ],
        name="tree",
    )
    warnings = Table(
        title=label("warnings", lang),
        columns=[label("kind", lang), label("message", lang)],
        rows=[[w.kind, w.message] for w in h.warnings],
        notes=[] if h.warnings else ["层级完整，未发现问题" if lang == "zh" else "no problems found"],
        name="warnings",
    )
    return [chain, tree, warnings]


# ---------------------------------------------------------------------- diagrams
def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;").replace("\n", "<br/>")


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _grouped(h: Hierarchy) -> list[tuple[LevelCount, list[CodeSummary]]]:
    return [(lv, [c for c in h.codes if c.level == lv.rank]) for lv in reversed(h.levels)]


def mermaid(session: Session, *, direction: str = "BT", relations: bool = True, coder: str | None = None) -> str:
    """A Mermaid flowchart: one subgraph per level, child → parent arrows, relations dotted and labelled."""
    if direction not in ("BT", "TD", "TB", "LR", "RL"):
        raise QcoderError(f"unknown Mermaid direction {direction!r}; use BT, TD, TB, LR or RL")
    h = _build(session, coder, with_total=False)
    lines = [f"flowchart {direction}"]
    for lv, codes in _grouped(h):
        if not codes:
            continue
        lines.append(f'  subgraph L{lv.rank}["{_mermaid_text(lv.name)}"]')
        lines.extend(f'    c{c.id}["{_mermaid_text(c.name)}<br/>({c.statements})"]' for c in codes)
        lines.append("  end")
    lines.extend(f"  c{c.id} --> c{c.parent_id}" for c in h.codes if c.parent_id is not None)
    if relations:
        for r in h.relations:
            text = _mermaid_text(relation_type_label(r.type, h.language))
            lines.append(f'  c{r.source_id} -.->|"{text}"| c{r.target_id}')
    return "\n".join(lines) + "\n"


def dot(session: Session, *, relations: bool = True, coder: str | None = None) -> str:
    """Graphviz DOT: levels as ranks (``rank=same`` per level), relations as dashed labelled edges."""
    h = _build(session, coder, with_total=False)
    font = "SimSun" if h.language == "zh" else "Times New Roman"
    lines = [
        "digraph hierarchy {",
        "  rankdir=BT;",
        f'  node [shape=box, fontname="{font}"];',
        f'  edge [fontname="{font}"];',
    ]
    ranks = h.levels
    for lv in ranks:  # a column of level names keeps the levels in order even when one is empty
        lines.append(f'  level{lv.rank} [label="{_dot_text(lv.name)}", shape=plaintext];')
    if len(ranks) > 1:
        lines.append("  " + " -> ".join(f"level{lv.rank}" for lv in ranks) + " [style=invis];")
    for lv, codes in _grouped(h):
        lines.append(f"  subgraph rank_{lv.rank} {{")
        lines.append("    rank=same;")
        lines.append(f"    level{lv.rank};")
        lines.extend(f'    c{c.id} [label="{_dot_text(c.name)}\\n({c.statements})"];' for c in codes)
        lines.append("  }")
    lines.extend(f"  c{c.id} -> c{c.parent_id};" for c in h.codes if c.parent_id is not None)
    if relations:
        for r in h.relations:
            text = _dot_text(relation_type_label(r.type, h.language))
            lines.append(f'  c{r.source_id} -> c{r.target_id} [style=dashed, label="{text}", constraint=false];')
    lines.append("}")
    return "\n".join(lines) + "\n"
