"""Segmentation: domain terms stay whole, projects do not leak words into each other."""

from __future__ import annotations

import jieba

from qcoder.corpus.tokenize import add_user_words, base_tokenizer, keywords, quoted_phrases, tokenize, tokenizer_for

TERMS = ("新质生产力", "创新联合体", "揭榜挂帅")
TEXT = "创新联合体赋能新质生产力，通过揭榜挂帅的方式组织攻关。"


def test_user_words_stay_whole() -> None:
    (tokens,) = tokenize([TEXT], user_words=TERMS)
    for term in TERMS:
        assert term in tokens


def test_without_user_words_terms_are_cut() -> None:
    (tokens,) = tokenize([TEXT])
    assert "新质生产力" not in tokens and "揭榜挂帅" not in tokens


def test_user_words_do_not_leak_into_other_projects_or_global_jieba() -> None:
    tokenize([TEXT], user_words=TERMS)
    assert "揭榜挂帅" not in tokenize([TEXT])[0]
    assert "揭榜挂帅" not in tokenize([TEXT], user_words=("创新联合体",))[0]
    assert "揭榜挂帅" not in jieba.lcut(TEXT)
    assert tokenizer_for(TERMS) is tokenizer_for(reversed(TERMS))  # cached per word set
    assert tokenizer_for(()) is base_tokenizer()


def test_add_user_words_on_a_private_tokenizer() -> None:
    tk = tokenizer_for(("占位词",))
    assert add_user_words(tk, ["双循环新格局", " ", ""]) == 1
    assert "双循环新格局" in tk.lcut("构建双循环新格局")


def test_tokens_exclude_whitespace_and_keep_everything_else() -> None:
    texts = ["将 5G 应用到 传统产业\t中去。", "  "]
    result = tokenize(texts)
    assert result[1] == []
    assert all(t.strip() for t in result[0])
    assert "".join(result[0]) == "".join(texts[0].split())


def test_keywords_prefer_content_words() -> None:
    text = "创新联合体赋能新质生产力。" * 3 + "创新联合体是新质生产力的新质载体，企业是创新主体。"
    top = keywords(text, 5, user_words=TERMS)
    assert set(top[:2]) == {"创新联合体", "新质生产力"}
    assert "的" not in top


def test_quoted_phrases_in_order_without_duplicates() -> None:
    text = "推动“新基建”发展，“新基建”是指「揭榜挂帅」和『有组织的科研』，“ ”不算"
    assert quoted_phrases(text) == ["新基建", "揭榜挂帅", "有组织的科研"]
