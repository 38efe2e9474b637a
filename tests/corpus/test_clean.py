"""Cleaning steps, one behaviour a researcher would notice per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from qcoder.corpus.clean import (
    MAPPING_STEPS,
    balance,
    char_balance,
    clean,
    drop_invisible,
    drop_letterhead,
    drop_page_furniture,
    find_mojibake,
    join_lines,
    map_radicals,
    map_width,
    normalize_newlines,
    ns,
    strip_markdown,
    strip_pinyin,
)


def test_line_endings_become_lf_without_removing_content() -> None:
    text, report = normalize_newlines("甲\r\n乙\r丙\u2028丁")
    assert text == "甲\n乙\n丙\n丁"
    assert report.changes == 3 and report.removed == []


def test_invisible_characters_are_deleted_and_listed() -> None:
    text, report = drop_invisible("新\u200b质\ufeff生产力")
    assert text == "新质生产力"
    assert report.removed == ["\u200b", "\ufeff"]


def test_pinyin_readings_go_other_parentheses_stay() -> None:
    text, report = strip_pinyin("發(fā)展新質生產力，創(chuàng)新（AI）图(a)（试行）的(de)咖啡(café)")
    assert text == "發展新質生產力，創新（AI）图(a)（试行）的(de)咖啡(café)"
    assert report.removed == ["(fā)", "(chuàng)"]


def test_pinyin_whose_parenthesis_was_lost_to_mojibake() -> None:
    text, report = strip_pinyin("萍紕?chuàng)新")
    assert text == "萍紕?新" and report.removed == ["chuàng)"]


def test_full_width_letters_and_digits_map_but_punctuation_stays() -> None:
    text, report = map_width("ＡＩ赋能２０２４年，（试行）：；！？")
    assert text == "AI赋能2024年，（试行）：；！？"
    assert report.changes == 6 and report.removed == []


def test_kangxi_and_supplement_radicals_map_to_characters() -> None:
    text, report = map_radicals("⾦融⻔户⻓期")  # U+2FA6 KANGXI GOLD, U+2ED4, U+2ED3
    assert text == "金融门户长期"
    assert report.changes == 3


def test_side_form_radicals_are_left_alone() -> None:
    assert map_radicals("⺡⺘")[0] == "⺡⺘"


def test_journal_footer_mid_sentence_and_running_heads_go() -> None:
    raw = (
        "探索与创新\n\n标题\n\n在企业层面上，技术引进的含义是指将技术以赠与、援助或出售的方式从一企业传向另一企业，以提高企业自身的制造\n\n\n\n"
        "250 Vol. 3 No. 08 2020Frontier of higher education\n\n探索与创新\n\n能力为目的。\n"
    )
    text, report = drop_page_furniture(raw)
    assert "Vol." not in text and "Frontier" not in text and "探索与创新" not in text
    assert report.removed == ["250 Vol. 3 No. 08 2020Frontier of higher education", "探索与创新", "探索与创新"]
    joined, _ = join_lines(text)
    assert "以提高企业自身的制造能力为目的。" in joined


def test_footer_embedded_inside_a_line() -> None:
    text, _report = drop_page_furniture("技术引进的含义250 Vol. 3 No. 08 2020Frontier of higher education是指")
    assert text == "技术引进的含义是指"


def test_volume_numbers_inside_an_english_reference_are_content() -> None:
    ref = "[4] Smith J. Research Policy 2019, Vol. 3, No. 2: 12-20."
    text, report = drop_page_furniture(ref)
    assert text == ref and report.removed == []


def test_repeated_heading_is_not_a_running_head() -> None:
    raw = "一、背景\n\n小结\n\n第一节结束。\n\n二、方法\n\n小结\n\n第二节结束。\n"
    text, report = drop_page_furniture(raw)
    assert text.count("小结") == 2 and report.removed == []


def test_page_number_lines_go_but_bare_numbers_stay() -> None:
    text, report = drop_page_furniture("正文。\n— 12 —\n2021\n第 3 页 共 10 页\n")
    assert report.removed == ["— 12 —", "第 3 页 共 10 页"]
    assert "2021" in text


def test_letterhead_lines_go_content_stays() -> None:
    raw = (
        "智库 专报\n【领导批示】：\n2021年第45期（总第178期）\n关于推动发展的对策建议\n"
        "报：省委常委，省人大、省政府、省政协\n共印 500 份\n联系电话：0451-53635257\n"
        "报告指出：要加快发展。\n"
    )
    text, report = drop_letterhead(raw)
    assert report.removed == [
        "【领导批示】：",
        "2021年第45期（总第178期）",
        "报：省委常委，省人大、省政府、省政协",
        "共印 500 份",
        "联系电话：0451-53635257",
    ]
    assert "智库 专报" in text and "报告指出：要加快发展。" in text


def test_markdown_markers_go() -> None:
    text, report = strip_markdown("## 科学内涵\n**改造提升传统产业。**显然，2**3 不变")
    assert text == "科学内涵\n改造提升传统产业。显然，2**3 不变"
    assert report.removed == ["##", "**", "**"]


def test_hard_wrapped_lines_with_blank_line_after_each_join() -> None:
    raw = (
        " 摘要：科研事业的进步为我国产业结构的调整升级提供了技\n\n术基础，科学技术同企业生产的结合也将促进我国经济产生新的\n\n"
        "增长点。将 5G、人工智能、数据中心、工业互联网等科技创新领\n\n域基础设施应用到传统产业中去。\n\n一、研究意义\n\n"
        "“新基建”是指 5G、人工智能、数据中心、工业互联网等科技创\n\n新领域基础设施，未来新基建将在全球经济发展中作为经济压\n\n舱石。\n"
    )
    text, _ = join_lines(raw)
    assert text.split("\n") == [
        "摘要：科研事业的进步为我国产业结构的调整升级提供了技术基础，科学技术同企业生产的结合也将促进我国经济产生新的增长点。将 5G、人工智能、数据中心、工业互联网等科技创新领域基础设施应用到传统产业中去。",
        "一、研究意义",
        "“新基建”是指 5G、人工智能、数据中心、工业互联网等科技创新领域基础设施，未来新基建将在全球经济发展中作为经济压舱石。",
    ]


def test_enumerator_and_heading_lines_are_not_joined() -> None:
    raw = "（一）提高政治站位，以全方位开放推动全面振兴\n\n一是将黑龙江打造成对外开放新前沿。\n[1] 中国政府网.习近平在\n[2] 王滋.政产学研"
    assert join_lines(raw)[0].split("\n") == [
        "（一）提高政治站位，以全方位开放推动全面振兴",
        "一是将黑龙江打造成对外开放新前沿。",
        "[1] 中国政府网.习近平在",
        "[2] 王滋.政产学研",
    ]


def test_latin_words_keep_one_space_when_joined() -> None:
    long_line = "这是一个很长的句子用来模拟硬换行的宽度并且包含英文 Frontier of higher"
    text, _ = join_lines(long_line + "\neducation and research。")
    assert "higher education" in text


def test_mojibake_is_flagged_not_changed() -> None:
    text = "適合應用扎根理論開展探索性研究?;诖耍疚陌凑粘绦蚧碚摲椒?,對收集整理的文本資料進行逐級編碼。"
    out, reports = clean(text)
    assert out == text
    spots = find_mojibake(out)
    assert [out[s:e] for s, e in spots] == ["?;诖耍疚陌凑粘绦蚧碚摲椒", "?"]
    assert any("mojibake" in n for r in reports for n in r.notes)


def test_real_question_marks_and_clean_text_are_not_mojibake() -> None:
    assert find_mojibake("为什么？因为 What? No! 网址 a.php?id=3") == []


def test_every_step_accounts_for_what_it_deleted() -> None:
    raw = (
        "探索与创新\r\n## 标题\r\n發(fā)展的ＡＩ⾦融，这是一个相当长的段落，写到一半的句子被分页打\r\n"
        "250 Vol. 3 No. 08 2020Frontier of higher education\r\n探索与创新\r\n断了。\u200b**重点**\r\n共印 500 份\r\n"
    )
    text = raw
    from qcoder.corpus.clean import STEPS

    total_removed = 0
    for step in STEPS:
        before = text
        text, report = step(before)
        assert balance(before, text, report), report.step
        if report.step not in MAPPING_STEPS:
            assert char_balance(before, text, report), report.step
        total_removed += sum(len(ns(r)) for r in report.removed)
    assert len(ns(raw)) == len(ns(text)) + total_removed
    assert "發展的AI金融，这是一个相当长的段落，写到一半的句子被分页打断了。重点" in text


# ---------------------------------------------------------------------------------------
# Repeated lines: content unless there is page evidence (issue 11, part 4)
# ---------------------------------------------------------------------------------------

REPEATED = Path(__file__).resolve().parents[1] / "data" / "repeated_lines"


@pytest.mark.parametrize("name", ["forum_replies.txt", "interview_answers.txt"])
def test_repeated_replies_and_answers_keep_every_line(name: str) -> None:
    raw = (REPEATED / name).read_text(encoding="utf-8")
    out, reports = clean(raw)
    assert out.split("\n") == [line.strip() for line in raw.split("\n") if line.strip()]
    assert all(r.removed == [] for r in reports)
    assert not any("running heads" in n for r in reports for n in r.notes)


def test_reference_fragments_of_a_standard_are_content() -> None:
    raw = (
        "规范性引用文件\n"
        "GB/T 7714—2015 信息与文献 参考文献著录规则 全国信息与文献标准化技术委员会归口\n中国标准出版社\n"
        "GB/T 1.1—2020 标准化工作导则 第1部分 标准化文件的结构和起草规则 全国标准化原理与方法标准化技术委员会归口\n中国标准出版社\n"
        "GB/T 35273—2020 信息安全技术 个人信息安全规范 全国信息安全标准化技术委员会归口\n中国标准出版社\n"
    )
    text, report = drop_page_furniture(raw)
    assert text == raw and report.removed == []
    assert clean(raw)[0].count("中国标准出版社") == 3


def _pages(head: str, n: int, between: str = "\f", chars: int = 600) -> str:
    body = "新质生产力是创新起主导作用的先进生产力质态，创新联合体是重要的组织形式。"
    pages = []
    for page in range(n):
        text = (body * (chars // len(body) + 1))[: chars + 7 * page % 40]  # pages a little uneven
        pages.append(f"{head}\n\n{text[:-1]}。\n")
    return between.join(pages)


def test_line_after_form_feeds_is_a_running_head() -> None:
    raw = _pages("高教学刊", 3)
    text, report = drop_page_furniture(normalize_newlines(raw)[0])
    assert "高教学刊" not in text and report.removed == ["高教学刊"] * 3


def test_speaker_line_is_never_a_running_head_even_at_page_breaks() -> None:
    raw = _pages("受访者：嗯", 3)
    text, report = drop_page_furniture(normalize_newlines(raw)[0])
    assert text.count("受访者：嗯") == 3 and report.removed == []


def test_bare_page_numbers_that_count_up_are_page_evidence_and_go_with_the_head() -> None:
    pages = [f"第{p}页的正文，这一句很长但没有写完，下一页才接着写下去" for p in range(1, 5)]
    raw = "\n".join(f"{p + 11}\n探索与创新\n{line}\n2021" for p, line in enumerate(pages))
    text, report = drop_page_furniture(raw)
    assert "探索与创新" not in text
    assert [r for r in report.removed if r.isdigit()] == ["11", "12", "13", "14"]
    assert text.count("2021") == 4  # a bare number that does not count up is content


def test_numbers_that_do_not_count_up_by_pages_are_not_evidence() -> None:
    raw = "男\n45\n女\n55\n这是第一张表。\n男\n60\n女\n40\n这是第二张表。\n男\n52\n女\n48\n"
    text, report = drop_page_furniture(raw)
    assert text == raw and report.removed == []


def test_head_at_regular_intervals_without_any_footer_is_a_running_head() -> None:
    raw = _pages("探索与创新", 6, between="\n")
    text, report = drop_page_furniture(raw)
    assert "探索与创新" not in text and report.removed == ["探索与创新"] * 6


def test_same_line_at_irregular_places_is_content() -> None:
    body = "新质生产力是创新起主导作用的先进生产力质态。"
    sizes = [3, 40, 8, 25, 60, 5]
    raw = "\n".join(f"嗯嗯\n{body * n}" for n in sizes)
    text, report = drop_page_furniture(raw)
    assert text == raw and report.removed == []


def test_keep_repeated_keeps_running_heads_but_not_page_numbers() -> None:
    raw = "探索与创新\n\n正文的第一页，还没有写完的句子\n\n— 1 —\n\n探索与创新\n\n接着写完。\n"
    dropped, _ = clean(raw)
    assert "探索与创新" not in dropped
    kept, reports = clean(raw, keep_repeated=True)
    assert kept.count("探索与创新") == 2 and "— 1 —" not in kept
    furniture = next(r for r in reports if r.step == "drop_page_furniture")
    assert furniture.removed == ["— 1 —"]


def test_speaker_turns_and_forum_replies_are_never_joined_to_the_line_before() -> None:
    question = "访谈者：那您当时为什么决定回村里来创业呢我们都很好奇想听您仔细地说一说当时的情况"
    text, _ = join_lines(f"{question}\n受访者：嗯\n{question}\n受访者：也不全是这样")
    assert text.split("\n") == [question, "受访者：嗯", question, "受访者：也不全是这样"]
    post = "→ APTON: 以后有人故意要战命名就叫他先看完这个系列 XD 09/03 12:56 这一行很长很长很长"
    assert join_lines(f"{post}\n谢谢你的欣赏 :)")[0].split("\n") == [post, "谢谢你的欣赏 :)"]


def test_a_colon_in_a_wrapped_line_still_joins() -> None:
    """A one-off `X：` at the start of a wrapped line is no speaker: labels repeat."""
    first = "这是一个很长的句子用来模拟硬换行的宽度并且一直写到行尾还没有写完主要内容包括"
    text, _ = join_lines(f"{first}\n三个方面：技术、组织和制度。")
    assert text == f"{first}三个方面：技术、组织和制度。"
