"""Word files as structured sources: heading styles, lists, transcript tables and turns, notes.

Every file is written by python-docx (a footnote, which it has no API for, is added as the part
Word writes). The expected statements are what a reader of the document would cut.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter

import docx

from qcoder.corpus.clean import ns
from qcoder.corpus.pipeline import describe, process
from qcoder.corpus.types import PipelineOptions, ProcessedDocument
from qcoder.corpus.word import word_text


def save(document: docx.document.Document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def cut(d: ProcessedDocument) -> list[tuple[str, str, dict[str, str]]]:
    return [(d.text[s.start : s.end], s.kind, s.attributes) for s in d.spans]


def accounted(raw: bytes, d: ProcessedDocument) -> bool:
    removed = Counter(ns("".join(r for rep in d.reports for r in rep.removed)))
    return Counter(ns(word_text(raw))) == Counter(ns(d.text)) + removed


def test_heading_styles_are_headings_with_their_level_and_never_glued() -> None:
    document = docx.Document()
    document.add_heading("返乡创业研究", 0)  # Title style
    document.add_heading("一、研究背景", 1)
    document.add_paragraph("近年来越来越多的人回到村里")  # no final punctuation
    document.add_heading("（一）政策支持", 2)
    document.add_paragraph("政策很多。补贴也多。")
    raw = save(document)
    d = process(raw, filename="paper.docx")
    assert cut(d)[:4] == [
        ("返乡创业研究", "heading", {"level": "1"}),
        ("一、研究背景", "heading", {"level": "1"}),
        ("近年来越来越多的人回到村里", "heading", {}),  # short and unpunctuated: a heading by shape, alone
        ("（一）政策支持", "heading", {"level": "2"}),
    ]
    assert cut(d)[4:] == [("政策很多。", "sentence", {}), ("补贴也多。", "sentence", {})]
    assert accounted(raw, d)


def test_a_long_heading_is_one_heading_not_sentences() -> None:
    document = docx.Document()
    title = "关于推动哈尔滨高新技术产业开发区发展的对策建议。兼论创新联合体如何赋能新质生产力的形成与发展"
    document.add_heading(title, 1)
    document.add_paragraph("正文。")
    d = process(save(document), filename="long.docx")
    assert cut(d)[0] == (title, "heading", {"level": "1"})


def test_list_items_are_units_of_their_own() -> None:
    document = docx.Document()
    document.add_paragraph("主要做法有：")
    for item in ("成立合作社", "引进龙头企业", "培训新农人"):
        document.add_paragraph(item, style="List Bullet")
    d = process(save(document), filename="list.docx")
    assert cut(d) == [
        ("主要做法有：", "heading", {}),  # a short paragraph without final punctuation, as before
        ("成立合作社", "sentence", {}),  # a list item is never taken for a heading
        ("引进龙头企业", "sentence", {}),
        ("培训新农人", "sentence", {}),
    ]


def test_transcript_table_with_header_row_gives_turns_with_speakers() -> None:
    document = docx.Document()
    document.add_heading("访谈记录", 1)
    rows = [
        ("说话人", "内容"),
        ("访谈者", "您为什么回来创业？"),
        ("受访者", "家里老人需要照顾。政策也好"),
        ("访谈者", "政策具体有哪些"),
        ("受访者", "有补贴。还有贷款！"),
    ]
    table = document.add_table(rows=len(rows), cols=2)
    for r, (who, said) in enumerate(rows):
        table.cell(r, 0).text = who
        table.cell(r, 1).text = said
    raw = save(document)
    d = process(raw, filename="interview.docx")
    assert cut(d) == [
        ("访谈记录", "heading", {"level": "1"}),
        ("内容", "heading", {}),
        ("您为什么回来创业？", "sentence", {"speaker": "访谈者"}),
        ("家里老人需要照顾。", "sentence", {"speaker": "受访者"}),
        ("政策也好", "sentence", {"speaker": "受访者"}),
        ("政策具体有哪些", "sentence", {"speaker": "访谈者"}),
        ("有补贴。", "sentence", {"speaker": "受访者"}),
        ("还有贷款！", "sentence", {"speaker": "受访者"}),
    ]
    assert accounted(raw, d)
    assert "speakers: 受访者 4 statements, 访谈者 2 statements" in describe(d)
    context = process(raw, PipelineOptions(interviewer_context=True), filename="interview.docx")
    assert [s.kind for s in context.spans].count("context") == 2


def test_a_data_table_or_a_form_is_not_a_transcript() -> None:
    for rows in (
        [("地区", "哈尔滨"), ("人口", "一千万"), ("面积", "五万平方公里")],
        [("姓名", "张三"), ("年龄", "45")],
    ):
        document = docx.Document()
        table = document.add_table(rows=len(rows), cols=2)
        for r, (k, v) in enumerate(rows):
            table.cell(r, 0).text = k
            table.cell(r, 1).text = v
        d = process(save(document), filename="data.docx")
        assert all(not s.attributes for s in d.spans)
        assert [d.text[s.start : s.end] for s in d.spans] == [x for row in rows for x in row]


def test_a_two_row_table_of_roles_is_a_transcript() -> None:
    document = docx.Document()
    table = document.add_table(rows=2, cols=2)
    for r, (who, said) in enumerate([("Q", "您从事什么工作？"), ("A", "种地。")]):
        table.cell(r, 0).text = who
        table.cell(r, 1).text = said
    d = process(save(document), filename="qa.docx")
    assert [(d.text[s.start : s.end], s.attributes) for s in d.spans] == [
        ("您从事什么工作？", {"speaker": "Q"}),
        ("种地。", {"speaker": "A"}),
    ]


def test_paragraph_turns_carry_the_speaker_to_every_statement() -> None:
    document = docx.Document()
    document.add_paragraph("问：您今年多大？住在哪里？")
    document.add_paragraph("答：我今年45岁。在村里种地。")
    document.add_paragraph("孩子都在外地。")  # the same turn goes on in a new paragraph
    document.add_paragraph("问：收入怎么样？")
    raw = save(document)
    d = process(raw, filename="qa.docx")
    assert cut(d) == [
        ("您今年多大？", "sentence", {"speaker": "问"}),
        ("住在哪里？", "sentence", {"speaker": "问"}),
        ("我今年45岁。", "sentence", {"speaker": "答"}),
        ("在村里种地。", "sentence", {"speaker": "答"}),
        ("孩子都在外地。", "sentence", {"speaker": "答"}),
        ("收入怎么样？", "sentence", {"speaker": "问"}),
    ]
    assert accounted(raw, d)


def _with_footnote(raw: bytes, text: str) -> bytes:
    """The package with a footnotes part as Word writes it (python-docx has no footnote API)."""
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    footnotes = (
        f'<w:footnotes xmlns:w="{w}">'
        '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
        f'<w:footnote w:id="1"><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:footnote></w:footnotes>'
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"</Types>",
                    b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>',
                )
            elif item.filename == "word/_rels/document.xml.rels":
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdFn" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/footnotes" Target="footnotes.xml"/></Relationships>',
                )
            elif item.filename == "word/document.xml":
                data = re.sub(
                    rb"(<w:t>\xe6\xad\xa3\xe6\x96\x87\xe3\x80\x82</w:t></w:r>)",  # after the run "正文。"
                    rb'\1<w:r><w:footnoteReference w:id="1"/></w:r>',
                    data,
                    count=1,
                )
            dst.writestr(item, data)
        dst.writestr("word/footnotes.xml", footnotes.encode("utf-8"))
    return out.getvalue()


def test_footnotes_and_comments_are_reported_not_mixed_into_the_text() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("正文。")
    document.add_paragraph("另一段。")
    document.add_comment(paragraph.runs, text="这里要核实", author="王老师")
    raw = _with_footnote(save(document), "脚注的内容")
    d = process(raw, filename="notes.docx")
    assert [d.text[s.start : s.end] for s in d.spans] == ["正文。", "另一段。"]
    assert "脚注" not in d.text and "核实" not in d.text
    report = "\n".join(describe(d))
    assert "1 footnotes not imported as statements" in report and "'脚注的内容'" in report
    assert "1 comments not imported as statements" in report and "'王老师: 这里要核实'" in report
