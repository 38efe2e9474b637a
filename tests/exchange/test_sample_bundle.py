"""The sample coded project: the seeds plus ``sample_corpus/coding/sample_coding.json``.

The bundle is what ``qcoder demo`` shows a newcomer, so these tests hold it to the study it
follows (33 concepts → 19 initial categories → 6 main categories → 1 core category) and hold
the loader to its promises: every reference resolves, loading twice adds nothing, a bad
reference changes nothing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import add_document
from sqlalchemy import func, select

from qcoder.analysis.hierarchy import hierarchy
from qcoder.coding.memos import storyline
from qcoder.demo import import_sample_corpus
from qcoder.errors import QcoderError
from qcoder.exchange.bundle import BundleResult, apply_bundle, dump_bundle, load_bundle
from qcoder.store.database import Project, open_project
from qcoder.store.models import (
    BUILTIN_RELATION_TYPES,
    Code,
    Coder,
    Coding,
    Document,
    DocumentReview,
    Event,
    Memo,
    Relation,
    Sentence,
)

BUNDLE = Path(__file__).resolve().parents[2] / "sample_corpus" / "coding" / "sample_coding.json"
MAIN = {"需求牵引", "创新环境", "关键核心技术突破", "创新效率变革", "产学研协同创新深度融合", "现代化产业体系建设"}
CORE = "创新联合体赋能新质生产力"
TABLES = (Coder, Code, Coding, DocumentReview, Relation, Memo, Event)


def row_counts(project: Project) -> dict[str, int]:
    with project.session() as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def bundle_data() -> dict[str, Any]:
    return json.loads(BUNDLE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, BundleResult]]:
    """The five seeds imported as `qcoder demo` does, then the bundle loaded (shared: tests only read)."""
    project = open_project(tmp_path_factory.mktemp("sample") / "sample.qcoder.db")
    try:
        import_sample_corpus(project)
        result = load_bundle(project, BUNDLE)
        yield project, result
    finally:
        project.close()


def test_chain_reads_33_19_6_1(sample: tuple[Project, BundleResult]) -> None:
    project, _ = sample
    with project.session() as s:
        h = hierarchy(s)
    assert [lv.codes for lv in h.levels] == [33, 19, 6, 1]
    assert h.chain().endswith("33 个概念 → 19 个初始范畴 → 6 个主范畴 → 1 个核心范畴")
    assert h.warnings == []  # no orphans, no skipped levels, no unused concept
    assert h.coded_statements >= 250


def test_hierarchy_follows_the_study(sample: tuple[Project, BundleResult]) -> None:
    project, _ = sample
    with project.session() as s:
        codes = list(s.scalars(select(Code)))
        parents = {c.id: c.parent for c in codes}  # loaded while the session is open
    by_level = {level: [c for c in codes if c.level == level] for level in range(4)}
    assert {c.name for c in by_level[2]} == MAIN
    assert [c.name for c in by_level[3]] == [CORE]
    assert parents[by_level[3][0].id] is None
    for level in (0, 1, 2):
        for code in by_level[level]:
            parent = parents[code.id]
            assert parent is not None and parent.level == level + 1, code.name
    for code in codes:
        assert len(code.definition) >= 10, code.name
    assert all(c.colour for c in by_level[2])
    # every initial category gathers concepts, every main category initial categories
    assert {parents[c.id].name for c in by_level[0]} == {c.name for c in by_level[1]}
    assert {parents[c.id].name for c in by_level[1]} == MAIN


def test_every_coding_resolved_to_its_statement(sample: tuple[Project, BundleResult]) -> None:
    project, result = sample
    data = bundle_data()
    assert result.relocated == []
    expected = {(c["statement"]["id"], c["code"], c["level"], c["coder"]) for c in data["codings"]}
    assert result.codings_added == len(expected) == len(data["codings"])
    with project.session() as s:
        rows = s.execute(
            select(Sentence.label, Sentence.text, Sentence.kind, Code.name, Code.level, Coder.name)
            .join(Coding, Coding.sentence_id == Sentence.id)
            .join(Code, Code.id == Coding.code_id)
            .join(Coder, Coder.id == Coding.coder_id)
        ).all()
    assert {(label, name, level, coder) for label, _, _, name, level, coder in rows} == expected
    prefixes = {c["statement"]["id"]: c["statement"]["text_prefix"] for c in data["codings"]}
    for label, text, kind, *_ in rows:
        assert text.startswith(prefixes[label]) and kind != "heading", label
    assert {level for *_, level, _ in rows} == {0}  # statements carry concepts; categories roll up


def test_two_coders_and_review_marks(sample: tuple[Project, BundleResult]) -> None:
    project, _ = sample
    with project.session() as s:
        coders = {c.id: c.name for c in s.scalars(select(Coder))}
        assert set(coders.values()) == {"研究者A", "研究者B"}
        reviewed: dict[str, set[str]] = {}
        for review in s.scalars(select(DocumentReview)):
            reviewed.setdefault(coders[review.coder_id], set()).add(s.get(Document, review.document_id).label)
        documents = set(s.scalars(select(Document.label)))
        per_coder = dict(
            s.execute(
                select(Coder.name, func.count(func.distinct(Coding.sentence_id)))
                .join(Coding, Coding.coder_id == Coder.id)
                .group_by(Coder.name)
            ).all()
        )
    assert reviewed["研究者A"] == documents and len(documents) == 5
    assert len(reviewed["研究者A"] & reviewed["研究者B"]) >= 2
    assert per_coder["研究者B"] >= 80 and per_coder["研究者A"] > per_coder["研究者B"]


def test_storyline_memo_and_typed_relations(sample: tuple[Project, BundleResult]) -> None:
    project, _ = sample
    with project.session() as s:
        memo = storyline(s)
        assert memo is not None and memo.code_id is not None
        assert s.get(Code, memo.code_id).name == CORE
        assert all(name in memo.text for name in MAIN)
        relations = list(s.scalars(select(Relation)))
        assert len(relations) >= 6
        for r in relations:
            assert r.source.level == 2 and r.target.level == 2
            assert r.type in BUILTIN_RELATION_TYPES and r.note.strip()
        assert {"similarity", "causal", "sequence"} <= {r.type for r in relations}
        assert {r.source.name for r in relations} | {r.target.name for r in relations} == MAIN


def test_loading_twice_adds_nothing(sample: tuple[Project, BundleResult]) -> None:
    project, _ = sample
    before = row_counts(project)
    again = load_bundle(project, BUNDLE)
    assert not again.changed
    assert again.codes_existing == 59 and again.codings_existing == len(bundle_data()["codings"])
    assert row_counts(project) == before


def test_dump_gives_back_the_bundle(sample: tuple[Project, BundleResult]) -> None:
    project, _ = sample
    data, dumped = bundle_data(), dump_bundle(project)

    def codes(d: dict[str, Any]) -> set[tuple[Any, ...]]:
        return {
            (
                c["name"],
                c["level"],
                c["parent"],
                c["definition"],
                (c.get("colour") or "").upper(),
                (c.get("exemplar") or {}).get("id"),
            )
            for c in d["codes"]
        }

    def keyed(d: dict[str, Any], key: str, fields: tuple[str, ...]) -> set[tuple[Any, ...]]:
        return {tuple(json.dumps(e.get(f), ensure_ascii=False, sort_keys=True) for f in fields) for e in d[key]}

    assert codes(dumped) == codes(data)
    assert keyed(dumped, "codings", ("statement", "code", "level", "coder")) == keyed(
        data, "codings", ("statement", "code", "level", "coder")
    )
    assert keyed(dumped, "relations", ("source", "target", "type", "note")) == keyed(
        data, "relations", ("source", "target", "type", "note")
    )
    assert keyed(dumped, "memos", ("type", "title", "text", "target", "code")) == keyed(
        data, "memos", ("type", "title", "text", "target", "code")
    )
    assert keyed(dumped, "reviews", ("coder", "document")) == keyed(data, "reviews", ("coder", "document"))


def _broken(kind: str) -> tuple[dict[str, Any], str]:
    """A bundle with new content (a code, a coder's codings) and one bad reference."""
    data = bundle_data()
    data["codes"].append({"name": "测试新概念", "level": 0, "parent": "市场需求", "definition": "只为测试"})
    for coding in data["codings"]:
        coding["coder"] = "研究者C"
    if kind == "coding":
        data["codings"][-1]["statement"]["text_prefix"] = "这句话不存在于语料中"
        return data, data["codings"][-1]["statement"]["id"]
    if kind == "memo":  # resolved only after codes and relations were written: must roll back
        first = data["codings"][0]["statement"]
        data["memos"].append(
            {
                "type": "code",
                "title": "坏引用",
                "text": "…",
                "target": "statement",
                "statement": {**first, "id": "D04-S999", "text_prefix": "不存在的语句开头"},
            }
        )
        return data, "D04-S999"
    data["reviews"].append({"coder": "研究者C", "document": "999_missing.txt"})
    return data, "999_missing.txt"


@pytest.mark.parametrize("kind", ["coding", "memo", "document"])
def test_bad_reference_fails_in_one_line_and_changes_nothing(
    sample: tuple[Project, BundleResult], tmp_path: Path, kind: str
) -> None:
    project, _ = sample
    data, named = _broken(kind)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = row_counts(project)
    with pytest.raises(QcoderError) as caught:
        load_bundle(project, path)
    message = str(caught.value)
    assert "\n" not in message and named in message
    assert row_counts(project) == before


# ---------------------------------------------------------------- the loader on both backends
STATEMENTS = [
    "创新联合体由领军企业牵头组建。",
    "高校院所提供基础研究支撑。",
    "企业出题，揭榜挂帅。",
    "成果在园区转化落地。",
]


def _small_bundle() -> dict[str, Any]:
    def ref(ordinal: int, prefix: str) -> dict[str, str]:
        return {"document": "访谈.txt", "id": f"D01-S{ordinal:03d}", "text_prefix": prefix}

    return {
        "format": "qcoder-bundle",
        "version": 1,
        "coders": ["甲", "乙"],
        "codes": [
            {"name": "核心", "level": 3, "parent": None, "definition": "核心范畴", "colour": "#112233"},
            {"name": "组织", "level": 2, "parent": "核心", "definition": "主范畴"},
            {"name": "转化", "level": 2, "parent": "核心", "definition": "主范畴"},
            {"name": "主体", "level": 1, "parent": "组织", "definition": "初始范畴"},
            {"name": "主体", "level": 0, "parent": "主体", "definition": "同名概念", "exemplar": ref(1, "创新联合体")},
            {"name": "落地", "level": 0, "parent": "转化", "parent_level": 2, "definition": "概念"},
        ],
        "relations": [
            {
                "source": "组织",
                "source_level": 2,
                "target": "转化",
                "target_level": 2,
                "type": "causal",
                "note": "组织促成转化",
                "coder": "甲",
            }
        ],
        "memos": [
            {
                "type": "storyline",
                "title": "故事线",
                "text": "组织带来转化。",
                "target": "code",
                "code": "核心",
                "level": 3,
                "coder": "甲",
            },
            {
                "type": "code",
                "title": "",
                "text": "关键句",
                "target": "statement",
                "statement": ref(3, "企业出题, 揭榜"),
            },  # half-width comma and a space: still S003
            {
                "type": "theoretical",
                "title": "关系",
                "text": "因果",
                "target": "relation",
                "relation": {
                    "source": "组织",
                    "source_level": 2,
                    "target": "转化",
                    "target_level": 2,
                    "type": "causal",
                },
            },
        ],
        "codings": [
            {"statement": ref(1, "创新联合体由"), "code": "主体", "level": 0, "coder": "甲"},
            {"statement": ref(2, "成果在园区"), "code": "落地", "level": 0, "coder": "甲"},  # moved: S004
            {"statement": ref(1, "创新联合体由"), "code": "主体", "level": 0, "coder": "乙"},
        ],
        "reviews": [{"coder": "甲", "document": "访谈.txt"}, {"coder": "乙", "document": "访谈"}],
    }


def test_loader_round_trip_on_each_backend(project: Project, tmp_path: Path) -> None:
    add_document(project, STATEMENTS, name="访谈")
    path = tmp_path / "small.json"
    path.write_text(json.dumps(_small_bundle(), ensure_ascii=False), encoding="utf-8")

    first = load_bundle(project, path)
    assert (
        first.codes_created,
        first.relations_created,
        first.memos_created,
        first.codings_added,
        first.reviews_added,
    ) == (6, 1, 3, 3, 2)
    assert first.relocated == ["D01-S002→D01-S004"]
    counts = row_counts(project)
    assert not load_bundle(project, path).changed
    assert row_counts(project) == counts

    dumped = dump_bundle(project)
    assert {(c["statement"]["id"], c["code"], c["coder"]) for c in dumped["codings"]} == {
        ("D01-S001", "主体", "甲"),
        ("D01-S004", "落地", "甲"),
        ("D01-S001", "主体", "乙"),
    }
    concept = next(c for c in dumped["codes"] if c["name"] == "主体" and c["level"] == 0)
    assert concept["parent_level"] == 1 and concept["exemplar"]["id"] == "D01-S001"
    assert {m["target"] for m in dumped["memos"]} == {"code", "statement", "relation"}

    # The dump loads into a fresh project with the same document and reproduces itself.
    other = open_project(tmp_path / "copy.qcoder.db")
    try:
        add_document(other, STATEMENTS, name="访谈")
        again = other.run(lambda s: apply_bundle(s, dumped))
        assert again.relocated == [] and again.codings_added == 3
        assert dump_bundle(other) == dumped
    finally:
        other.close()


def test_malformed_bundles_are_refused_before_the_database(project: Project, tmp_path: Path) -> None:
    bad = copy.deepcopy(_small_bundle())
    bad["codes"].append(dict(bad["codes"][1]))
    path = tmp_path / "dup.json"
    path.write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(QcoderError, match="appears twice"):
        load_bundle(project, path)
    (tmp_path / "not.json").write_text("{", encoding="utf-8")
    with pytest.raises(QcoderError, match="not valid JSON"):
        load_bundle(project, tmp_path / "not.json")
    with pytest.raises(QcoderError, match="no coding bundle"):
        load_bundle(project, tmp_path / "missing.json")
