"""Word files as researchers have them: transcripts in tables, merged and nested cells.

Every .docx here is written by python-docx (Word features it has no API for, such as tracked
insertions, content controls and text boxes, are added as the XML Word writes). Each test
checks the text against an independent count: the cell texts the test itself put in, and
`word_text`, which takes every `w:t` run of word/document.xml with one XPath.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Callable

import docx
import pytest
from docx.oxml import parse_xml
from docx.table import Table
from lxml import etree
from sqlalchemy import select

from qcoder.corpus import word
from qcoder.corpus.clean import ns
from qcoder.corpus.importer import import_path
from qcoder.corpus.pipeline import describe, process
from qcoder.corpus.types import ImportRefused, PipelineOptions, ProcessedDocument
from qcoder.corpus.word import word_text
from qcoder.store.database import Project
from qcoder.store.models import Document

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
INTERVIEW = [
    ("访谈者", "那您当时为什么决定回村里来创业呢我们都很好奇"),
    ("受访者", "嗯"),
    ("访谈者", "是因为家里老人需要照顾还是因为政策上的支持"),
    ("受访者", "嗯"),
]


def save(document: docx.document.Document) -> bytes:
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def grid(
    rows: int, cols: int, fill: Callable[[int, int], str] = lambda r, c: f"格{r}{c}"
) -> tuple[docx.document.Document, Table]:
    document = docx.Document()
    table = document.add_table(rows=rows, cols=cols)
    for r in range(rows):
        for c in range(cols):
            table.cell(r, c).text = fill(r, c)
    return document, table


def lines(d: ProcessedDocument) -> list[str]:
    """The stored text's paragraphs (blocks are separated by a blank line)."""
    return [line for line in d.text.split("\n") if line]


def assert_each_once_in_order(text: str, cells: list[str]) -> None:
    """Every cell is a line of `text` of its own, each as often as the table has it, in order."""
    stored = [line for line in text.split("\n") if line]
    for cell in set(cells):
        assert stored.count(cell) == cells.count(cell), cell
    at = -1
    for cell in cells:
        at = stored.index(cell, at + 1)


def assert_accounted(raw: bytes, d: ProcessedDocument) -> None:
    """Independent extraction == stored text + what the cleaning listed as removed."""
    removed = Counter(ns("".join(r for rep in d.reports for r in rep.removed)))
    assert Counter(ns(word_text(raw))) == Counter(ns(d.text)) + removed


def test_4x3_table_keeps_all_twelve_cells_in_reading_order() -> None:
    document, _ = grid(4, 3)
    raw = save(document)
    d = process(raw, filename="grid.docx")
    assert lines(d) == [f"格{r}{c}" for r in range(4) for c in range(3)]
    assert_accounted(raw, d)


def test_speaker_utterance_table_reads_as_four_turns_with_speakers() -> None:
    document = docx.Document()
    document.add_paragraph("访谈记录（二）")
    table = document.add_table(rows=4, cols=2)
    for r, (speaker, said) in enumerate(INTERVIEW):
        table.cell(r, 0).text = speaker
        table.cell(r, 1).text = said
    document.add_paragraph("访谈结束。")
    raw = save(document)
    d = process(raw, filename="transcript.docx")
    expected = ["访谈记录（二）", *[said for _, said in INTERVIEW], "访谈结束。"]
    assert lines(d) == expected  # no repeated answer is dropped, no cells glued
    assert [d.text[s.start : s.end] for s in d.spans] == expected
    # the speaker column is each turn's speaker, not text: listed as removed, every name once
    assert [s.attributes.get("speaker") for s in d.spans] == [None, *[who for who, _ in INTERVIEW], None]
    labels = next(r for r in d.reports if r.step == "speaker_labels")
    assert labels.removed == [who for who, _ in INTERVIEW]
    assert_accounted(raw, d)


def test_horizontally_and_vertically_merged_cells_are_read_once() -> None:
    document, table = grid(4, 4)
    table.cell(0, 0).merge(table.cell(0, 2))  # across: one w:tc with gridSpan 3
    table.cell(1, 3).merge(table.cell(3, 3))  # down: vMerge restart + two continuations
    table.cell(2, 0).merge(table.cell(3, 1))  # a 2x2 block: both at once
    raw = save(document)
    d = process(raw, filename="merged.docx")
    # python-docx joins the merged cells' paragraphs into the first cell
    expected = [
        "格00",
        "格01",
        "格02",
        "格03",
        "格10",
        "格11",
        "格12",
        "格13",
        "格23",
        "格33",
        "格20",
        "格21",
        "格30",
        "格31",
        "格22",
        "格32",
    ]
    assert lines(d) == expected
    assert_each_once_in_order(d.text, expected)
    assert_accounted(raw, d)


