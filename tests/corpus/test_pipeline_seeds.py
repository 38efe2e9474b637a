"""Acceptance: the five seed documents import the way a researcher expects.

Each seed carries defects described in sample_corpus/README.md.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path

import pytest

from qcoder.corpus.clean import CLOSERS, FINAL, ns
from qcoder.corpus.pipeline import SUPPORTED, describe, process
from qcoder.corpus.types import ImportRefused, PipelineOptions, ProcessedDocument

SEEDS = Path(__file__).resolve().parents[2] / "sample_corpus"
NAMES = sorted(p.name for p in SEEDS.glob("00*.txt"))
TERMS = ("新质生产力", "创新联合体", "揭榜挂帅")

TONED = "āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ"
PINYIN_AFTER_CJK = re.compile(f"[\u4e00-\u9fff][(（][a-zü{TONED}]*[{TONED}][a-zü{TONED}]*[)）]")
PROPER_END = re.compile(f"(?:[{FINAL}]|\\.)[{CLOSERS}]*(?:\\[\\d+(?:[-–,，]\\d+)*\\])?$|[：:]$")
ENUMERATOR = re.compile(r"[一二三四五六七八九十]+是|[（(][一二三四五六七八九十\d]+[）)]|\d{1,2}[.、]")


@cache
def doc(name: str, to_simplified: bool = False) -> ProcessedDocument:
    raw = (SEEDS / name).read_bytes()
    return process(raw, PipelineOptions(to_simplified=to_simplified, user_words=TERMS), filename=name)


def statements(d: ProcessedDocument, kind: str | None = None) -> list[str]:
    return [d.text[s.start : s.end] for s in d.spans if kind is None or s.kind == kind]


def test_all_five_seeds_are_there() -> None:
    assert len(NAMES) == 5


@pytest.mark.parametrize("name", NAMES)
def test_page_furniture_is_gone(name: str) -> None:
    d = doc(name)
    assert "探索与创新" not in statements(d)
    assert not any(line.strip() == "探索与创新" for line in d.text.split("\n"))
    for footer in ("Vol. 3 No. 08", "Frontier of higher education", "2020Frontier"):
        assert footer not in d.text


@pytest.mark.parametrize("name", NAMES)
def test_no_pinyin_reading_survives_but_other_parentheses_do(name: str) -> None:
    d = doc(name)
    assert PINYIN_AFTER_CJK.search(d.text) is None
    raw_parens = re.findall(r"[(（](?:AI|试行|Computer|[a-z])[)）,]", d.decoded.text)
    for p in raw_parens:
        assert p in d.text


def test_003_keeps_latin_parentheses_and_loses_1189_readings() -> None:
    d = doc(NAMES[3])
    assert "3C(Computer,Communication,Comsumer Electronics)" in d.text
    pinyin = next(r for r in d.reports if r.step == "strip_pinyin")
    assert pinyin.changes >= 1180 and "(fā)" in pinyin.removed


def test_000_sentence_broken_over_lines_is_one_statement() -> None:
    d = doc(NAMES[0])
    (hit,) = [s for s in statements(d) if "提供了技术基础" in s]
    assert (
        hit
        == "摘要：科研事业的进步为我国产业结构的调整升级提供了技术基础，科学技术同企业生产的结合也将促进我国经济产生新的增长点。"
    )
    assert all("\n" not in s for s in statements(d))


def test_000_sentence_cut_by_the_footer_is_rejoined() -> None:
    d = doc(NAMES[0])
    assert any("以提高企业自身的制造能力、技术水平和管理水平为目的。" in s for s in statements(d))


@pytest.mark.parametrize("name", NAMES)
def test_statements_end_where_sentences_end(name: str) -> None:
    """≥ 95 % of sentence statements end with final punctuation (or a closer after it), a
    colon that opens a list, or just before an enumerator the splitter cuts at. The rest
    are listed: cut-off paragraphs, table rows, English affiliations in 003's back matter."""
    d = doc(name)
    spans = d.spans
    bad = []
    for i, s in enumerate(spans):
        if s.kind != "sentence":
            continue
        text = d.text[s.start : s.end]
        nxt = d.text[spans[i + 1].start : spans[i + 1].end] if i + 1 < len(spans) else ""
        if PROPER_END.search(text) or ENUMERATOR.match(nxt):
            continue
        bad.append(text)
    sentences = sum(1 for s in spans if s.kind == "sentence")
    assert len(bad) <= 0.05 * sentences, bad
    assert sentences >= 40


def test_002_word_split_across_page_break_is_joined() -> None:
    """The raw text has `引领哈` / `滨经济`: the 尔 is missing from the source itself, so the
    pipeline can only rejoin the halves into one statement; it does not invent characters."""
    d = doc(NAMES[2])
    (hit,) = [s for s in statements(d) if "哈滨经济" in s]
    assert hit.endswith("从而加快工业振兴步伐，引领哈滨经济发展迈上新台阶。")
    assert "\n" not in hit


