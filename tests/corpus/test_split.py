"""Statement splitting: where a researcher expects one statement to end and the next to begin."""

from __future__ import annotations

from qcoder.corpus.split import split


def statements(text: str, **kw: bool) -> list[str]:
    return [text[s.start : s.end] for s in split(text, **kw)]


def kinds(text: str) -> list[str]:
    return [s.kind for s in split(text)]


def test_chinese_sentences_keep_closing_quotes() -> None:
    text = "他说：“没有落后的产业，只有落后的技术。”传统产业依然重要！真的吗？是的……还有（见图1。）最后。"
    assert statements(text) == [
        "他说：“没有落后的产业，只有落后的技术。”",
        "传统产业依然重要！",
        "真的吗？",
        "是的……",
        "还有（见图1。）",
        "最后。",
    ]


def test_citation_marker_stays_with_its_sentence() -> None:
    assert statements("扎实推进高质量发展。[1]从2023年开始。") == ["扎实推进高质量发展。[1]", "从2023年开始。"]


def test_headings_are_their_own_spans() -> None:
    text = "一、研究意义\n（一）技术引进\n正文一句。正文二句。\n3.1.1 开放性编码\n"
    assert statements(text) == ["一、研究意义", "（一）技术引进", "正文一句。", "正文二句。", "3.1.1 开放性编码"]
    assert kinds(text) == ["heading", "heading", "sentence", "sentence", "heading"]


def test_enumerators_start_statements() -> None:
    text = "主要存在以下问题。一是对外开放水平不足；二是贸易结构单一；三是服务不够。包括：（1）甲；（2）乙。"
    assert statements(text) == [
        "主要存在以下问题。",
        "一是对外开放水平不足；",
        "二是贸易结构单一；",
        "三是服务不够。",
        "包括：",
        "（1）甲；",
        "（2）乙。",
    ]


def test_enumerator_lookalikes_do_not_split() -> None:
    assert statements("祖国统一是大局，增长了1.5倍，第三条规定有效。") == [
        "祖国统一是大局，增长了1.5倍，第三条规定有效。"
    ]


def test_semicolon_splits_only_when_asked() -> None:
    text = "短期能推动复苏；中期能稳定经济；长期能带动增长。"
    assert statements(text) == [text]
    assert statements(text, semicolon=True) == ["短期能推动复苏；", "中期能稳定经济；", "长期能带动增长。"]


def test_english_sentences_split_sensibly() -> None:
    text = "See Vol. 3 No. 08 and e.g. Fig. 2 of the U.S. Department report. Growth was 3.5 percent. It rose."
    assert statements(text) == [
        "See Vol. 3 No. 08 and e.g. Fig. 2 of the U.S. Department report.",
        "Growth was 3.5 percent.",
        "It rose.",
    ]


def test_english_sentences_glued_by_pdf_extraction() -> None:
    assert statements("the critical window period of technological life.Therefore, major research.") == [
        "the critical window period of technological life.",
        "Therefore, major research.",
    ]


def test_chinese_reference_dots_do_not_split() -> None:
    ref = "[5] 程京武.在推进中国式现代化建设中走在前列[J].红旗文稿,2023,60(14):35-38."
    assert statements(ref) == [ref]


def test_mojibake_question_marks_do_not_split() -> None:
    text = "是高质量生产力[12]??萍紕?新对新质生产力的形成具有显著影响。"
    assert statements(text) == [text]


def test_ascii_question_mark_in_url_does_not_split() -> None:
    text = "详见 https://a.cn/x.php?id=3 的说明。"
    assert statements(text) == [text]


def test_spans_are_trimmed_and_cover_everything() -> None:
    text = "  第一句。  第二句！\n\n   \n标题  \n 最后没有标点"
    spans = split(text)
    covered = "".join(text[s.start : s.end] for s in spans)
    assert covered == "".join(text.split())
    assert all(not text[s.start].isspace() and not text[s.end - 1].isspace() for s in spans)


def test_overlong_statements_are_cut_at_commas_and_reported() -> None:
    from qcoder.corpus.split import split_with_report

    clause = "企业牵头组建创新联合体推动关键核心技术攻关，"  # 22 characters ending in a comma
    text = clause * 100  # 2,200 characters, no sentence punctuation
    spans, report = split_with_report(text, max_chars=500)
    assert report.changes == 1 and "2,200 characters" in report.notes[0]
    assert all(s.end - s.start <= 500 for s in spans)
    assert all(text[s.start : s.end].endswith("，") for s in spans[:-1])  # cut after a comma
    assert "".join(text[s.start : s.end] for s in spans) == text


def test_statements_within_the_limit_are_untouched() -> None:
    from qcoder.corpus.split import split_with_report

    text = "第一句。第二句。"
    spans, report = split_with_report(text)
    assert [text[s.start : s.end] for s in spans] == ["第一句。", "第二句。"] and report.changes == 0