def test_nested_tables_are_read_where_they_stand() -> None:
    document, outer = grid(2, 2, lambda r, c: f"外{r}{c}")
    inner = outer.cell(0, 1).add_table(rows=2, cols=2)
    for r in range(2):
        for c in range(2):
            inner.cell(r, c).text = f"内{r}{c}"
    innermost = inner.cell(1, 1).add_table(rows=1, cols=2)
    innermost.cell(0, 0).text = "最内0"
    innermost.cell(0, 1).text = "最内1"
    outer.cell(1, 0).paragraphs[0].add_run("，续")
    raw = save(document)
    d = process(raw, filename="nested.docx")
    expected = ["外00", "外01", "内00", "内01", "内10", "内11", "最内0", "最内1", "外10，续", "外11"]
    assert [ln for ln in lines(d)] == expected
    assert_each_once_in_order(d.text, expected)
    assert_accounted(raw, d)


def _utterance(r: int, c: int) -> str:
    """30x3 transcript: number, speaker, utterance; emoji, Extension-B, no final punctuation."""
    if c == 0:
        return f"第{r + 1}段"
    if c == 1:
        return "访谈者" if r % 2 == 0 else f"受访者{r}"
    endings = ["。", "", "😀", "吧", "？", "……"]
    return f"第{r + 1}句回答，𠮷野家的𠀀字和表情😂{'嗯' * (r % 4)}没有句号{endings[r % len(endings)]}"


def test_30x3_table_every_cell_survives_in_the_stored_text_once(project: Project, tmp_path) -> None:  # type: ignore[no-untyped-def]
    document, _table = grid(30, 3, _utterance)
    document.add_paragraph("以下为访谈全文")
    path = tmp_path / "访谈30.docx"
    path.write_bytes(save(document))
    result = import_path(project, path)
    assert result.status == "imported"
    with project.session() as session:
        stored = session.scalar(select(Document.text).where(Document.label == result.label))
    assert stored is not None
    cells = [_utterance(r, c) for r in range(30) for c in range(3)]
    assert_each_once_in_order(stored, cells)
    assert stored.count("𠮷") == 30 and stored.count("😂") == 30
    raw = path.read_bytes()
    assert Counter(ns(word_text(raw))) == Counter(ns(stored))
    assert any(line.startswith("characters: ") and " + 0 removed" in line for line in result.report)


