"""Word segmentation with jieba, per project (cut by jieba-rs where it agrees: ``segment_native``).

jieba keeps one global dictionary; adding a project's domain terms (新质生产力, 揭榜挂帅) to it
would leak them into every other project in the same process. So qcoder uses private
`jieba.Tokenizer` instances: one base instance loaded lazily on first use (with jieba's
load-time chatter on stderr silenced), and one copy per distinct set of user words, which
shares nothing mutable with the base.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any

from qcoder.corpus.segment_native import JIEBA, segment, segment_batch

_lock = threading.Lock()
_base: Any = None
_by_words: OrderedDict[frozenset[str], Any] = OrderedDict()
_MAX_CACHED = 4  # distinct user-word sets kept in memory (each copy holds a ~350k-entry dict)
_tfidf: Any = None


def _jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def base_tokenizer() -> Any:
    """The private, dictionary-only tokenizer (loaded on first call, ~1 s)."""
    global _base
    with _lock:
        if _base is None:
            jieba = _jieba()
            tk = jieba.Tokenizer()
            tk.initialize()
            _base = tk
        return _base


def _clean_words(words: Iterable[str]) -> frozenset[str]:
    return frozenset(w.strip() for w in words if w and w.strip())


def add_user_words(tokenizer: Any, words: Iterable[str]) -> int:
    """Add `words` to `tokenizer` so they are never cut apart; returns how many were added.

    Use it on a tokenizer from `tokenizer_for`, never on jieba's global one. jieba's
    suggested frequency is the smallest that keeps the word whole in its own context.
    """
    added = 0
    for word in sorted(_clean_words(words)):
        tokenizer.add_word(word)
        added += 1
    return added


def tokenizer_for(user_words: Iterable[str] = ()) -> Any:
    """A private tokenizer that knows `user_words`; cached per distinct word set."""
    key = _clean_words(user_words)
    base = base_tokenizer()
    if not key:
        return base
    with _lock:
        tk = _by_words.get(key)
        if tk is not None:
            _by_words.move_to_end(key)
            return tk
    jieba = _jieba()
    tk = jieba.Tokenizer(base.dictionary)
    tk.FREQ = dict(base.FREQ)
    tk.total = base.total
    tk.user_word_tag_tab = dict(base.user_word_tag_tab)
    tk.initialized = True
    add_user_words(tk, key)
    with _lock:
        _by_words[key] = tk
        while len(_by_words) > _MAX_CACHED:
            _by_words.popitem(last=False)
    return tk


def tokenize(texts: Sequence[str], user_words: Sequence[str] = ()) -> list[list[str]]:
    """jieba's tokens of each text (HMM on, for unknown words); whitespace tokens dropped.

    Cut by jieba-rs where it gives jieba's tokens, else by jieba (``segment_native``); the
    result is a ``Segmented`` list whose ``segmenter`` names which one produced it.
    """
    return segment(texts, _clean_words(user_words), tokenizer_for(user_words))


def tokenize_batch(groups: Sequence[Sequence[str]], user_words: Sequence[str] = ()) -> list[list[list[str]]]:
    """``tokenize`` for the statements of several documents at once (the rows of a spreadsheet).

    jieba-rs's tokens are checked against jieba's on a sample of the whole batch; each
    document's result names the segmenter that produced its tokens (``segmenter_of``)."""
    return list(segment_batch(groups, _clean_words(user_words), tokenizer_for(user_words)))


def jieba_tokenize(texts: Sequence[str], user_words: Sequence[str] = ()) -> list[list[str]]:
    """jieba alone (the reference the native segmenter is held to)."""
    cut = tokenizer_for(user_words).cut
    return [[t for t in cut(text) if not t.isspace()] for text in texts]


def segmenter_of(tokens: Sequence[Sequence[str]]) -> str:
    """Which segmenter produced ``tokenize``'s result ("jieba" for anything else)."""
    return getattr(tokens, "segmenter", JIEBA)


def keywords(text: str, topk: int = 10, user_words: Sequence[str] = ()) -> list[str]:
    """Top TF-IDF terms of `text` (jieba.analyse's IDF table), for in-vivo code suggestions."""
    global _tfidf
    tk = tokenizer_for(user_words)
    with _lock:
        if _tfidf is None:
            _jieba()
            import jieba.analyse

            _tfidf = jieba.analyse.TFIDF()
        extractor = copy.copy(_tfidf)
    extractor.tokenizer = tk
    return [w for w in extractor.extract_tags(text, topK=topk) if w.strip()]


# Text inside Chinese quotation marks “…”, corner brackets 「…」 and 『…』 (one line, ≤ 60
# characters: longer "quotes" are usually a missing closing mark).
_QUOTED = re.compile(r"“([^“”\n]{1,60})”|「([^「」\n]{1,60})」|『([^『』\n]{1,60})』")


def quoted_phrases(text: str) -> list[str]:
    """Phrases inside quotes, in order of first appearance, without duplicates.

    Quoted terms (“新基建”, “揭榜挂帅”) are the participants' own words: in-vivo code candidates.
    """
    seen: dict[str, None] = {}
    for m in _QUOTED.finditer(text):
        phrase = next(g for g in m.groups() if g is not None).strip()
        if phrase:
            seen.setdefault(phrase, None)
    return list(seen)
