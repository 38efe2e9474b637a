"""Writes sources made by other programs than qcoder, with the generator's own record of what they hold.

* ``gen_interview.srt`` — ``srt.compose`` (the srt library's writer): a speech-recognition style interview,
  ``访谈者：`` / ``受访者：`` labels on the first cue of a turn, cues without final punctuation, two-line cues,
  emoji and Extension-B characters (𠀀 𪚥);
* ``gen_asr.srt`` — ``srt.compose`` again, as speech recognition writes it: no punctuation at all,
  ``说话人1：`` labels;
* ``gen_focus.vtt`` — webvtt-py's writer (``WebVTT(captions=[Caption(...)]).write``): ``<v Name>`` voices,
  one voice's sentence over several cues, a speaker change in mid-sentence;
* ``gen_transcript.md`` / ``gen_transcript.html`` — a transcript saved as Markdown (PyYAML front matter,
  ``访谈者：`` ``问：`` ``Q:`` labels, one turn per line, two turns per paragraph) and the HTML markdown-it-py
  renders from it;
* ``gen_report.html`` — Markdown rendered to HTML by markdown-it-py (CommonMark + tables): several paragraphs
  (one hard-wrapped), bold/italic/links, a list, a blockquote, a table;
* ``gen_notes.md`` — front matter dumped by PyYAML and a body written from a structure: headings, paragraphs
  without final punctuation, a list, a table.

``generated.json`` is the generators' own data: every cue (speaker, start, text), every paragraph, list
item and table cell in document order, and the front matter as PyYAML reads it back. The tests check
against it that nothing is lost. Run from the repository root when the corpus must change:
    python tests/data/sources/make_generated.py
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent

# (speaker, [cue, cue, ...]) — the label is written on the first cue of each turn only, as recorders do
SRT_TURNS: list[tuple[str, list[str]]] = [
    ("访谈者", ["您好 今天想跟您聊聊返乡创业的事", "您是哪一年回来的？"]),
    ("受访者", ["2019年回来的", "那时候在深圳打工\n觉得没啥前途😂", "就回村里种草莓了"]),
    ("访谈者", ["种草莓顺利吗"]),
    (
        "受访者",
        [
            "第一年亏了三万块。第二年开始\n做直播带货",
            "我们村叫𠀀溪村 这个字输入法打不出来",
            "我姓𪚥，龙字叠起来的那个👍",
        ],
    ),
    ("访谈者", ["好的 谢谢您"]),
]

# speech recognition output: no punctuation at all, a speaker label on the first cue of each turn
ASR_TURNS: list[tuple[str, list[str]]] = [
    ("说话人1", ["那我们就开始吧", "您先说说您家里的情况"]),
    ("说话人2", ["我家就我和老伴两个人", "儿子在广州打工 一年回来一次", "孙子在𠀀溪小学上学😊"]),
    ("说话人1", ["平时谁照顾您们"]),
    ("说话人2", ["基本靠自己 有时候邻居帮忙", "我们那个𪚥字辈的老人都这样"]),
]

# (voice, cue text) — consecutive cues of one voice form a turn
VTT_CUES: list[tuple[str, str]] = [
    ("主持人", "欢迎大家来参加今天的座谈"),
    ("主持人", "先请王阿姨说说\n社区食堂的情况"),
    ("王阿姨", "食堂挺好的🍚 就是"),
    ("王阿姨", "菜少了点。我孙子说𠀀这个字念什么"),
    ("李师傅", "我插一句 楼里没电梯"),
    ("李师傅", "老人下不了楼!"),
    ("主持人", "好，我们记下了"),
]

# a transcript saved as Markdown: one line per turn (soft line breaks), some turns in paragraphs of their own
TRANSCRIPT_TURNS: list[tuple[str, str]] = [
    ("访谈者", "您好 请先介绍一下自己"),
    ("受访者", "我叫张三 今年45岁 在村里种地"),
    ("访谈者", "合作社是哪一年成立的？"),
    ("受访者", "2018年。当时只有五户😊"),
    ("问", "村名里的𠀀字怎么读"),
    ("答", "我也说不准 老人们都这么叫"),
    ("Q", "Do you sell online"),
    ("A", "Yes, since 2021. Mostly strawberries"),
]
TRANSCRIPT_FRONT: dict[str, Any] = {"受访者": "张三", "地点": "𪚥家村"}

REPORT_TITLE = "社区养老服务调查（生成稿）"
# Markdown blocks: (kind, text as Markdown, its plain text) in document order
REPORT_BLOCKS: list[tuple[str, Any]] = [
    ("heading", "# 社区养老服务调查"),
    ("paragraph", "本次调查覆盖**十二个**社区，共访问老年人三百二十人"),
    ("paragraph", "受访者普遍提到*助餐*和[上门护理](https://example.org/care)两项服务\n其中助餐点最受欢迎。"),
    ("paragraph", "有位老人说：“我们𪚥姓人家在村里住了三百年😊”"),
    ("list", ["希望在家养老", "希望子女常回家看看", "对𠀀溪村卫生站不满意"]),
    ("quote", "养老不离家，是大多数人的愿望"),
    ("table", [["社区", "满意度", "备注"], ["东城", "85%", "助餐点新开"], ["𠀀溪村", "62%", "路远😢"]]),
    ("paragraph", "Most respondents prefer home-based care\nand would pay for meals."),
]

NOTES_FRONT: dict[str, Any] = {
    "title": "返乡青年访谈笔记",
    "受访者": "李明",
    "地区": "四川",
    "日期": dt.date(2026, 5, 12),
    "标签": ["返乡", "创业"],
}
NOTES_BLOCKS: list[tuple[str, Any]] = [
    ("heading", "访谈经过"),
    ("paragraph", "受访者在村口的合作社接受访谈 全程约一小时"),
    ("paragraph", "他提到第一年种草莓亏了三万块\n第二年开始做直播带货😂"),
    ("heading", "关键事件"),
    ("list", ["2019年返乡", "2021年成立合作社", "2023年扭亏为盈👍"]),
    ("table", [["年份", "收入"], ["2020", "亏损"], ["2023", "盈利𠀀万"]]),
    ("paragraph", "他姓𪚥 村里人都这么写"),
]


def _plain(markdown: str) -> str:
    """The text a reader sees of one generated Markdown line: markers and link targets gone."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parseInline(markdown)
    out: list[str] = []
    for token in tokens:
        for child in token.children or []:
            if child.type == "text":
                out.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                out.append("\n")
    return "".join(out)


