"""Code picker ranking: typing order first, pinyin initials for Chinese, fuzzy last."""

from __future__ import annotations

from qcoder.coding.picker import (
    EXACT,
    FUZZY,
    INITIALS_PREFIX,
    INITIALS_SUBSEQUENCE,
    PREFIX,
    SUBSEQUENCE,
    SUBSTRING,
    match_tier,
    pinyin_initials,
    rank,
)

NAMES = ["创新联合体", "协同创新", "创新", "政策支持", "融资支持", "数字化转型", "5G基站", "talent pool", "talent"]


def test_pinyin_initials_of_chinese_and_mixed_names() -> None:
    assert pinyin_initials("创新联合体") == "cxlht"
    assert pinyin_initials("5G基站") == "5gjz"


def test_pinyin_initials_find_chinese_names() -> None:
    assert rank("cxlht", NAMES)[0] == "创新联合体"
    assert match_tier("cxlht", "创新联合体") == (INITIALS_PREFIX, 0.0)
    assert match_tier("lht", "创新联合体") == (INITIALS_SUBSEQUENCE, 2.0)
    assert rank("zczc", NAMES) == ["政策支持"]


def test_typing_order_tiers() -> None:
    assert match_tier("创新", "创新")[0] == EXACT
    assert match_tier("创新", "创新联合体")[0] == PREFIX
    assert match_tier("创新", "协同创新")[0] == SUBSTRING
    assert match_tier("创联", "创新联合体")[0] == SUBSEQUENCE
    assert rank("创新", NAMES)[:3] == ["创新", "创新联合体", "协同创新"]


def test_exact_and_prefix_beat_fuzzy_and_shorter_wins_ties() -> None:
    assert rank("talent", NAMES)[:2] == ["talent", "talent pool"]
    assert rank("支持", NAMES) == ["政策支持", "融资支持"]  # equal tier and length: input order kept


def test_fuzzy_catches_typos_but_only_after_typing_order_matches() -> None:
    assert match_tier("talnet", "talent")[0] == FUZZY
    ranked = rank("talnet", ["talent", "talnet pool"])
    assert ranked[0] == "talnet pool"  # a prefix match outranks a closer fuzzy one
    assert "talent" in ranked


def test_empty_query_keeps_order_and_limit() -> None:
    assert rank("", NAMES) == NAMES
    assert rank("", NAMES, limit=3) == NAMES[:3]
    assert rank("zzzzqqq", NAMES) == []
