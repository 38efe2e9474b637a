"""In-vivo suggestions: quoted phrases first, then jieba keywords; accepting one codes and
adds the phrase to the project's user dictionary."""

from __future__ import annotations

from factories import add_document
from sqlalchemy import select

from qcoder.coding.suggest import accept, add_user_word, suggest
from qcoder.coding.workbench import Workbench
from qcoder.store.database import Project
from qcoder.store.models import Code, Coding
from qcoder.store.settings import get_setting

TEXT = "企业通过“揭榜挂帅”机制和「赛马制」组织关键核心技术攻关，关键核心技术攻关需要人才。"


def test_quoted_phrases_come_first_then_keywords() -> None:
    found = suggest(TEXT)
    assert [s.phrase for s in found[:2]] == ["揭榜挂帅", "赛马制"]
    assert {s.source for s in found[:2]} == {"quoted"}
    assert found[2:] and all(s.source == "keyword" for s in found[2:])
    phrases = [s.phrase for s in found]
    assert len(phrases) == len(set(phrases))


def test_existing_code_names_are_left_out() -> None:
    phrases = [s.phrase for s in suggest(TEXT, existing_names=["揭榜挂帅"])]
    assert "揭榜挂帅" not in phrases and phrases[0] == "赛马制"


def test_limit_and_short_phrases() -> None:
    assert len(suggest(TEXT, limit=3)) == 3
    assert all(len(s.phrase) >= 2 for s in suggest("“好”的“A”", limit=5))


def test_accept_creates_code_codes_statement_and_adds_word(project: Project) -> None:
    doc = add_document(project, [TEXT, "第二句。"])
    bench = Workbench(project, "小王")
    sentence = bench.statements(doc)[0]
    code = accept(bench, "赛马制", [sentence.id])
    assert code.name == "赛马制" and code.level == 0
    with project.session() as session:
        assert session.scalar(select(Coding.sentence_id).where(Coding.code_id == code.id)) == sentence.id
        words = get_setting(session, "user_words")
    assert words.count("赛马制") == 1
    assert bench.undo() is not None  # creating the code is one undoable step
    with project.session() as session:
        assert session.scalar(select(Code).where(Code.name == "赛马制")) is None


def test_add_user_word_is_idempotent(project: Project) -> None:
    assert project.run(lambda s: add_user_word(s, "专精特新")) is True
    assert project.run(lambda s: add_user_word(s, "专精特新")) is False
    with project.session() as session:
        assert get_setting(session, "user_words").count("专精特新") == 1
