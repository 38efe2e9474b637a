"""The native segmenter (jieba-rs) gives jieba's tokens, or jieba is used; the import says which."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qcoder.corpus import segment_native
from qcoder.corpus.importer import import_path
from qcoder.corpus.pipeline import process
from qcoder.corpus.tokenize import jieba_tokenize, segmenter_of, tokenize
from qcoder.corpus.types import PipelineOptions
from qcoder.demo import sample_files
from qcoder.store.database import Project
from qcoder.store.models import Document, Sentence

pytest.importorskip("rjieba")

TERMS = ("新基建", "创新联合体", "揭榜挂帅", "新质生产力")
MARKED = [
    "2017—2021年，年均分别增长4.2%、2.7%、2.4%、5.4%。",
    "文章编号:1001-7348(2024)20-0032-13，DOI:10.6049/kjjbydc.L2024XZ423",
    "德国T-Mobile、美国AT&T与C++和C#开发者组建AI+通信联盟[14-15]。",
    "x.y_z -- a--b 3.14.15% 100%% 5G+工业互联网",
]


def _sample_statements() -> list[str]:
    texts: list[str] = []
    for path in sample_files():
        doc = process(path.read_bytes(), PipelineOptions())
        texts.extend(doc.text[s.start : s.end] for s in doc.spans)
    return texts


@pytest.mark.parametrize("words", [(), TERMS, ("5G+工业互联网", "4.2%")])
def test_the_tokens_are_jiebas_on_the_sample_corpus(words: tuple[str, ...]) -> None:
    texts = _sample_statements() + MARKED
    tokens = tokenize(texts, words)
    assert segmenter_of(tokens) == "rjieba"
    reference = jieba_tokenize(texts, words)
    differ = [(t, a, b) for t, a, b in zip(texts, reference, tokens) if a != b]
    assert differ == []
    assert len(tokens) == len(texts) > 500


def test_marked_numbers_are_cut_as_jieba_cuts_them() -> None:
    tokens = tokenize(MARKED)
    assert tokens == jieba_tokenize(MARKED)
    assert "4.2%" in tokens[0] and "1001" in tokens[1] and "7348" in tokens[1]
    assert "C++" in tokens[2] and "AT&T" in tokens[2]


def test_when_the_native_segmenter_disagrees_jieba_cuts_the_whole_text(monkeypatch: Any) -> None:
    class Wrong:
        def cut(self, text: str) -> list[str]:
            return list(text)  # one character a token: not jieba's

    monkeypatch.setattr(segment_native, "native_for", lambda words: Wrong())
    texts = ["创新联合体赋能新质生产力。", "通过揭榜挂帅的方式组织攻关。"] * 30
    tokens = tokenize(texts)
    assert segmenter_of(tokens) == "jieba"
    assert tokens == jieba_tokenize(texts)


def test_without_rjieba_jieba_cuts(monkeypatch: Any) -> None:
    monkeypatch.setattr(segment_native, "native_for", lambda words: None)
    tokens = tokenize(["创新联合体赋能新质生产力。"])
    assert segmenter_of(tokens) == "jieba" and tokens == jieba_tokenize(["创新联合体赋能新质生产力。"])


def test_the_document_records_which_segmenter_cut_it(project: Project, tmp_path: Path) -> None:
    source = tmp_path / "访谈.txt"
    source.write_text("创新联合体赋能新质生产力。年均增长4.2%。\n", encoding="utf-8")
    import_path(project, source, options=PipelineOptions())
    with project.session() as session:
        report = session.scalars(select(Document.import_report)).one()
        stored = session.scalars(select(Sentence.tokens).order_by(Sentence.ordinal)).all()
    assert "tokens: rjieba" in report
    texts = ["创新联合体赋能新质生产力。", "年均增长4.2%。"]
    assert stored == [" ".join(t) for t in jieba_tokenize(texts)]
