"""A native segmenter (rjieba, i.e. jieba-rs) that must give jieba's own tokens, or is not used.

Why: jieba is most of an import's time; jieba-rs has jieba's dictionary and algorithm
(DAG + max route + the same HMM) and cuts the same words ~15× faster. It is not the same
program, though, so it is used only where it agrees with jieba:

* A statement is cut by jieba in blocks (runs of ``[一-鿕a-zA-Z0-9+#&._%-]``); only blocks
  with one of the marks ``+#&._%-`` in them are cut differently by jieba-rs (jieba's HMM
  fallback keeps ``4.3%`` whole but splits ``1001-7348``; jieba-rs does the reverse).
  Statements without such a block go to jieba-rs whole; in the others, those blocks are
  cut by jieba-rs and their runs of letters, digits and marks re-cut with jieba's own
  rule (``finalseg.re_skip``) — or cut by jieba itself where a dictionary word has a mark
  (``C++``, ``AT&T``, a project word such as ``5G+工业互联网``).
* A sample of the statements (every ``SAMPLE_EVERY``-th, at least ``SAMPLE_MIN``) is
  cut again by jieba; if any differs, every statement is cut by jieba and a document whose
  statements jieba-rs cut differently gets jieba's tokens.
* The sample is drawn across an import batch (``segment_batch``: the documents of one file,
  e.g. the rows of a spreadsheet), not per document: a sample of at least 20 statements
  per document would have a 3-statement row cut twice, once by each segmenter.

The result says which segmenter produced each document's tokens (``Segmented.segmenter``),
so the import can record it with the document. Measured in bench/bench_import_pipeline.py (which also
prints any difference from jieba on the seeds).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any

SAMPLE_EVERY = 25  # cross-check every 25th statement …
SAMPLE_MIN = 20  # … and at least this many
JIEBA = "jieba"
NATIVE = "rjieba"

# jieba.re_han_default: the blocks jieba cuts one by one
_HAN_BLOCK = re.compile(r"([\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+)")
_RISKY_CHARS = re.compile(r"[+#&._%\-]")
# a token of only these characters is part of a run jieba's HMM fallback re-cuts …
_ASCII_TOKEN = re.compile(r"[a-zA-Z0-9+#&._%\-]+")
# … with jieba.finalseg.re_skip
_FINALSEG_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
# jieba's dictionary words with those marks (a run holding one goes to jieba itself)
_MARKED_WORDS = re.compile(r"at&t|c#|c\+\+", re.IGNORECASE)

_lock = threading.Lock()
_native: OrderedDict[frozenset[str], Any] = OrderedDict()
_MAX_CACHED = 4
_unavailable = False


class Segmented(list[list[str]]):
    """Tokens per text, and which segmenter produced them (a plain list to every other caller)."""

    segmenter: str = JIEBA

    def __init__(self, tokens: Iterable[list[str]] = (), segmenter: str = JIEBA) -> None:
        super().__init__(tokens)
        self.segmenter = segmenter


def native_for(user_words: frozenset[str]) -> Any | None:
    """A jieba-rs segmenter with the project's words added as jieba adds them; None if not installed."""
    global _unavailable
    if _unavailable:
        return None
    with _lock:
        found = _native.get(user_words)
        if found is not None:
            _native.move_to_end(user_words)
            return found
    try:
        import rjieba
    except ImportError:
        _unavailable = True
        return None
    segmenter = rjieba.Jieba()
    for word in sorted(user_words):
        segmenter.add_word(word, None, None)  # freq None: jieba-rs suggests it the way jieba does
    with _lock:
        _native[user_words] = segmenter
        while len(_native) > _MAX_CACHED:
            _native.popitem(last=False)
    return segmenter


def _keep(tokens: Iterable[str]) -> list[str]:
    """Without whitespace tokens (a token is never empty, so ``strip`` is falsy just for those)."""
    return list(filter(str.strip, tokens))


def _recut_marked(tokens: list[str]) -> list[str] | None:
    """jieba-rs's tokens of a block with marks, with its runs of letters, digits and marks cut as
    jieba's HMM fallback cuts them (``4.3%`` whole, ``1001-7348`` in three); None if unsure."""
    out: list[str] = []
    run: list[str] = []

    def flush() -> bool:
        if run:
            joined = "".join(run)
            if _MARKED_WORDS.search(joined):
                return False
            out.extend(piece for piece in _FINALSEG_SKIP.split(joined) if piece)
            run.clear()
        return True

    for token in tokens:
        if _ASCII_TOKEN.fullmatch(token):
            run.append(token)
            continue
        if not flush():
            return None
        out.append(token)
    return out if flush() else None


def _mixed(
    text: str, native_cut: Callable[[str], list[str]], jieba_cut: Callable[[str], Any], marked_words: bool
) -> list[str]:
    """Cut block by block as jieba does; blocks with marks re-cut as jieba would, or by jieba."""
    out: list[str] = []
    for piece in _HAN_BLOCK.split(text):
        if not piece:
            continue
        if not _HAN_BLOCK.fullmatch(piece):
            out.extend(piece)  # jieba yields what lies between blocks one character at a time
        elif not _RISKY_CHARS.search(piece):
            out.extend(native_cut(piece))
        else:
            recut = None if marked_words else _recut_marked(native_cut(piece))
            out.extend(recut if recut is not None else jieba_cut(piece))
    return _keep(out)


def segment(texts: Sequence[str], user_words: frozenset[str], jieba_tokenizer: Any) -> Segmented:
    """Tokens of each text: jieba-rs where it is known to agree with jieba, else jieba."""
    return segment_batch([texts], user_words, jieba_tokenizer)[0]


def segment_batch(groups: Sequence[Sequence[str]], user_words: frozenset[str], jieba_tokenizer: Any) -> list[Segmented]:
    """Tokens of each group of texts (the statements of one document), the sample drawn across all groups.

    If a sampled statement differs from jieba's tokens, every statement is cut by jieba too and
    each group whose tokens differ anywhere takes jieba's (and says so); the others keep
    jieba-rs's, now known to be jieba's."""

    def jieba_tokens(text: str) -> list[str]:
        return _keep(jieba_tokenizer.cut(text))

    native = native_for(user_words)
    if native is None:
        return [Segmented((jieba_tokens(t) for t in texts), JIEBA) for texts in groups]
    native_cut = native.cut
    marked_words = any(_RISKY_CHARS.search(word) for word in user_words)  # e.g. "5G+工业互联网": jieba decides

    def cut(text: str) -> list[str]:
        if _RISKY_CHARS.search(text) and any(_RISKY_CHARS.search(b) for b in _HAN_BLOCK.findall(text)):
            return _mixed(text, native_cut, jieba_tokenizer.cut, marked_words)
        return _keep(native_cut(text))

    tokens = [[cut(text) for text in texts] for texts in groups]
    total = sum(len(texts) for texts in groups)
    step = max(1, min(SAMPLE_EVERY, total // SAMPLE_MIN or 1))
    agree = True
    seen = 0  # statements before this group: the sample is every ``step``-th of the whole batch
    for texts, cuts in zip(groups, tokens, strict=True):
        for index in range(-seen % step, len(texts), step):
            if cuts[index] != jieba_tokens(texts[index]):
                agree = False
                break
        if not agree:
            break
        seen += len(texts)
    if agree:
        return [Segmented(cuts, NATIVE) for cuts in tokens]
    out = []
    for texts, cuts in zip(groups, tokens, strict=True):
        reference = [jieba_tokens(text) for text in texts]
        out.append(Segmented(cuts, NATIVE) if reference == cuts else Segmented(reference, JIEBA))
    return out