def _markdown(blocks: list[tuple[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    """Markdown text written from the block structure, and the units a reader must find, in order."""
    lines: list[str] = []
    units: list[dict[str, str]] = []
    for kind, value in blocks:
        if kind == "heading":
            level = len(value) - len(value.lstrip("#")) if value.startswith("#") else 2
            text = value.lstrip("# ") if value.startswith("#") else value
            lines.append(f"{'#' * level} {text}")
            units.append({"kind": "heading", "text": text})
        elif kind == "paragraph":
            lines.append(value)
            units.append({"kind": "paragraph", "text": _plain(value)})
        elif kind == "quote":
            lines.append(f"> {value}")
            units.append({"kind": "paragraph", "text": value})
        elif kind == "list":
            lines.append("\n".join(f"- {item}" for item in value))
            units.extend({"kind": "list_item", "text": item} for item in value)
        elif kind == "table":
            header, *rows = value
            table = [f"| {' | '.join(header)} |", f"|{'---|' * len(header)}"]
            table.extend(f"| {' | '.join(row)} |" for row in rows)
            lines.append("\n".join(table))
            units.extend({"kind": "table_row", "text": " ".join(row), "cells": row} for row in value)
        lines.append("")
    return "\n".join(lines), units


def _srt(turns: list[tuple[str, list[str]]]) -> tuple[str, list[dict[str, Any]]]:
    import srt

    subtitles, cues = [], []
    at = 2.0
    for speaker, texts in turns:
        for i, text in enumerate(texts):
            label = f"{speaker}：" if i == 0 else ""
            start, end = dt.timedelta(seconds=at), dt.timedelta(seconds=at + 2.5)
            subtitles.append(srt.Subtitle(index=len(subtitles) + 1, start=start, end=end, content=label + text))
            cues.append({"speaker": speaker, "start": int(at), "label": label, "text": text})
            at += 3.0
        at += 7.0
    return srt.compose(subtitles), cues


def _vtt() -> tuple[str, list[dict[str, Any]]]:
    from webvtt import Caption, WebVTT

    captions, cues = [], []
    at = 61.0
    for voice, text in VTT_CUES:
        start = f"{int(at) // 3600:02d}:{int(at) % 3600 // 60:02d}:{int(at) % 60:02d}.000"
        stop = f"{int(at + 2) // 3600:02d}:{int(at + 2) % 3600 // 60:02d}:{int(at + 2) % 60:02d}.500"
        captions.append(Caption(start, stop, f"<v {voice}>{text}"))
        cues.append({"speaker": voice, "start": int(at), "label": "", "text": text})
        at += 3.0
    out = io.StringIO()
    WebVTT(captions=captions).write(out)
    return out.getvalue(), cues


def _html() -> tuple[str, list[dict[str, str]]]:
    from markdown_it import MarkdownIt

    markdown, units = _markdown(REPORT_BLOCKS)
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    page = (
        '<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{REPORT_TITLE}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
    return page, units


def _notes() -> tuple[str, list[dict[str, str]], str]:
    import yaml

    front = yaml.safe_dump(NOTES_FRONT, allow_unicode=True, sort_keys=False)
    body, units = _markdown(NOTES_BLOCKS)
    return f"---\n{front}---\n\n{body}", units, front


def _transcript() -> tuple[str, str, list[dict[str, str]], str]:
    """The transcript as Markdown (PyYAML front matter; turns two per paragraph, one line each) and as
    the HTML markdown-it-py renders from it; the turns as written."""
    import yaml
    from markdown_it import MarkdownIt

    front = yaml.safe_dump(TRANSCRIPT_FRONT, allow_unicode=True, sort_keys=False)
    colon = {True: ": ", False: "："}
    lines = [f"{who}{colon[who.isascii()]}{text}" for who, text in TRANSCRIPT_TURNS]
    paragraphs = ["\n".join(lines[i : i + 2]) for i in range(0, len(lines), 2)]
    body = "\n\n".join(paragraphs) + "\n"
    turns = [{"speaker": who, "label": f"{who}{colon[who.isascii()]}", "text": text} for who, text in TRANSCRIPT_TURNS]
    html = (
        '<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>访谈转写</title></head>\n<body>\n'
        f"{MarkdownIt('commonmark').render(body)}</body>\n</html>\n"
    )
    return f"---\n{front}---\n\n{body}", html, turns, front


def main() -> None:
    import yaml

    srt_text, srt_cues = _srt(SRT_TURNS)
    asr_text, asr_cues = _srt(ASR_TURNS)
    vtt_text, vtt_cues = _vtt()
    html, html_units = _html()
    notes, notes_units, front = _notes()
    (HERE / "gen_interview.srt").write_text(srt_text, encoding="utf-8")
    (HERE / "gen_asr.srt").write_text(asr_text, encoding="utf-8")
    transcript_md, transcript_html, turns, transcript_front = _transcript()
    (HERE / "gen_transcript.md").write_text(transcript_md, encoding="utf-8")
    (HERE / "gen_transcript.html").write_text(transcript_html, encoding="utf-8")
    (HERE / "gen_focus.vtt").write_text(vtt_text, encoding="utf-8")
    (HERE / "gen_report.html").write_text(html, encoding="utf-8")
    (HERE / "gen_notes.md").write_text(notes, encoding="utf-8")
    record = {
        "gen_interview.srt": {"cues": srt_cues},
        "gen_asr.srt": {"cues": asr_cues},
        "gen_focus.vtt": {"cues": vtt_cues},
        "gen_transcript.md": {"turns": turns, "front_matter_text": transcript_front},
        "gen_transcript.html": {"turns": turns, "title": "访谈转写"},
        "gen_report.html": {"units": html_units, "title": REPORT_TITLE},
        "gen_notes.md": {
            "units": notes_units,
            "front_matter_text": front,
            "front_matter": yaml.safe_load(front),  # PyYAML's own reading of what it wrote
        },
    }
    (HERE / "generated.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
