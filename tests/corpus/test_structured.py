"""Structured sources: blocks from a reader go through clean → split → tokenize one by one.

A reader registered for a suffix hands the pipeline blocks with kinds and attributes; these
tests register small readers of their own (the real ones are tested with their formats) and
check what a researcher would see: no statement crosses a block, headings keep their level,
every statement of a block carries its attributes, what the reader left out is accounted for,
and a file with several documents (a spreadsheet) stores one document per case.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from qcoder.corpus import sources
from qcoder.corpus.blocks import Block, StructuredSource
from qcoder.corpus.clean import ns
from qcoder.corpus.importer import import_path, prepare
from qcoder.corpus.pipeline import describe, process, process_all
from qcoder.corpus.types import ImportRefused, PipelineOptions, StepReport
from qcoder.store.database import Project
from qcoder.store.models import Document, Sentence

BLOCKS = [
    Block("第一章 研究背景", "heading", level=1),
    Block("创业的人很多他们都回来了", attributes={"page": "1"}),  # no final punctuation: must not join the next
    Block("我们村里有二十户。后来又多了。", attributes={"page": "2"}),
    Block("受访者说的话。第二句！", "turn", attributes={"speaker": "受访者", "time": "00:01:30"}),
    Block("嗯", "turn", attributes={"speaker": "访谈者"}),
]


def _reader(raw: bytes, options: PipelineOptions) -> list[StructuredSource]:
    text = raw.decode("utf-8")
    blocks = [*BLOCKS, Block(text)] if text.strip() else list(BLOCKS)
    removed = [StepReport("drop_page_furniture_pdf", changes=2, removed=["— 1 —", "— 2 —"])]
    read = sum(len(ns(b.text)) for b in blocks) + len(ns("— 1 —— 2 —"))
    return [StructuredSource(blocks, reader="test reader", removed=removed, read_chars=read, encoding="test")]


def _rows(raw: bytes, options: PipelineOptions) -> list[StructuredSource]:
    out = []
    for line in raw.decode("utf-8").splitlines():
        case, sex, answer = line.split(",")
        out.append(
            StructuredSource(
                [Block(answer, "paragraph", attributes={"row": case})],
                reader="rows",
                name=case,
                document_attributes={"性别": sex},
                read_chars=len(ns(answer)),
            )
        )
    return out


@pytest.fixture(autouse=True)
def readers() -> Iterator[None]:
    sources.register([".blk"], _reader)
    sources.register([".rows"], _rows)
    yield
    sources._registered.pop(".blk", None)
    sources._registered.pop(".rows", None)


def statements(
    raw: bytes = b" ", options: PipelineOptions = PipelineOptions()
) -> list[tuple[str, str, dict[str, str]]]:
    d = process(raw, options, filename="x.blk")
    return [(d.text[s.start : s.end], s.kind, s.attributes) for s in d.spans]


def test_blocks_become_statements_with_their_kind_and_attributes() -> None:
    assert statements() == [
        ("第一章 研究背景", "heading", {"level": "1"}),
        # a short paragraph without final punctuation is a heading by its shape, and never glued to the next
        ("创业的人很多他们都回来了", "heading", {"page": "1"}),
        ("我们村里有二十户。", "sentence", {"page": "2"}),
        ("后来又多了。", "sentence", {"page": "2"}),
        ("受访者说的话。", "sentence", {"speaker": "受访者", "time": "00:01:30"}),
        ("第二句！", "sentence", {"speaker": "受访者", "time": "00:01:30"}),
        ("嗯", "sentence", {"speaker": "访谈者"}),  # a short turn is not taken for a heading
    ]


def test_blocks_are_joined_by_a_blank_line_and_spans_index_the_stored_text() -> None:
    d = process(b" ", filename="x.blk")
    assert d.text.split("\n\n") == [b.text for b in BLOCKS]
    for span in d.spans:
        piece = d.text[span.start : span.end]
        assert piece.strip() == piece and "\n" not in piece
    assert ns("".join(d.text[s.start : s.end] for s in d.spans)) == ns(d.text)
    assert len(d.tokens) == len(d.spans)


def test_interviewer_turns_can_be_context() -> None:
    kinds = [kind for _, kind, _ in statements(options=PipelineOptions(interviewer_context=True))]
    assert kinds[-1] == "context" and kinds.count("context") == 1


def test_accounting_includes_what_the_reader_removed() -> None:
    d = process(b" ", filename="x.blk")
    report = describe(d)
    kept = len(ns(d.text))
    assert f"characters: {kept + 6:,} read = {kept:,} kept + 6 removed (listed above)" in report
    assert "reader: test reader" in report and "    1× '— 1 —'" in report


def test_a_reader_that_loses_text_is_refused() -> None:
    def lossy(raw: bytes, options: PipelineOptions) -> list[StructuredSource]:
        return [StructuredSource([Block("只有这些。")], reader="lossy", read_chars=100)]

    sources.register([".lossy"], lossy)
    try:
        with pytest.raises(ImportRefused, match="did not list"):
            process(b"x", filename="a.lossy")
    finally:
        sources._registered.pop(".lossy")


def test_a_block_is_cleaned_on_its_own() -> None:
    d = process("ＡＩ创业\u200b的人。".encode(), filename="x.blk")
    assert d.text.endswith("AI创业的人。")
    assert any(r.step == "drop_invisible" and r.removed == ["\u200b"] for r in d.reports)


def test_one_file_with_several_documents(project: Project, tmp_path: Path) -> None:
    path = tmp_path / "answers.rows"
    path.write_text("R1,女,我想回村创业。\nR2,男,不想回去\n", encoding="utf-8")
    assert [d.name for d in process_all(path.read_bytes(), filename=path.name)] == ["R1", "R2"]
    result = import_path(project, path, attributes={"wave": "1"})
    assert result.documents == 2 and result.statements == 2 and len(result.labels) == 2
    with project.session() as session:
        docs = session.scalars(select(Document).order_by(Document.id)).all()
        assert [(d.name, d.attributes) for d in docs] == [
            ("R1", {"性别": "女", "wave": "1"}),
            ("R2", {"性别": "男", "wave": "1"}),
        ]
        rows = session.execute(select(Sentence.text, Sentence.attributes).order_by(Sentence.id)).all()
        assert [tuple(r) for r in rows] == [("我想回村创业。", {"row": "R1"}), ("不想回去", {"row": "R2"})]
        assert docs[0].raw_bytes == path.read_bytes()
    again = import_path(project, path)
    assert again.status == "duplicate"
    assert prepare(path, project=project).duplicate is not None
