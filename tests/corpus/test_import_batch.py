"""A spreadsheet's rows are cleaned, tokenized and stored as one batch: the stored rows are what
the per-document path gives each row, and jieba-rs's tokens are still jieba's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from wcwidth import wcswidth

from qcoder.corpus import importer, segment_native
from qcoder.corpus.clean import NEEDS, STEPS, ns
from qcoder.corpus.importer import import_path, sha256
from qcoder.corpus.pipeline import describe, process_all, process_source
from qcoder.corpus.readers.spreadsheet import read_xlsx
from qcoder.corpus.tokenize import jieba_tokenize, segmenter_of, tokenize_batch
from qcoder.corpus.types import PipelineOptions
from qcoder.store.database import Project
from qcoder.store.models import Document, Event, Sentence

STEP_BY_NAME = {step.__name__: step for step in STEPS}
OPTIONS = PipelineOptions(text_columns=("开放题1", "开放题2"), id_column="编号")

# Answers that give every cleaning step work in some rows and none in others.
ANSWERS = [
    "社区食堂价格实惠，但菜品种类太少",
    "我每天都去活动中心下棋。认识了很多新朋友",
    "第一行没有标点\r\n第二行是新的一句",  # a line break inside the cell (CRLF: the reader makes it LF)
    "一句没有标点\u2028下一句在新的一行",  # a Unicode line separator
    "我们小区的老年人越来越多但是社区里面能提供的服务一直都很少而且\n价格也不便宜。",  # wrapped: joined
    "希望\u200b增加上门理发服务",  # zero-width space
    "２０２１年搬来，ＡＩ客服听不懂方言",  # full-width digits and letters
    "⾦额太高，⻘年人也嫌贵",  # Kangxi radical and radical-supplement forms
    "政府要發(fā)展社区养老",  # a pinyin reading
    "**最重要的**是有人陪着说话",  # Markdown bold
    "# 意见\n电梯坏了三个月",  # a Markdown heading marker, then a line
    "年均增长4.2%，电话1001-7348打不通，C++和AT&T都不懂",  # marks jieba-rs cuts differently
    "是因为没人管吗? 怎么办? 谁来负责?",  # ASCII question marks after Chinese
    "有个按钮\x9b31m红色的\x7f看不清",  # terminal controls (C1 CSI, DEL; Excel holds no C0): made visible
    "顶起！！",
    "没有",
    "很长的意见" * 250,  # 1,250 characters without punctuation: cut
    "（一）上门护理很负责；（二）预约要等一个星期",
    "政府 (government) 说会改",  # parentheses without pinyin
    "   ",  # only spaces: no answer
    None,
]


def _sheet(path: Path, rows: int = 60) -> Path:
    """A workbook written by openpyxl: answers in two columns, the case's attributes in the others."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["编号", "性别", "年龄", "地区", "开放题1", "开放题2"])
    for i in range(rows):
        first = ANSWERS[i % len(ANSWERS)]
        second = ANSWERS[(i * 7 + 3) % len(ANSWERS)]
        sheet.append([f"R{i:03d}", "男女"[i % 2], 20 + i, ["成都", "重庆", None][i % 3], first, second])
    book.save(path)
    return path