def test_text_in_word_features_python_docx_does_not_read() -> None:
    """Tracked insertions, content controls (inline and block), hyperlinks, simple fields,
    smart tags and text boxes are all text a reader of the document sees."""
    document = docx.Document()
    p = document.add_paragraph("开头")
    p._p.append(
        parse_xml(
            f'<w:ins {W_NS} w:id="1" w:author="李" w:date="2024-01-01T00:00:00Z"><w:r><w:t>插入的话</w:t></w:r></w:ins>'
        )
    )
    p._p.append(
        parse_xml(
            f'<w:del {W_NS} w:id="2" w:author="李" w:date="2024-01-01T00:00:00Z"><w:r><w:delText>删掉的话</w:delText></w:r></w:del>'
        )
    )
    p._p.append(
        parse_xml(
            f'<w:sdt {W_NS}><w:sdtPr><w:alias w:val="姓名"/></w:sdtPr><w:sdtContent><w:r><w:t>控件里的名字</w:t></w:r></w:sdtContent></w:sdt>'
        )
    )
    p._p.append(parse_xml(f'<w:fldSimple {W_NS} w:instr=" DATE "><w:r><w:t>2024年1月1日</w:t></w:r></w:fldSimple>'))
    p._p.append(parse_xml(f'<w:smartTag {W_NS} w:uri="u" w:element="place"><w:r><w:t>哈尔滨</w:t></w:r></w:smartTag>'))
    p._p.append(parse_xml(f"<w:r {W_NS}><w:t>COVID</w:t><w:noBreakHyphen/><w:t>19</w:t></w:r>"))
    document.element.body.insert(
        len(document.element.body) - 1,
        parse_xml(
            f"<w:sdt {W_NS}><w:sdtContent><w:p><w:r><w:t>块级控件里的段落</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        ),
    )
    box = document.add_paragraph("图注前")
    box._p.append(
        parse_xml(
            f'<w:r {W_NS} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
            'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape" '
            'xmlns:v="urn:schemas-microsoft-com:vml"><mc:AlternateContent>'
            '<mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent><w:p><w:r><w:t>文本框里的字</w:t></w:r></w:p>'
            "</w:txbxContent></wps:txbx></w:drawing></mc:Choice>"
            "<mc:Fallback><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>文本框里的字</w:t></w:r></w:p>"
            "</w:txbxContent></v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
        )
    )
    raw = save(document)
    d = process(raw, filename="features.docx")
    assert lines(d) == [
        "开头插入的话控件里的名字2024年1月1日哈尔滨COVID-19",
        "块级控件里的段落",
        "图注前",
        "文本框里的字",
    ]
    assert "删掉的话" not in d.text
    assert_accounted(raw, d)
    assert "1 text box" in d.decoded.how


def test_independent_count_reads_the_zip_not_python_docx() -> None:
    document, outer = grid(2, 2)
    outer.cell(0, 0).add_table(rows=1, cols=1).cell(0, 0).text = "嵌套"
    raw = save(document)
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    runs = [t.text for t in root.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t")]
    assert word_text(raw) == "".join(runs)
    assert Counter(word_text(raw)) == Counter("格00嵌套格01格10格11")


def _old_reader(self: word._Reader, container: object, out: list[str]) -> None:
    """The reader before issue 11: cells of top-level tables only, de-duplicated by id()."""
    document = docx.Document(io.BytesIO(RAW_FOR_OLD_READER))
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            seen: set[int] = set()
            for row in block.rows:
                for cell in row.cells:
                    if id(cell._tc) in seen:
                        continue
                    seen.add(id(cell._tc))
                    out.extend(p.text for p in cell.paragraphs)
        else:
            out.append(block.text)


def _doubling_reader(self: word._Reader, container: object, out: list[str]) -> None:
    """A reader that forgets merged cells repeat in python-docx's row.cells."""
    document = docx.Document(io.BytesIO(RAW_FOR_OLD_READER))
    for table in document.tables:
        for row in table.rows:
            out.extend(cell.text for cell in row.cells)


_doc, _table = grid(4, 3)
_table.cell(0, 0).merge(_table.cell(0, 1))
RAW_FOR_OLD_READER = save(_doc)


@pytest.mark.parametrize(
    ("reader", "says"),
    [(_old_reader, "were not read"), (_doubling_reader, "were read twice")],
    ids=["losing", "doubling"],
)
def test_a_reader_that_loses_or_repeats_cells_fails_the_import(
    monkeypatch: pytest.MonkeyPatch, reader: Callable[..., None], says: str
) -> None:
    monkeypatch.setattr(word._Reader, "blocks", reader)
    with pytest.raises(ImportRefused) as err:
        process(RAW_FOR_OLD_READER, filename="grid.docx")
    message = str(err.value)
    assert says in message and "nothing was imported" in message and "\n" not in message


def test_refused_docx_leaves_the_project_as_it_was(project: Project, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "grid.docx"
    path.write_bytes(RAW_FOR_OLD_READER)
    monkeypatch.setattr(word._Reader, "blocks", _old_reader)
    with pytest.raises(ImportRefused, match="were not read"):
        import_path(project, path)
    with project.session() as session:
        assert session.scalars(select(Document)).all() == []


def test_repeated_short_cells_are_not_running_heads_but_a_pasted_pdf_still_loses_its_heads() -> None:
    document = docx.Document()
    for page in range(1, 4):
        document.add_paragraph("探索与创新")
        document.add_paragraph(f"这是第{page}页的正文，讲的是新质生产力和创新联合体。")
        document.add_paragraph(f"— {page} —")
    raw = save(document)
    d = process(raw, filename="pasted.docx")
    assert "探索与创新" not in d.text and "— 2 —" not in d.text
    assert_accounted(raw, d)
    assert "    3× '探索与创新'" in describe(d)
    kept = process(raw, PipelineOptions(keep_repeated=True), filename="pasted.docx")
    assert kept.text.count("探索与创新") == 3 and "— 2 —" not in kept.text


def test_empty_and_broken_docx_are_refused_in_one_line() -> None:
    with pytest.raises(ImportRefused, match="no text"):
        process(save(docx.Document()), filename="empty.docx")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ImportRefused, match=r"not a valid \.docx"):
        process(buf.getvalue(), filename="zip.docx")
