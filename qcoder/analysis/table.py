"""The one shape every analysis hands to the writers: a titled table, plus notes.

Why: a GT paper prints tables (count chain, categories with example statements, relations)
and a few sentences (the chain, the saturation verdict). Keeping every analysis result in
this small shape lets one set of writers produce text, Markdown, CSV, JSON, Excel and Word.
Column headers follow the project's language setting (``zh`` by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field

Cell = str | int | float | None


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)  # printed under the table (chain, verdict, warnings)
    name: str = ""  # short ASCII id: sheet names, JSON keys, file names

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"{self.title}: row {row!r} has {len(row)} cells for {len(self.columns)} columns")


# Labels in Chinese and English; ``label(key, language)`` picks one.
LABELS: dict[str, tuple[str, str]] = {
    "statements": ("条原始语句", "statements"),
    "chain": ("编码层级", "coding hierarchy"),
    "level": ("层级", "level"),
    "count": ("数量", "count"),
    "code": ("编码", "code"),
    "statement_count": ("语句数", "statements"),
    "documents": ("文档数", "documents"),
    "coders": ("编码者", "coders"),
    "codings": ("编码次数", "codings"),
    "warnings": ("层级检查", "hierarchy warnings"),
    "kind": ("类型", "kind"),
    "message": ("说明", "message"),
    "tree": ("编码树", "code tree"),
    "example": ("典型原始语句", "example statement"),
    "sub_categories": ("对应范畴", "sub-categories"),
    "meaning": ("范畴内涵", "meaning"),
    "relation": ("关系", "relation"),
    "relation_type": ("关系类型", "type"),
    "relation_meaning": ("关系内涵", "meaning"),
    "relations": ("范畴关系", "relations between categories"),
    "storyline": ("故事线", "storyline"),
    "frequencies": ("编码频次", "code frequencies"),
    "matrix": ("编码 × 文档矩阵", "code × document matrix"),
    "total": ("合计", "total"),
    "cooccurrence": ("编码共现", "code co-occurrence"),
    "code_a": ("编码A", "code A"),
    "code_b": ("编码B", "code B"),
    "together": ("共现语句数", "statements with both"),
    "all_coders": ("全部编码者", "all coders"),
    "saturation": ("饱和度曲线", "saturation curve"),
    "document": ("文档", "document"),
    "role": ("角色", "role"),
    "new": ("新增", "new"),
    "cumulative": ("累计", "cumulative"),
    "new_codes": ("新出现的编码", "new codes"),
    "holdout": ("理论饱和度检验", "theoretical saturation check"),
    "item": ("项目", "item"),
    "value": ("结果", "result"),
    "words": ("高频词", "frequent words"),
    "rank": ("排名", "rank"),
    "word": ("词语", "word"),
    "frequency": ("词频", "frequency"),
    "all_statements": ("全部已编码语句", "all coded statements"),
}

RELATION_TYPE_LABELS: dict[str, str] = {
    "causal": "因果关系",
    "similarity": "相似关系",
    "sequence": "顺序关系",
    "condition": "条件关系",
    "context": "情境关系",
    "intervening": "中介关系",
    "strategy": "策略关系",
    "consequence": "结果关系",
}


def label(key: str, language: str = "zh") -> str:
    zh, en = LABELS[key]
    return zh if language == "zh" else en


def relation_type_label(type_: str, language: str = "zh") -> str:
    return RELATION_TYPE_LABELS.get(type_, type_) if language == "zh" else type_