def test_a_spreadsheet_import_stores_what_the_per_document_path_gives(
    project: Project, tmp_path: Path, monkeypatch: Any
) -> None:
    monkeypatch.setattr(importer, "_CHUNK", 7)  # rows per insert and labels per look-up: many chunks,
    monkeypatch.setattr(importer, "_LOOKUP", 5)  # none of them full at the end
    path = _sheet(tmp_path / "answers.xlsx")
    raw = path.read_bytes()
    # the per-document path: every cleaning step on every answer, each row tokenized on its own
    expected = [process_source(source, raw, OPTIONS) for source in read_xlsx(raw, OPTIONS)]
    assert len(expected) > 50
    steps = {report.step for doc in expected for report in doc.reports}
    assert {"normalize_newlines", "drop_invisible", "map_width", "map_radicals", "strip_pinyin"} <= steps
    assert {"strip_markdown", "join_lines", "visible_controls", "cut_overlong_statements"} <= steps

    result = import_path(project, path, options=OPTIONS)
    assert result.documents == len(expected)
    with project.session() as session:
        documents = session.scalars(select(Document).order_by(Document.id)).all()
        sentences = session.scalars(select(Sentence).order_by(Sentence.id)).all()
        events = session.scalars(select(Event).where(Event.action == "document.import").order_by(Event.id)).all()
        whole = sha256(raw)
        assert [d.label for d in documents] == result.labels
        stored = [
            (d.name, d.encoding, d.original_text, d.text, d.attributes, d.role, d.import_report, d.source_path)
            for d in documents
        ]
        assert stored == [
            (
                doc.name,
                doc.decoded.encoding,
                doc.decoded.text,
                doc.text,
                doc.document_attributes,
                "coding",
                [*describe(doc), f"tokens: {segmenter_of(doc.tokens)}"],
                str(path.resolve()),
            )
            for doc in expected
        ]
        assert [(d.sha256, d.raw_bytes) for d in documents] == [
            (whole, raw),
            *((sha256(f"{whole}#{i}".encode()), doc.text.encode()) for i, doc in enumerate(expected) if i),
        ]
        rows = [
            (s.document_id, s.ordinal, s.label, s.start, s.end, s.kind, s.text, s.tokens, s.attributes, s.cell_width)
            for s in sentences
        ]
        want = []
        for document, doc in zip(documents, expected, strict=True):
            for ordinal, span in enumerate(doc.spans, start=1):
                piece = doc.text[span.start : span.end]
                [tokens] = jieba_tokenize([piece])  # jieba's own tokens, whichever segmenter cut them
                want.append(
                    (
                        document.id,
                        ordinal,
                        f"{document.label}-S{ordinal:03d}",
                        span.start,
                        span.end,
                        span.kind,
                        piece,
                        " ".join(tokens),
                        span.attributes,
                        max(wcswidth(piece), len(piece)),
                    )
                )
        assert rows == want
        assert [(e.payload, e.coder_id, e.history_id) for e in events] == [
            ({"document_id": d.id, "name": doc.name, "statements": len(doc.spans)}, None, None)
            for d, doc in zip(documents, expected, strict=True)
        ]


def test_every_non_empty_answer_cell_is_found_in_its_rows_statements(tmp_path: Path) -> None:
    """Independent count: openpyxl re-reads the workbook; every visible character of an answer is
    kept in a statement of its row and question, or listed by a cleaning step as removed."""
    path = _sheet(tmp_path / "answers.xlsx")
    documents = {d.name: d for d in process_all(path.read_bytes(), OPTIONS, filename=path.name)}
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    header = rows[0]
    cells = 0
    for number, row in enumerate(rows[1:], start=2):
        answers = {
            q: row[header.index(q)] for q in OPTIONS.text_columns if row[header.index(q)] and ns(row[header.index(q)])
        }
        if not answers:
            assert row[0] not in documents
            continue
        doc = documents[row[0]]
        removed = sum(len(ns(r)) for report in doc.reports for r in report.removed)
        kept = 0
        for question in answers:
            cells += 1
            said = [
                doc.text[s.start : s.end]
                for s in doc.spans
                if s.attributes == {"question": question, "row": str(number)}
            ]
            assert said, (row[0], question)
            kept += len(ns("".join(said)))
        assert sum(len(ns(v)) for v in answers.values()) == kept + removed
    assert cells > 90


def test_a_disagreement_gives_jiebas_tokens_to_the_affected_documents_only(monkeypatch: Any) -> None:
    pytest.importorskip("rjieba")

    class WrongOnLifts:
        """jieba-rs, except that it cuts any text about lifts one character a token."""

        def __init__(self, native: Any) -> None:
            self.native = native

        def cut(self, text: str) -> list[str]:
            return list(text) if "电梯" in text else self.native.cut(text)

    native = segment_native.native_for(frozenset())
    monkeypatch.setattr(segment_native, "native_for", lambda words: WrongOnLifts(native))
    groups = [["社区食堂价格实惠。", "菜品种类太少。"] for _ in range(40)]
    groups[0] = ["希望加装电梯。", "下楼很困难。"]  # the first statement of the batch is always in the sample
    groups[30] = ["电梯坏了三个月。"]
    tokens = tokenize_batch(groups)
    assert [segmenter_of(t) for t in tokens] == ["jieba"] + ["rjieba"] * 29 + ["jieba"] + ["rjieba"] * 9
    assert [list(t) for t in tokens] == [jieba_tokenize(texts) for texts in groups]


