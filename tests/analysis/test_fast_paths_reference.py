"""The vectorised analyses equal plain Python counts on random projects.

Random projects: tokens with emoji, Extension-B characters, punctuation, digits, stop words,
words longer than the 16-byte hash key and empty statements; a three-level hierarchy, three
coders, uncoded statements, documents in an order their statement ids do not follow. The
references split each statement's stored tokens, walk the codes up to their parents and count
with ``collections.Counter`` and sets.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import pytest
from factories import add_document
from sqlalchemy import select, update

from qcoder.analysis.frequencies import code_document_matrix, code_frequencies, cooccurrence
from qcoder.analysis.hierarchy import hierarchy
from qcoder.analysis.words import is_content_word, load_stopwords, word_frequencies
from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project
from qcoder.store.models import Sentence

# pairs alike in their first 8 or 16 bytes: the hash key must compare them whole
PIECES = [
    "创新",
    "企业",
    "的",
    "我们",
    "因此",
    "政策",
    "支持",
    "中华人民共和国国务院办公厅",
    "中华人民共和国国务院新闻办",
    "😀",
    "😀👍",
    "科技😀",
    "𠮷",
    "𠮷野家",
    "𪚥𪚥",
    "，",
    "。",
    "！？",
    "……",
    "2024年",
    "3个",
    "10",
    "%",
    "5G",
    "abc",
    "ab",
    "a",
    "é",
    "Ωmega",
    "x1",
    "数字化转型升级",
    "联合体",
    "大",
    "是",
    "Straße",
    "数字化转型",
    "数字化转化",
    "abcdefghijklmnop",
    "abcdefghijklmnoq",
    "abcdefghijklmnopq",
    "abcdefghijklmnopr",
]


def _random_tokens(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return ""
    return " ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 25)))


def _reference(
    tokens: dict[int, str],
    codings: list[tuple[int, int, str]],  # (statement id, code id, coder)
    parent: dict[int, int | None],
    wanted: list[int],
    *,
    coder: str | None,
    rolled: bool,
    min_length: int,
    stopwords: frozenset[str],
    top: int,
) -> tuple[tuple[int, list[tuple[str, int]]], dict[int, tuple[int, list[tuple[str, int]]]]]:
    """(statements, top words) of all coded statements and of each wanted code, counted plainly."""
    members: dict[int, set[int]] = {code: set() for code in parent}
    for sid, code, who in codings:
        if coder is not None and who != coder:
            continue
        at: int | None = code
        while at is not None:
            members[at].add(sid)
            at = parent[at] if rolled else None

    def top_words(statements: set[int]) -> tuple[int, list[tuple[str, int]]]:
        counts: Counter[str] = Counter()
        for sid in statements:
            counts.update(t for t in tokens[sid].split() if is_content_word(t, min_length, stopwords))
        return len(statements), sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:top]

    everything = {sid for sid, _code, who in codings if coder is None or who == coder}
    return top_words(everything), {code: top_words(members[code]) for code in wanted}


@dataclass
class Random:
    ids: list[int]
    doc_of: dict[int, int]  # statement id → document id
    tokens: dict[int, str]
    codings: list[tuple[int, int, str]]  # (statement id, code id, coder)
    parent: dict[int, int | None]
    level_of: dict[int, int]


def _random_project(project: Project, seed: int) -> Random:
    rng = random.Random(seed)
    doc_ids = [add_document(project, [f"语句{d}-{i}。" for i in range(rng.randint(30, 60))]) for d in range(3)]

    def shuffle_first_document(session) -> None:  # type: ignore[no-untyped-def]
        # ordinals reversed (in two steps: they are unique per document): ids run against the order
        first = Sentence.document_id == doc_ids[0]
        session.execute(update(Sentence).where(first).values(ordinal=Sentence.ordinal + 1000))
        session.execute(update(Sentence).where(first).values(ordinal=2000 - Sentence.ordinal))

    project.run(shuffle_first_document)
    with project.session() as session:
        rows = session.execute(select(Sentence.id, Sentence.document_id).order_by(Sentence.id)).all()
    ids = [sid for sid, _doc in rows]
    tokens = {sid: _random_tokens(rng) for sid in ids}

    def set_tokens(session) -> None:  # type: ignore[no-untyped-def]
        for sid, text in tokens.items():
            session.execute(update(Sentence).where(Sentence.id == sid).values(tokens=text))

    project.run(set_tokens)
    coders = {name: Workbench(project, name) for name in ("alice", "bob", "carol")}
    alice = coders["alice"]
    parent: dict[int, int | None] = {}
    level_of: dict[int, int] = {}
    core = alice.create_code("核心", 2).id
    parent[core], level_of[core] = None, 2
    for c in range(3):
        category = alice.create_code(f"范畴{c}", 1, parent_id=core if c else None).id
        parent[category], level_of[category] = core if c else None, 1
        for k in range(rng.randint(1, 4)):
            concept = alice.create_code(f"概念{c}-{k}", 0, parent_id=category).id
            parent[concept], level_of[concept] = category, 0
    codings: list[tuple[int, int, str]] = []
    for name, workbench in coders.items():
        for code in parent:
            chosen = [sid for sid in ids[: int(len(ids) * 0.85)] if rng.random() < 0.15]  # the last ones stay uncoded
            if chosen:
                workbench.code_statements(chosen, code)
                codings += [(sid, code, name) for sid in chosen]
    return Random(ids, dict(rows), tokens, codings, parent, level_of)


def _members(r: Random, coder: str | None, rolled: bool) -> dict[int, set[int]]:
    """Statements of each code (and, rolled up, of its subtree)."""
    members: dict[int, set[int]] = {code: set() for code in r.parent}
    for sid, code, who in r.codings:
        if coder is not None and who != coder:
            continue
        at: int | None = code
        while at is not None:
            members[at].add(sid)
            at = r.parent[at] if rolled else None
    return members


@pytest.mark.parametrize("seed", [3])
def test_frequencies_matrix_cooccurrence_and_hierarchy_equal_plain_counts(project: Project, seed: int) -> None:
    r = _random_project(project, seed)
    for coder, rolled in ((None, True), ("bob", True), (None, False), ("carol", False)):
        members = _members(r, coder, rolled)
        with project.session() as session:
            found = {f.id: f for f in code_frequencies(session, coder=coder, rolled=rolled)}
            matrix = code_document_matrix(session, level=None, coder=coder, rolled=rolled)
            pairs = cooccurrence(session, level=None, coder=coder, rolled=rolled)
        per_coder = {name: _members(r, name, rolled) for name in ("alice", "bob", "carol") if coder in (None, name)}
        for code, sids in members.items():
            f = found[code]
            assert f.statements == len(sids), (coder, rolled, f.name)
            assert f.documents == len({r.doc_of[s] for s in sids})
            assert f.per_coder == {name: len(m[code]) for name, m in per_coder.items()}
        doc_ids = sorted(set(r.doc_of.values()))
        for row, (code, _name) in enumerate(matrix.codes):
            assert matrix.counts[row].tolist() == [sum(r.doc_of[s] == d for s in members[code]) for d in doc_ids]
        for a, (code_a, _) in enumerate(pairs.codes):
            for b, (code_b, _) in enumerate(pairs.codes):
                assert int(pairs.counts[a, b]) == len(members[code_a] & members[code_b]), (coder, rolled)
    with project.session() as session:
        h = hierarchy(session)
    everyone = _members(r, None, True)
    assert h.total_statements == len(r.ids)
    assert h.coded_statements == len({sid for sid, _c, _w in r.codings})
    assert {c.id: c.statements for c in h.codes} == {code: len(s) for code, s in everyone.items()}
    assert {c.id: c.coders for c in h.codes} == {
        code: tuple(sorted({w for sid, c, w in r.codings if c == code or _below(r, c, code)})) for code in r.parent
    }


def _below(r: Random, code: int, ancestor: int) -> bool:
    at = r.parent[code]
    while at is not None:
        if at == ancestor:
            return True
        at = r.parent[at]
    return False


@pytest.mark.parametrize("seed", [1, 2])
def test_word_frequencies_equal_a_plain_count(project: Project, seed: int) -> None:
    r = _random_project(project, seed)
    tokens, codings, parent, level_of = r.tokens, r.codings, r.parent, r.level_of
    stop = load_stopwords()
    cases = [
        {"level": 0, "coder": None, "rolled": True, "min_length": 2, "stopwords": None, "top": 10},
        {"level": 1, "coder": None, "rolled": True, "min_length": 2, "stopwords": None, "top": 5},
        {"level": None, "coder": "bob", "rolled": True, "min_length": 1, "stopwords": None, "top": 50},
        {"level": 2, "coder": "carol", "rolled": False, "min_length": 3, "stopwords": frozenset(), "top": 8},
        {"level": None, "coder": None, "rolled": False, "min_length": 1, "stopwords": frozenset({"创新"}), "top": 40},
    ]
    checked_words = 0
    for case in cases:
        with project.session() as session:
            found = word_frequencies(session, **case)  # type: ignore[arg-type]
        wanted = [cw.id for cw in found[1:] if cw.id is not None]
        assert sorted(wanted) == sorted(c for c in parent if case["level"] is None or level_of[c] == case["level"])
        overall, per_code = _reference(
            tokens,
            codings,
            parent,
            wanted,
            coder=case["coder"],  # type: ignore[arg-type]
            rolled=bool(case["rolled"]),
            min_length=int(case["min_length"]),  # type: ignore[call-overload]
            stopwords=stop if case["stopwords"] is None else case["stopwords"],  # type: ignore[arg-type]
            top=int(case["top"]),  # type: ignore[call-overload]
        )
        assert (found[0].statements, found[0].words) == overall, case
        for cw in found[1:]:
            assert cw.id is not None
            assert (cw.statements, cw.words) == per_code[cw.id], (case, cw.name)
            checked_words += len(cw.words)
    assert checked_words > 100  # the comparison covered real counts, not empty lists
