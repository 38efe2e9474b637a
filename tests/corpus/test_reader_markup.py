"""Markdown and HTML readers on the hand-written sources in tests/data/sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcoder.corpus.blocks import StructuredSource
from qcoder.corpus.readers.html import read_html
from qcoder.corpus.readers.markdown import read_markdown

SOURCES = Path(__file__).parents[1] / "data" / "sources"


def _visible(text: str) -> int:
    return len("".join(text.split()))


def _balanced(source: StructuredSource) -> bool:
    kept = sum(_visible(b.text) for b in source.blocks)
    removed = sum(_visible(x) for r in source.removed for x in r.removed)
    return source.read_chars == kept + removed


def _removed(source: StructuredSource, step: str) -> list[str]:
    return [x for r in source.removed if r.step == step for x in r.removed]


def test_markdown_front_matter_headings_lists_and_no_markup() -> None:
    [source] = read_markdown((SOURCES / "interview.md").read_bytes())
    assert source.document_attributes == {
        "title": "返乡青年访谈（第三次）",
        "受访者": "李明",
        "地区": "四川",
        "日期": "2026-05-12",
        "标签": "返乡、创业",
    }
    got = [(b.kind, b.level, b.text, *([b.attributes] if b.attributes else [])) for b in source.blocks]
    assert got == [
        ("heading", 1, "返乡青年访谈"),
        ("heading", 2, "一、基本情况"),
        # `****Q：…？****`: no asterisk survives; Q and A are speakers, their labels listed as removed
        ("turn", None, "您是哪一年回到村里的？", {"speaker": "Q"}),
        ("turn", None, "2019年回来的。那时候在深圳做了五年的电子厂工人，觉得没什么前途。", {"speaker": "A"}),
        ("turn", None, "受访者提到了合作社的网站，并展示了照片。", {"speaker": "A"}),  # the link keeps its text only
        ("heading", 2, "二、创业经过"),
        ("list_item", None, "第一年种草莓，亏了三万块"),
        ("list_item", None, "第二年开始做直播带货"),
        ("list_item", None, "现在合作社有二十多户参加"),  # inline <span> tags gone, text kept
        ("turn", None, "以下内容经受访者确认。", {"speaker": "整理者按"}),  # an HTML block's text, without tags
        ("table_row", None, "年份 收入"),
        ("table_row", None, "2020 亏损"),
        ("table_row", None, "2023 盈利"),
        ("paragraph", None, "The interview was conducted in Sichuanese and translated by the research team."),
    ]
    assert _removed(source, "markdown_images") == ["合作社的大棚，2021年"]
    assert any("合作社的大棚" in n for n in source.notes)
    assert _removed(source, "markdown_code") == ['# 访谈录音转写脚本，不是访谈内容\nprint("转写完成")']
    text = "".join(b.text for b in source.blocks)
    assert not any(mark in text for mark in ("*", "`", "<", "](", "---"))
    assert _removed(source, "speaker_labels") == ["Q：", "A：", "整理者按："]
    assert _balanced(source)


def test_markdown_bad_front_matter_is_reported_not_fatal() -> None:
    raw = "---\n: [unclosed\n---\n正文一句。\n".encode()
    [source] = read_markdown(raw)
    assert source.document_attributes == {}
    assert any("front matter" in n for n in source.notes)
    assert [b.text for b in source.blocks] == ["正文一句。"]
    assert _balanced(source)


def test_html_title_dropped_parts_lists_captions_and_tables() -> None:
    [source] = read_html((SOURCES / "page.html").read_bytes())
    assert source.document_attributes == {"title": "社区养老服务调查报告"}
    got = [(b.kind, b.level, b.text) for b in source.blocks]
    assert got == [
        ("heading", 1, "社区养老服务调查报告"),
        ("paragraph", None, "本次调查覆盖了十二个社区，共访问老年人三百二十人。数据已经公开。"),
        ("heading", 2, "主要发现"),
        ("list_item", None, "多数老人希望在家养老"),
        ("list_item", None, "助餐服务最受欢迎其次是上门护理"),
        ("caption", None, "图1 各社区满意度"),
        ("table_row", None, "社区 满意度"),
        ("table_row", None, "东城 85%"),
        ("paragraph", None, "Most respondents prefer home-based care."),
    ]
    dropped = _removed(source, "html_dropped")
    assert "首页 | 新闻中心" in dropped and "SELECT * FROM survey;" in dropped
    assert any("统计代码" in d for d in dropped) and any("页面加载完成" in d for d in dropped)
    assert _removed(source, "html_images") == ["各社区满意度柱状图"]
    assert "编辑备注" not in "".join(b.text for b in source.blocks)  # a comment is never text
    assert _balanced(source)


@pytest.mark.parametrize("reader", [read_html, read_markdown])
def test_empty_files_are_refused(reader: object) -> None:
    from qcoder.corpus.types import ImportRefused

    with pytest.raises(ImportRefused):
        reader(b"")  # type: ignore[operator]
