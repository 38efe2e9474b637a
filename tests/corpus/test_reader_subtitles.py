"""Subtitle readers (.srt, .vtt) on hand-written files: turns, speakers, times, through the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcoder.corpus.pipeline import process
from qcoder.corpus.readers.subtitles import read_srt, read_vtt
from qcoder.corpus.types import ImportRefused, PipelineOptions

SOURCES = Path(__file__).parents[1] / "data" / "sources"


def _statements(name: str, options: PipelineOptions = PipelineOptions()) -> list[tuple[str, str, str, str]]:
    doc = process((SOURCES / name).read_bytes(), options, filename=name)
    return [
        (doc.text[s.start : s.end], s.attributes.get("speaker", ""), s.attributes.get("time", ""), s.kind)
        for s in doc.spans
    ]


def test_vtt_voices_become_speakers_and_cues_of_one_speaker_are_joined() -> None:
    assert _statements("focus_group.vtt") == [
        ("大家好，今天我们聊一聊社区养老。", "主持人", "00:00:01", "sentence"),
        # one sentence over two cues: joined, with the time of its first cue
        ("请各位先说说，家里老人平时是谁在照顾？", "主持人", "00:00:04", "sentence"),
        ("我家是我自己照顾，我老伴腿脚不好。", "王阿姨", "00:01:23", "sentence"),
        ("社区的助餐点帮了大忙。", "王阿姨", "00:01:28", "sentence"),
        ("中午饭基本都在那儿吃。", "王阿姨", "00:01:28", "sentence"),
        ("我们楼里没有电梯，老人下楼太难了!", "李师傅", "00:01:33", "sentence"),
    ]


def test_srt_labels_become_speakers_every_statement_keeps_them() -> None:
    got = _statements("interview.srt")
    assert got == [
        ("您好，请先介绍一下自己。", "访谈者", "00:00:02", "sentence"),
        ("我叫张三，今年45岁，在村里种地。", "受访者", "00:00:06", "sentence"),
        ("种了二十多年了，主要是水稻。", "受访者", "00:00:09", "sentence"),  # a cue without label: same turn
        ("合作社是哪一年成立的？", "访谈者", "00:00:12", "sentence"),
        ("2018年。", "受访者", "00:00:15", "sentence"),
        ("当时只有五户。", "受访者", "00:00:15", "sentence"),
    ]
    [source] = read_srt((SOURCES / "interview.srt").read_bytes())
    assert [x for r in source.removed for x in r.removed] == ["访谈者：", "受访者：", "访谈者：", "受访者："]


def test_interviewer_turns_can_be_kept_as_context() -> None:
    got = _statements("interview.srt", PipelineOptions(interviewer_context=True))
    assert [kind for _, speaker, _, kind in got if speaker == "访谈者"] == ["context", "context"]
    assert all(kind == "sentence" for _, speaker, _, kind in got if speaker == "受访者")


@pytest.mark.parametrize("name", ["focus_group.vtt", "interview.srt"])
def test_every_cue_character_is_kept_or_listed(name: str) -> None:
    reader = read_vtt if name.endswith(".vtt") else read_srt
    [source] = reader((SOURCES / name).read_bytes())
    kept = sum(len("".join(b.text.split())) for b in source.blocks)
    removed = sum(len("".join(x.split())) for r in source.removed for x in r.removed)
    assert source.read_chars == kept + removed > 0


def test_broken_subtitles_are_refused() -> None:
    with pytest.raises(ImportRefused, match="WEBVTT"):
        read_vtt("没有头的文件\n00:01 --> 00:02\n文字\n".encode())
    with pytest.raises(ImportRefused, match=r"\.srt"):
        read_srt(b"1\nnot a time\nhello\n")
