"""Word frequencies per code from the stored jieba tokens, with stop words filtered."""

from __future__ import annotations

import pytest
from factories import add_document
from sqlalchemy import update

from qcoder.analysis.words import is_content_word, load_stopwords, word_frequencies, words_table
from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project
from qcoder.store.models import Sentence

TOKENS = [
    "企业 是 科技 创新 的 主体 。",
    "创新 联合体 整合 创新 资源 ， 大",
    "政府 提供 政策 支持 2024年 10 % 5G",
    "没有 编码 的 创新 语句",
]


@pytest.fixture
def coded(project: Project) -> dict[str, int]:
    add_document(project, ["甲。", "乙。", "丙。", "丁。"])

    def set_tokens(session) -> None:  # type: ignore[no-untyped-def]
        for ordinal, tokens in enumerate(TOKENS, start=1):
            session.execute(update(Sentence).where(Sentence.ordinal == ordinal).values(tokens=tokens))

    project.run(set_tokens)
    alice, bob = Workbench(project, "alice"), Workbench(project, "bob")
    category = alice.create_code("范畴", 1)
    x = alice.create_code("X", 0, parent_id=category.id, code_sentences=[1, 2])
    y = alice.create_code("Y", 0, parent_id=category.id, code_sentences=[3])
    bob.code_statements([2], x.id)  # a second coder on statement 2 must not double its words
    return {"X": x.id, "Y": y.id, "范畴": category.id}


def _by_name(found) -> dict:  # type: ignore[no-untyped-def]
    return {cw.name: cw for cw in found}


def test_words_per_concept_count_each_statement_once(project: Project, coded: dict[str, int]) -> None:
    with project.session() as session:
        found = _by_name(word_frequencies(session, level=0))
    x, y = found["X"], found["Y"]
    assert x.statements == 2
    assert x.words == [("创新", 3), ("主体", 1), ("企业", 1), ("整合", 1), ("科技", 1), ("联合体", 1), ("资源", 1)]
    assert y.words == [("提供", 1), ("支持", 1), ("政府", 1), ("政策", 1)]  # 2024年, 10, %, 5G dropped


def test_overall_words_cover_only_coded_statements(project: Project, coded: dict[str, int]) -> None:
    with project.session() as session:
        overall = word_frequencies(session, level=0)[0]
    assert overall.id is None and overall.statements == 3
    assert dict(overall.words)["创新"] == 3  # statement 4 is not coded: its 创新 does not count
    assert "语句" not in dict(overall.words)


def test_categories_roll_up_and_top_limits(project: Project, coded: dict[str, int]) -> None:
    with project.session() as session:
        category = _by_name(word_frequencies(session, level=1, top=2))["范畴"]
        bob = _by_name(word_frequencies(session, level=0, coder="bob"))
    assert category.statements == 3 and category.words == [("创新", 3), ("主体", 1)]
    assert bob["X"].words[0] == ("创新", 2) and bob["Y"].statements == 0 and bob["Y"].words == []


def test_min_length_and_custom_stop_words(project: Project, coded: dict[str, int]) -> None:
    with project.session() as session:
        singles = dict(_by_name(word_frequencies(session, level=0, min_length=1, top=20))["X"].words)
        custom = dict(_by_name(word_frequencies(session, level=0, stopwords=frozenset({"创新"}), top=20))["X"].words)
    assert singles["大"] == 1 and "是" not in singles and "，" not in singles
    assert "创新" not in custom and custom["企业"] == 1


def test_stop_word_list_and_filter() -> None:
    stop = load_stopwords()
    assert {"的", "我们", "因此"} <= stop and not any(w.startswith("#") for w in stop)
    assert is_content_word("创新联合体", 2, stop)
    assert not is_content_word("我们", 2, stop)
    assert not is_content_word("2024年", 2, stop) and not is_content_word("10%", 2, stop)
    assert not is_content_word("——", 2, stop) and not is_content_word("创", 2, stop)
    assert is_content_word("AI", 2, stop) and is_content_word("5G网络", 2, stop)


def test_words_table_long_form(project: Project, coded: dict[str, int]) -> None:
    with project.session() as session:
        table = words_table(session, level=0, top=1)
    assert table.columns == ["编码", "语句数", "排名", "词语", "词频"]
    assert table.rows == [["全部已编码语句", 3, 1, "创新", 3], ["X", 2, 1, "创新", 3], ["Y", 1, 1, "提供", 1]]


def test_statements_without_tokens(project: Project) -> None:
    add_document(project, ["甲。", "乙。", "丙。"])
    project.run(lambda s: s.execute(update(Sentence).values(tokens="")))
    project.run(lambda s: s.execute(update(Sentence).where(Sentence.ordinal == 2).values(tokens="创新 驱动")))
    Workbench(project, "alice").create_code("X", 0, code_sentences=[1, 2, 3])  # first and last have no tokens
    with project.session() as session:
        found = _by_name(word_frequencies(session, level=0))
    assert found["X"].statements == 3 and found["X"].words == [("创新", 1), ("驱动", 1)]


def test_content_word_filter_matches_its_definition_for_every_character() -> None:
    """Letters counted one by one, as the filter is defined, for words of every code point."""

    def by_definition(token: str) -> bool:
        letters = sum(ch.isalpha() for ch in token)
        return letters > 0 and not (any(ch.isdigit() for ch in token) and letters < 2)

    for point in range(0x30000):
        if 0xD800 <= point <= 0xDFFF:
            continue
        ch = chr(point)
        for token in (ch + ch, ch + "字", "2" + ch):
            assert is_content_word(token, 2, frozenset()) == by_definition(token), hex(point)
