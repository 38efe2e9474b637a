"""Word ids computed with numpy are exactly what splitting the stored tokens gives."""

from __future__ import annotations

import random

from qcoder.analysis.token_ids import token_ids
from qcoder.corpus.tokenize import jieba_tokenize
from qcoder.demo import sample_files


def _words(texts: list[bytes], drop_single: bool = False) -> list[list[str]]:
    found = token_ids(texts, drop_single=drop_single)
    return [[found.vocabulary[i] for i in found.ids[a:b]] for a, b in zip(found.row_starts, found.row_ends)]


def _split(texts: list[bytes], drop_single: bool = False) -> list[list[str]]:
    rows = [[token.decode() for token in text.split()] for text in texts]
    return [[t for t in row if len(t) > 1] for row in rows] if drop_single else rows


def test_the_sample_corpus_tokens_come_back_word_for_word() -> None:
    lines = [line for path in sample_files() for line in path.read_text(encoding="utf-8").splitlines()]
    texts = [" ".join(tokens).encode() for tokens in jieba_tokenize(lines)]
    assert sum(map(len, _split(texts))) > 10_000
    assert _words(texts) == _split(texts)
    assert _words(texts, drop_single=True) == _split(texts, drop_single=True)


def test_empty_rows_long_words_and_words_alike_in_their_first_16_bytes() -> None:
    long_a = "中华人民共和国国务院办公厅"  # 39 bytes
    long_b = "中华人民共和国国务院新闻办"  # the same first 30 bytes
    near_a, near_b = "abcdefghijklmnop", "abcdefghijklmnoq"  # differ in the 16th byte
    texts = [
        b"",
        f"{long_a} 的 {near_a} é {long_b}".encode(),
        b"  ",
        f"{near_b} {long_a} x 𠮷 ab".encode(),
        b"",
    ]
    assert _words(texts) == _split(texts)
    assert _words(texts, drop_single=True) == _split(texts, drop_single=True)
    found = token_ids(texts)
    assert len(found.vocabulary) == len({t for text in texts for t in text.split()})


def test_many_distinct_words_grow_the_table() -> None:
    rng = random.Random(3)
    alphabet = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理世车"
    texts = [
        " ".join("".join(rng.choice(alphabet) for _ in range(rng.randint(2, 7))) for _ in range(40)).encode()
        for _ in range(2_000)
    ]
    found = token_ids(texts)
    assert len(found.vocabulary) > 1 << 15  # more than a first table of 65,536 slots holds at half load
    assert _words(texts) == _split(texts)
