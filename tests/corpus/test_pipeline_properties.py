"""Invariants on arbitrary text: spans are exact and complete, and no content vanishes unreported."""

from __future__ import annotations

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from qcoder.corpus.clean import MAPPING_STEPS, STEPS, balance, char_balance, clean, ns
from qcoder.corpus.pipeline import process
from qcoder.corpus.split import split
from qcoder.corpus.types import ImportRefused

FRAGMENTS = [
    "發(fā)展",
    "創(chuàng)新",
    "(AI)",
    "图(a)",
    "（试行）",
    "咖啡(café)",
    "?;诖耍",
    "??萍紕?",
    "\ufffd",
    "250 Vol. 3 No. 08 2020Frontier of higher education",
    "探索与创新",
    "## ",
    "**",
    "一是",
    "（一）",
    "(1)",
    "1.",
    "第三条 ",
    "e.g. ",
    "U.S. ",
    "Vol. 3",
    "3.5",
    "life.Therefore",
    "“",
    "”",
    "……",
    "【领导批示】：",
    "共印 500 份",
    "ＡＩ",
    "２０",
    "⾦",
    "⻔",
    "\u200b",
    "\r\n",
    "\n\n",
    "\f",
    "\u3000",
    "[12]",
    "http://a.cn/x?id=1",
]
ALPHABET = "新质生产力创新联合体赋能的是在和了哈尔滨。！？，；：、“”（）()…!?.;:, \n\tabcXYZ019-—#*[]"

texts = st.lists(
    st.one_of(st.sampled_from(FRAGMENTS), st.text(alphabet=ALPHABET, max_size=12), st.text(max_size=4)),
    max_size=30,
).map("".join)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_spans(text: str, semicolon: bool) -> None:
    spans = split(text, semicolon=semicolon)
    prev_end = 0
    for s in spans:
        assert 0 <= prev_end <= s.start < s.end <= len(text)
        piece = text[s.start : s.end]
        assert piece and not piece[0].isspace() and not piece[-1].isspace()
        assert s.kind in ("sentence", "heading")
        prev_end = s.end
    covered = "".join(text[s.start : s.end] for s in spans)
    assert ns(covered) == ns(text)


@FAST
@given(texts, st.booleans())
def test_split_spans_are_exact_ordered_and_complete(text: str, semicolon: bool) -> None:
    check_spans(text, semicolon)


@FAST
@given(texts)
def test_split_of_cleaned_text_covers_it(text: str) -> None:
    cleaned, _ = clean(text)
    check_spans(cleaned, False)


@FAST
@given(texts)
def test_every_step_accounts_for_deleted_content(text: str) -> None:
    for step in STEPS:
        before = text
        text, report = step(before)
        assert balance(before, text, report), report.step
        if report.step not in MAPPING_STEPS:
            assert char_balance(before, text, report), report.step
        else:
            assert len(before) == len(text)


@settings(max_examples=60, deadline=None)
@given(texts.filter(lambda t: t.strip()))
def test_raw_to_final_accounting_through_process(text: str) -> None:
    try:
        d = process(text.encode("utf-8"))
    except ImportRefused:
        reject()  # binary-looking input (NUL/control characters) is refused by design
    removed = sum(len(ns(r)) for rep in d.reports for r in rep.removed)
    assert len(ns(d.decoded.text)) == len(ns(d.text)) + removed
    assert len(d.tokens) == len(d.spans)
    for s, e in d.mojibake:
        assert 0 <= s < e <= len(d.text)