def test_one_row_is_not_cut_twice(monkeypatch: Any) -> None:
    """The sample is drawn across the batch: a batch of short rows is mostly cut by jieba-rs alone."""
    pytest.importorskip("rjieba")
    calls = 0
    jieba_cut = segment_native._keep

    def counting(tokens: Any) -> list[str]:
        nonlocal calls
        calls += 1
        return jieba_cut(tokens)

    groups = [["社区食堂价格实惠。", "菜品种类太少。"] for _ in range(500)]
    monkeypatch.setattr(segment_native, "_keep", counting)
    tokens = tokenize_batch(groups)
    assert all(segmenter_of(t) == "rjieba" for t in tokens)
    assert calls < 1000 + 1000 // segment_native.SAMPLE_EVERY + 5  # each statement once, plus the sample


SOURCES = Path(__file__).parents[1] / "data" / "sources"


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("policy.pdf", PipelineOptions()),
        ("twocol.pdf", PipelineOptions()),
        ("interview.md", PipelineOptions()),
        ("page.html", PipelineOptions()),
        ("interview.srt", PipelineOptions(interviewer_context=True)),
        ("focus_group.vtt", PipelineOptions()),
        ("answers_gb18030.csv", OPTIONS),
        ("answers.xlsx", PipelineOptions(to_simplified=True)),
    ],
)
def test_every_reader_gives_the_per_document_paths_documents(name: str, options: PipelineOptions) -> None:
    """PDF, Markdown, HTML, subtitles and sheets through the batch: the same documents, reports and
    tokens as every cleaning step on every block, document by document."""
    from qcoder.corpus.sources import reader_for

    raw = (SOURCES / name).read_bytes()
    reader = reader_for(name, raw)
    assert reader is not None
    expected = [process_source(source, raw, options) for source in reader(raw, options)]
    assert process_all(raw, options, filename=name) == expected


@pytest.mark.parametrize(
    ("text", "options"),
    [
        (
            "[00:01:23] 访谈者：您好，请先介绍一下自己。\n[00:01:30] 受访者：我叫张三，今年45岁。在村里种地。\n"
            "访谈者：村里现在（xiàn zài）怎么样？\n受访者：年轻人都走了\n留下的都是老人，**没人**照顾。\n",
            PipelineOptions(interviewer_context=True),
        ),
        (
            "首都不适合生活呀//@张栋: 下一站，西安！http://t.cn/zTI9C3O\n介绍一下许心馨老师：波士顿大学MBA\n顶起！！\n",
            PipelineOptions(units="lines"),
        ),
    ],
)
def test_text_transcripts_and_lines_give_the_per_document_paths_documents(text: str, options: PipelineOptions) -> None:
    from qcoder.corpus.pipeline import read
    from qcoder.corpus.transcript import text_sources

    raw = text.encode()
    decoded = read(raw, filename="t.txt")
    sources = text_sources(decoded, options)
    assert sources is not None
    expected = [process_source(source, raw, options, decoded=decoded) for source in sources]
    assert process_all(raw, options, filename="t.txt") == expected


PIECES = [
    "發(fā)展",
    "（试行）",
    "## ",
    "**",
    "*",
    "ＡＩ２０",
    "⾦⻔",
    "\u200b\u00ad",
    "\r\n",
    "\r",
    "\f",
    "\u2028",
    "\n",
]
ANY_TEXT = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(alphabet="创新联合体赋能。，！？()# *\n\t abc019", max_size=10)),
    max_size=20,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_a_step_has_nothing_to_do_without_what_it_needs(text: str) -> None:
    """What the batch relies on to skip a step: without its characters the step returns its input
    (join_lines: stripped) and lists nothing; and no step brings in what another step needs."""
    for name, needs in NEEDS.items():
        step = STEP_BY_NAME[name]
        out, report = step(text)
        if not needs.search(text):
            assert out == (text.strip() if name == "join_lines" else text), name
            assert report.changes == 0 and report.removed == [], name
        for other, wanted in NEEDS.items():
            if wanted.search(out):
                assert wanted.search(text), (name, "brings in what", other, "needs")