def test_002_markdown_is_stripped_and_headings_are_headings() -> None:
    d = doc(NAMES[2])
    assert "##" not in d.text and "**" not in d.text
    headings = statements(d, "heading")
    assert {"学习金句", "科学内涵", "发展基础", "发展机遇", "发展重点"} <= set(headings)
    assert "改造提升传统产业。" in statements(d, "sentence")


def test_001_enumerations_and_headings() -> None:
    d = doc(NAMES[1])
    sents = statements(d, "sentence")
    assert "二是对外贸易结构单一，对全面振兴全方位振兴的带动作用不强；" in sents
    headings = statements(d, "heading")
    assert "（一）提高政治站位，以全方位开放推动全面振兴" in headings
    assert "二、全面振兴东北老工业基地同“一带一路”建设有机融合的对策建议" in headings
    assert (
        "（三）加强与国家重大区域发展战略对接合作，为黑龙江发展和共建“一带一路”创造更大的发展空间和更强的战略支撑"
        in headings
    )


def test_003_to_simplified() -> None:
    d = doc(NAMES[3], to_simplified=True)
    assert "新质生产力" in d.text and "创新联合体" in d.text
    assert "新質生產力" not in d.text
    assert any("新质生产力" in toks for toks in d.tokens)
    assert any("创新联合体" in toks for toks in d.tokens)
    assert "新質生產力" in doc(NAMES[3]).text  # off by default


def test_003_mojibake_is_flagged_and_kept() -> None:
    d = doc(NAMES[3])
    assert len(d.mojibake) >= 10
    for s, e in d.mojibake:
        assert "?" in d.text[s:e]
    raw_spots = ["?;诖耍疚陌凑粘绦蚧碚摲椒?", "??萍紕?", "高??梢酝ㄟ^"]
    for spot in raw_spots:
        assert spot in d.decoded.text and spot in d.text
    assert not any(doc(n).mojibake for n in NAMES if n != NAMES[3])


def test_004_letterhead_goes_content_stays() -> None:
    d = doc(NAMES[4])
    for gone in ("【领导批示】", "总第178期", "共印", "联系电话", "报： 省委常委", "送： 中宣部"):
        assert gone not in d.text
    assert "关于推动哈尔滨高新技术产业开发区发展的对策建议" in statements(d, "heading")
    assert any(s.startswith("一是改革创新的试金石") for s in statements(d))


@pytest.mark.parametrize("name", NAMES)
def test_nothing_lost_silently(name: str) -> None:
    d = doc(name)
    removed = sum(len(ns(r)) for rep in d.reports for r in rep.removed)
    assert len(ns(d.decoded.text)) == len(ns(d.text)) + removed
    covered = "".join(d.text[s.start : s.end] for s in d.spans)
    assert ns(covered) == ns(d.text)
    assert len(d.tokens) == len(d.spans)
    assert all(tokens for tokens in d.tokens)


def test_describe_reports_what_happened() -> None:
    lines = describe(doc(NAMES[0]))
    text = "\n".join(lines)
    assert lines[0].startswith("encoding: utf-8 (valid utf-8)")
    assert "  drop_page_furniture: 3 changes; removed:" in lines
    assert "    1× '250 Vol. 3 No. 08 2020Frontier of higher education'" in lines
    assert "    2× '探索与创新'" in lines
    assert "characters: 3,516 read = 3,464 kept + 52 removed (listed above)" in lines
    assert re.search(r"statements: \d+ sentences, \d+ headings", text)
    assert "mojibake: 14 suspicious spots" in "\n".join(describe(doc(NAMES[3])))


def test_markdown_and_docx_and_refusals() -> None:
    import docx

    raw = (SEEDS / NAMES[2]).read_bytes()
    assert process(raw, filename="x.md").text == process(raw, filename="x.txt").text

    document = docx.Document()
    document.add_paragraph("一、研究意义")
    document.add_paragraph("创新联合体赋能新质生产力。揭榜挂帅是方式。")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "表格单元一。"
    table.cell(0, 1).text = "表格单元二。"
    buf = io.BytesIO()
    document.save(buf)
    d = process(buf.getvalue(), PipelineOptions(user_words=TERMS), filename="brief.DOCX")
    assert d.decoded.encoding == "docx"
    assert statements(d) == [
        "一、研究意义",
        "创新联合体赋能新质生产力。",
        "揭榜挂帅是方式。",
        "表格单元一。",
        "表格单元二。",
    ]
    assert d.raw == buf.getvalue()

    with pytest.raises(ImportRefused) as err:
        process(b"%PDF-1.4", filename="paper.pdf")
    assert all(s in str(err.value) for s in SUPPORTED)
    with pytest.raises(ImportRefused, match=r"not a valid \.docx"):
        process(b"not a zip", filename="broken.docx")
