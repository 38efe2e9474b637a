"""The PDF reader on PDFs written by reportlab (tests/data/sources/make_pdfs.py; ground truth in the .json files)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qcoder.corpus.blocks import StructuredSource
from qcoder.corpus.readers.pdf import read_pdf
from qcoder.corpus.types import ImportRefused

SOURCES = Path(__file__).parents[1] / "data" / "sources"


def _read(name: str) -> StructuredSource:
    [source] = read_pdf((SOURCES / name).read_bytes())
    return source


def _ns(text: str) -> str:
    return "".join(text.split())


def _drawn(name: str) -> list[list[str]]:
    return json.loads((SOURCES / name).with_suffix(".json").read_text(encoding="utf-8"))["pages"]


def _removed(source: StructuredSource, step: str) -> list[str]:
    return [line for r in source.removed if r.step == step for line in r.removed]


@pytest.mark.parametrize("name", ["policy.pdf", "twocol.pdf"])
def test_every_drawn_character_is_kept_or_listed_as_removed(name: str) -> None:
    source = _read(name)
    drawn = Counter(_ns("".join(s for page in _drawn(name) for s in page)))
    kept = Counter(_ns("".join(b.text for b in source.blocks)))
    removed = Counter(_ns("".join(line for r in source.removed for line in r.removed)))
    assert kept + removed == drawn
    assert source.read_chars == sum(drawn.values())


def test_running_heads_page_numbers_and_watermark_are_removed_and_listed() -> None:
    source = _read("policy.pdf")
    furniture = _removed(source, "drop_page_furniture")
    assert Counter(furniture) == Counter(
        {"某市人民政府公报 2026年第3期": 3, "内部资料 注意保密": 3, "- 1 -": 1, "- 2 -": 1, "- 3 -": 1}
    )
    text = "".join(b.text for b in source.blocks)
    assert "公报" not in text and "保密" not in text


def test_headings_paragraphs_pages_and_joined_lines() -> None:
    source = _read("policy.pdf")
    heads = [(b.text, b.level) for b in source.blocks if b.kind == "heading"]
    assert heads == [
        ("关于进一步加强社区养老服务的实施意见", 1),
        ("引用文件", 2),  # drawn as `引 用 文 件`: closed up
        ("一、总体要求", 2),
        ("二、主要任务", 2),
        ("三、保障措施", 2),
    ]
    paragraphs = [b for b in source.blocks if b.kind == "paragraph"]
    assert paragraphs[0].text == "征求意见稿"  # justified with wide character spacing
    assert paragraphs[1].text.startswith("为贯彻落实") and paragraphs[1].text.endswith("制定本实施意见。")
    # every paragraph ends where the writer ended it: lines re-joined, no paragraph cut at a line end
    assert all(p.text.endswith(("。", "website.")) or p.text == "征求意见稿" for p in paragraphs)
    assert len(paragraphs) == 8
    english = next(p.text for p in paragraphs if p.text.startswith("The community"))
    assert "for organizational management and report" in english  # `manag-` + `ement`: hyphen undone
    assert "every neighbourhood service" in english
    assert "  " not in english
    assert _removed(source, "pdf_hyphenation") == ["-", "-"]
    assert [b.attributes["page"] for b in source.blocks if b.kind == "paragraph"] == [
        "1", "1", "1", "1", "2", "2", "2", "3"
    ]  # fmt: skip


def test_two_columns_are_read_column_by_column_and_roman_page_numbers_removed() -> None:
    source = _read("twocol.pdf")
    assert _removed(source, "drop_page_furniture") == ["Ⅰ", "Ⅱ"]
    starts = [b.text[:6] for b in source.blocks]
    assert starts == [
        "乡村振兴中的",
        "摘要",
        "本文基于对三",
        "一、研究问题",
        "近年来，越来",
        "已有研究多从",
        "二、研究发现",
        "第一，家庭是",
        "第三，电商平",
        "第五，返乡创",
        "第六，政策支",
        "第七，返乡创",
        "三、结论与讨",
        "返乡创业不仅",
    ]
    sixth = next(b for b in source.blocks if b.text.startswith("第六"))
    # the paragraph runs from the bottom of the left column to the top of the right one
    assert "西部县的扶持资金有限" in sixth.text and sixth.text.endswith("办成一件事。")
    assert source.blocks[0].kind == "heading" and source.blocks[0].level == 1


def test_a_scan_without_text_layer_is_refused_with_one_line() -> None:
    with pytest.raises(ImportRefused) as err:
        read_pdf((SOURCES / "scanned.pdf").read_bytes())
    message = str(err.value)
    assert "no text layer" in message and "OCR" in message and "\n" not in message


@pytest.mark.parametrize("raw", [b"", b"%PDF-1.4 this is not really a pdf", b"hello"])
def test_broken_pdfs_are_refused(raw: bytes) -> None:
    with pytest.raises(ImportRefused):
        read_pdf(raw)
