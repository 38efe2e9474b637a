"""Search finds one- and two-character Chinese queries and whole words, on both backends."""

from __future__ import annotations

import pytest
from factories import add_document
from sqlalchemy import update

from qcoder.corpus.search import find_spans, search
from qcoder.errors import QcoderError
from qcoder.store.models import Sentence

STATEMENTS = ["创新联合体赋能新质生产力。", "企业创新，创新再创新。", "哈尔滨新区。", "AI 产业 (AI) 联盟。"]


@pytest.fixture
def searchable(project):  # type: ignore[no-untyped-def]
    add_document(project, STATEMENTS)
    tokens = [
        "创新 联合体 赋能 新质 生产力 。",
        "企业 创新 ， 创新 再 创新 。",
        "哈尔滨 新区 。",
        "AI 产业 ( AI ) 联盟 。",
    ]

    def work(session):  # type: ignore[no-untyped-def]
        for i, t in enumerate(tokens, 1):
            session.execute(update(Sentence).where(Sentence.ordinal == i).values(tokens=t))

    project.run(work)
    return project


def test_two_character_query_finds_every_occurrence(searchable) -> None:  # type: ignore[no-untyped-def]
    with searchable.session() as session:
        hits = search(session, "创新")
    assert [h.label for h in hits] == ["D01-S001", "D01-S002"]
    assert hits[1].matches == ((2, 4), (5, 7), (8, 10))
    assert hits[1].highlighted() == "企业【创新】，【创新】再【创新】。"


def test_one_character_query(searchable) -> None:  # type: ignore[no-untyped-def]
    with searchable.session() as session:
        assert [h.label for h in search(session, "哈")] == ["D01-S003"]
        assert [h.label for h in search(session, "新")] == ["D01-S001", "D01-S002", "D01-S003"]


def test_word_search_matches_whole_tokens_only(searchable) -> None:  # type: ignore[no-untyped-def]
    with searchable.session() as session:
        assert [h.label for h in search(session, "新区", mode="word")] == ["D01-S003"]
        assert search(session, "新", mode="word") == []  # inside words, not a word of its own
        assert [h.label for h in search(session, "ai", mode="word")] == ["D01-S004"]


def test_latin_query_is_case_insensitive(searchable) -> None:  # type: ignore[no-untyped-def]
    with searchable.session() as session:
        hits = search(session, "ai")
    assert [h.label for h in hits] == ["D01-S004"]
    assert len(hits[0].matches) == 2


def test_like_wildcards_are_literal(searchable) -> None:  # type: ignore[no-untyped-def]
    with searchable.session() as session:
        assert search(session, "%") == []
        assert search(session, "_") == []


def test_empty_query_is_a_clear_error(searchable) -> None:  # type: ignore[no-untyped-def]
    with searchable.session() as session, pytest.raises(QcoderError, match="search for what"):
        search(session, "  ")


def test_find_spans_non_overlapping() -> None:
    assert find_spans("哈哈哈", "哈哈") == ((0, 2),)
