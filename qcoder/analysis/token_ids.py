"""The stored tokens of many statements as integer word ids, computed with numpy.

Why not ``bytes.split`` and a dict: on 100,000 statements (3 million tokens) making a
Python object per token and hashing it is most of the word-frequency report. Here the
space-joined tokens are one byte buffer: token boundaries come from one comparison,
each token's first 16 bytes (and its length) are gathered through an overlapping-window
view (bytes past its end masked off), and an open-addressing hash table in numpy arrays gives each distinct word a dense
id. The table compares the whole key, so two different words never share an id; the rare
token longer than 16 bytes gets its id from a dict.

``drop_single``: tokens of one character (particles, punctuation) are dropped before any
of this — word frequencies never count them unless asked to (``min_length=1``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

KEY_BYTES = 16
# the bytes of a key past the token's length are masked off: masks by length, for each half
_LOW_MASK = np.array([(1 << (8 * min(n, 8))) - 1 for n in range(KEY_BYTES + 1)], dtype=np.uint64)
_HIGH_MASK = np.array([(1 << (8 * max(n - 8, 0))) - 1 for n in range(KEY_BYTES + 1)], dtype=np.uint64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)


@dataclass
class TokenIds:
    vocabulary: list[str]  # id → word
    ids: np.ndarray  # (T,) word id of every kept token, row after row
    row_starts: np.ndarray  # (R,) first token of each row
    row_ends: np.ndarray  # (R,) one past its last token


def token_ids(texts: Sequence[bytes], *, drop_single: bool = False) -> TokenIds:
    """Word ids of the space-separated UTF-8 tokens of each row (``texts``)."""
    rows = len(texts)
    none = np.zeros(0, dtype=np.int64)
    if rows == 0:
        return TokenIds([], none, none, none)
    row_lengths = np.fromiter(map(len, texts), dtype=np.int64, count=rows)
    row_bytes = np.zeros(rows, dtype=np.int64)
    np.cumsum(row_lengths[:-1] + 1, out=row_bytes[1:])
    joined = b" ".join(texts) + b" " + bytes(KEY_BYTES)
    buf = np.frombuffer(joined, dtype=np.uint8)
    size = len(buf) - KEY_BYTES
    # separators: space and the control characters (stored tokens never hold them)
    separator = np.empty(size + 2, dtype=np.int8)
    separator[0] = separator[-1] = 1
    np.less_equal(buf[:size], 32, out=separator[1:-1].view(bool))
    edges = np.flatnonzero(np.diff(separator))
    starts, ends = edges[0::2], edges[1::2]
    lengths = ends - starts
    if drop_single:
        lead = buf[starts]
        char_bytes = 1 + (lead >= 0xC0).astype(np.int64) + (lead >= 0xE0) + (lead >= 0xF0)
        several = lengths > char_bytes
        starts, lengths = starts[several], lengths[several]
    word, vocabulary = _dense_ids(joined, buf, starts, lengths)
    # rows are contiguous in the buffer: each row's tokens run up to the next row's first token
    row_starts = np.searchsorted(starts, row_bytes, side="left")
    row_ends = np.r_[row_starts[1:], len(starts)]
    return TokenIds(vocabulary, word, row_starts, row_ends)


def _dense_ids(joined: bytes, buf: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """A dense id per distinct token (ids in order of first appearance) and the words."""
    count = len(starts)
    word = np.empty(count, dtype=np.int64)
    short = np.flatnonzero(lengths <= KEY_BYTES)
    window = as_strided(buf, shape=(len(buf) - KEY_BYTES, KEY_BYTES), strides=(1, 1))
    halves = window[starts[short]].view(np.uint64)  # (S, 2): the first 16 bytes of each token
    short_lengths = lengths[short]
    low = halves[:, 0] & _LOW_MASK[short_lengths]
    high = halves[:, 1] & _HIGH_MASK[short_lengths]
    short_lengths = short_lengths.astype(np.uint64)
    hashed = (low * _MIX) ^ ((high + short_lengths) * _MIX2)
    slots, firsts = _hash_table(hashed, low, high, short_lengths)
    # dense ids in order of first appearance, so the vocabulary reads like the text
    order = np.argsort(firsts, kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    word[short] = rank[slots]
    first_tokens = short[firsts[order]]
    vocabulary = [
        joined[s : s + n].decode("utf-8", errors="replace")
        for s, n in zip(starts[first_tokens].tolist(), lengths[first_tokens].tolist())
    ]
    long_tokens = np.flatnonzero(lengths > KEY_BYTES)
    if len(long_tokens):
        index: dict[bytes, int] = {}
        for position, (s, n) in zip(
            long_tokens.tolist(), zip(starts[long_tokens].tolist(), lengths[long_tokens].tolist())
        ):
            token = joined[s : s + n]
            found = index.get(token)
            if found is None:
                found = index[token] = len(vocabulary)
                vocabulary.append(token.decode("utf-8", errors="replace"))
            word[position] = found
    return word, vocabulary


def _hash_table(
    hashed: np.ndarray, low: np.ndarray, high: np.ndarray, lengths: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Open addressing with linear probing, all tokens at once: (each token's distinct-key number,
    the first token of each distinct key). Keys are compared whole (16 bytes and length)."""
    bits = 16
    while True:
        size = 1 << bits
        slot = (hashed >> np.uint64(64 - bits)).astype(np.int64)
        owner = np.full(size, -1, dtype=np.int64)  # first token that claimed the slot
        final = np.empty(len(hashed), dtype=np.int64)
        pending = np.arange(len(hashed))
        probe = slot
        while len(pending):
            empty = owner[probe] < 0
            # the first pending token wins an empty slot (reversed assignment: earliest written last)
            claim = probe[empty][::-1]
            owner[claim] = pending[empty][::-1]
            if len(claim) and int(np.count_nonzero(owner >= 0)) * 2 > size:
                break  # more than half full: a larger table
            holder = owner[probe]
            same = (
                (low[holder] == low[pending]) & (high[holder] == high[pending]) & (lengths[holder] == lengths[pending])
            )
            final[pending[same]] = probe[same]
            pending = pending[~same]
            probe = (probe[~same] + 1) & (size - 1)
        else:
            used = np.flatnonzero(owner >= 0)
            number = np.full(size, -1, dtype=np.int64)
            number[used] = np.arange(len(used))
            return number[final], owner[used]
        bits += 1
