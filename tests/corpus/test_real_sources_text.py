"""Plain text as real sources bring it: transcripts with speakers and times, one post per line,
paragraphs without final punctuation, ASCII question marks after Chinese, Windows Big5.

The short cases are the ones issue 14 lists (cut from real texts); each must give exactly the
statements a reader would cut.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qcoder.corpus.clean import ns
from qcoder.corpus.decode import decode
from qcoder.corpus.pipeline import describe, process
from qcoder.corpus.transcript import text_sources
from qcoder.corpus.types import Decoded, ImportRefused, PipelineOptions, ProcessedDocument

SEEDS = sorted((Path(__file__).resolve().parents[2] / "sample_corpus").glob("00*.txt"))


def run(text: str, **options: object) -> ProcessedDocument:
    return process(text.encode("utf-8"), PipelineOptions(**options), filename="case.txt")  # type: ignore[arg-type]


def said(d: ProcessedDocument) -> list[str]:
    return [d.text[s.start : s.end] for s in d.spans]


def test_weibo_posts_one_per_line() -> None:
    text = "首都不适合生活呀//@张栋: 下一站，西安！http://t.cn/zTI9C3O\n介绍一下许心馨老师：波士顿大学MBA，NLP高级培训师\n顶起！！\n"
    d = run(text, units="lines")
    assert said(d) == [
        "首都不适合生活呀//@张栋: 下一站，西安！http://t.cn/zTI9C3O",
        "介绍一下许心馨老师：波士顿大学MBA，NLP高级培训师",
        "顶起！！",
    ]
    assert [s.kind for s in d.spans] == ["sentence"] * 3


def test_paragraph_units() -> None:
    text = "第一个回答没有标点\n还在第一个回答里\n\n第二个回答。有两句。\n"
    d = run(text, units="paragraphs")
    assert said(d) == ["第一个回答没有标点还在第一个回答里", "第二个回答。有两句。"]


def test_unknown_units_are_refused() -> None:
    with pytest.raises(ImportRefused, match="units 'words' unknown"):
        run("一句。", units="words")


def test_a_blank_line_ends_a_paragraph_without_final_punctuation() -> None:
    text = "杨燕绥形容自己每天用长竿来试探老人的生死，十分无奈\n\n他的儿子第二天才来，我就问他，你住得不远，为什么这么晚才来？\n"
    assert said(run(text)) == [
        "杨燕绥形容自己每天用长竿来试探老人的生死，十分无奈",
        "他的儿子第二天才来，我就问他，你住得不远，为什么这么晚才来？",
    ]


def test_two_speakers_are_never_one_statement() -> None:
    text = "問：究竟有否邀請你，這是一個事實？（指林鄭月娥有否邀請陳美齡任教育局長）\n\n陳：就算她是考慮都是對我很大鼓勵，大家都熱心希望小朋友好。\n"
    d = run(text)
    assert [(d.text[s.start : s.end], s.attributes["speaker"]) for s in d.spans] == [
        ("究竟有否邀請你，這是一個事實？", "問"),
        ("（指林鄭月娥有否邀請陳美齡任教育局長）", "問"),
        ("就算她是考慮都是對我很大鼓勵，大家都熱心希望小朋友好。", "陳"),
    ]


def test_every_statement_of_a_turn_has_its_speaker_and_time() -> None:
    text = "[00:01:23] 访谈者：您好，请先介绍一下自己。\n[00:01:30] 受访者：我叫张三，今年45岁。在村里种地。\n"
    d = run(text)
    assert [(d.text[s.start : s.end], s.attributes) for s in d.spans] == [
        ("您好，请先介绍一下自己。", {"speaker": "访谈者", "time": "00:01:23"}),
        ("我叫张三，今年45岁。", {"speaker": "受访者", "time": "00:01:30"}),
        ("在村里种地。", {"speaker": "受访者", "time": "00:01:30"}),
    ]
    report = describe(d)
    assert "speakers: 受访者 2 statements, 访谈者 1 statements" in report
    assert "    1× '[00:01:30] 受访者：'" in report
    read, kept = len(ns(text)), len(ns(d.text))
    assert f"characters: {read:,} read = {kept:,} kept + {read - kept:,} removed (listed above)" in report


def test_ascii_question_marks_after_chinese_end_sentences_and_are_not_mojibake() -> None:
    d = run("是因为习主席为奖学金写了贺信吗? 中国的记者编辑怎么做? 新闻学又怎么教?\n")
    assert said(d) == ["是因为习主席为奖学金写了贺信吗?", "中国的记者编辑怎么做?", "新闻学又怎么教?"]
    assert d.mojibake == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "说话人1 00:02:10\n您好，请先介绍一下自己。\n说话人2 00:02:15\n我叫张三。今年45岁\n\n在村里种地。\n",
            [
                ("您好，请先介绍一下自己。", "说话人1", "00:02:10"),
                ("我叫张三。", "说话人2", "00:02:15"),
                ("今年45岁", "说话人2", "00:02:15"),
                ("在村里种地。", "说话人2", "00:02:15"),  # the turn goes on after a blank line
            ],
        ),
        (
            "Interviewer: How did you start?\nP1: I came back in 2015. It was hard.\nInterviewer: Why?\n",
            [
                ("How did you start?", "Interviewer", ""),
                ("I came back in 2015.", "P1", ""),
                ("It was hard.", "P1", ""),
                ("Why?", "Interviewer", ""),
            ],
        ),
        (
            "主持人：大家好。\nQ: 你怎么看？\nA: 还行吧\n答：我同意。\n",
            [("大家好。", "主持人", ""), ("你怎么看？", "Q", ""), ("还行吧", "A", ""), ("我同意。", "答", "")],
        ),
    ],
)
def test_transcript_label_styles(text: str, expected: list[tuple[str, str, str]]) -> None:
    d = run(text)
    got = [(d.text[s.start : s.end], s.attributes.get("speaker", ""), s.attributes.get("time", "")) for s in d.spans]
    assert got == expected


def test_interviewer_turns_as_context() -> None:
    text = "问：您为什么回来？\n答：家里需要我。也想创业。\n问：后来呢？\n"
    d = run(text, interviewer_context=True)
    assert [(s.kind, s.attributes["speaker"]) for s in d.spans] == [
        ("context", "问"),
        ("sentence", "答"),
        ("sentence", "答"),
        ("context", "问"),
    ]
    assert "statements: 2 sentences, 0 headings, 2 interviewer turns kept as context (not for coding)" in describe(d)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seeds_are_not_transcripts(seed: Path) -> None:
    decoded = decode(seed.read_bytes(), max_bytes=10**8)
    assert text_sources(decoded, PipelineOptions()) is None


def test_a_paper_with_one_label_is_not_a_transcript() -> None:
    text = "摘要：本文研究返乡创业。\n关键词：创业；乡村\n正文第一段。\n"
    assert text_sources(Decoded(text, "utf-8", "test"), PipelineOptions()) is None


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        ("本案‧經過討論～大家都同意了。這是我們在台灣的學校裡面討論教育的問題。\n" * 3, "‧"),
        ("九○年度…\n", "九○年度…"),
    ],
)
def test_windows_big5_decodes_as_cp950(text: str, wanted: str) -> None:
    decoded = decode(text.encode("cp950"), max_bytes=10**8)
    assert decoded.text == text and decoded.encoding == "big5"
    assert wanted in decoded.text and "•" not in decoded.text and "∼" not in decoded.text


def test_an_overlong_line_unit_is_cut_and_reported() -> None:
    line = "这是一段很长的微博没有标点" * 100  # 1,300 characters
    d = run(line + "\n短的一条\n", units="lines")
    assert [s.end - s.start <= 1000 for s in d.spans] == [True] * len(d.spans)
    assert len(d.spans) == 3 and said(d)[-1] == "短的一条"
    assert ns("".join(said(d)[:2])) == ns(line)
    assert any("was cut into 2 pieces" in line for line in describe(d))
