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


CHUNK_BYTES = 1 << 18  # rows are read in pieces of about this size, so the arrays stay in the CPU cache


def token_ids(texts: Sequence[bytes], *, drop_single: bool = False) -> TokenIds:
    """Word ids of the space-separated UTF-8 tokens of each row (``texts``)."""
    row_lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    return joined_token_ids(b" ".join(texts), row_lengths, drop_single=drop_single)


def joined_token_ids(joined: bytes, row_lengths: np.ndarray, *, drop_single: bool = False) -> TokenIds:
    """Word ids of rows given as one buffer: the rows' UTF-8 tokens joined by one space.

    Why a joined buffer: the database can hand over all rows as one aggregated string
    (``group_concat``) with their byte lengths, which costs a third of fetching a row each.
    ``row_lengths`` are in bytes; the rows are one separator byte apart.
    """
    rows = len(row_lengths)
    none = np.zeros(0, dtype=np.int64)
    if rows == 0:
        return TokenIds([], none, none, none)
    row_bytes = np.zeros(rows + 1, dtype=np.int64)
    np.cumsum(np.asarray(row_lengths, dtype=np.int64) + 1, out=row_bytes[1:])
    if len(joined) + 1 != row_bytes[-1]:
        raise ValueError(f"rows of {int(row_bytes[-1]) - rows} bytes in all, but {len(joined) - rows + 1} joined")
    joined = joined + b" " + bytes(KEY_BYTES)
    buf = np.frombuffer(joined, dtype=np.uint8)
    window = as_strided(buf, shape=(len(buf) - KEY_BYTES, KEY_BYTES), strides=(1, 1))
    table = _Table()
    all_starts: list[np.ndarray] = []
    all_lengths: list[np.ndarray] = []
    all_slots: list[np.ndarray] = []
    bounds = np.unique(np.r_[np.searchsorted(row_bytes, np.arange(0, row_bytes[-1], CHUNK_BYTES)), rows])
    for first_row, end_row in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        begin, end = int(row_bytes[first_row]), int(row_bytes[end_row])
        starts, lengths = _tokens_in(buf[begin:end], drop_single)
        starts += begin
        slots = np.full(len(starts), -1, dtype=np.int64)
        short = np.flatnonzero(lengths <= KEY_BYTES)
        if len(short):
            halves = window[starts[short]].view(np.uint64)  # (S, 2): the first 16 bytes of each token
            short_lengths = lengths[short]
            low = halves[:, 0] & _LOW_MASK[short_lengths]
            high = halves[:, 1] & _HIGH_MASK[short_lengths]
            slots[short] = table.insert(low, high, short_lengths.astype(np.uint64), starts[short], all_slots)
        all_starts.append(starts)
        all_lengths.append(lengths)
        all_slots.append(slots)
    starts = np.concatenate(all_starts)
    lengths = np.concatenate(all_lengths)
    slots = np.concatenate(all_slots)
    word, vocabulary = table.dense(joined, slots)
    long_tokens = np.flatnonzero(slots < 0)  # longer than 16 bytes: rare, by a dict
    if len(long_tokens):
        index: dict[bytes, int] = {}
        for position, s, n in zip(
            long_tokens.tolist(), starts[long_tokens].tolist(), lengths[long_tokens].tolist(), strict=True
        ):
            token = joined[s : s + n]
            found = index.get(token)
            if found is None:
                found = index[token] = len(vocabulary)
                vocabulary.append(token.decode("utf-8", errors="replace"))
            word[position] = found
    # rows are contiguous in the buffer: each row's tokens run up to the next row's first token
    row_starts = np.searchsorted(starts, row_bytes[:-1], side="left")
    row_ends = np.r_[row_starts[1:], len(starts)]
    return TokenIds(vocabulary, word, row_starts, row_ends)


def _tokens_in(piece: np.ndarray, drop_single: bool) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of each token in ``piece``: separated by spaces and control characters
    (stored tokens never hold them); without one-character tokens if ``drop_single``."""
    separator = np.empty(len(piece) + 2, dtype=np.int8)
    separator[0] = separator[-1] = 1
    np.less_equal(piece, 32, out=separator[1:-1].view(bool))
    edges = np.flatnonzero(np.diff(separator))
    starts, ends = edges[0::2], edges[1::2]
    lengths = ends - starts
    if drop_single:
        lead = piece[starts]
        char_bytes = 1 + (lead >= 0xC0).astype(np.int64) + (lead >= 0xE0) + (lead >= 0xF0)
        several = lengths > char_bytes
        starts, lengths = starts[several], lengths[several]
    return starts, lengths


class _Table:
    """Open addressing with linear probing over numpy arrays; a slot holds one distinct key
    (16 bytes and a length) and where it first occurs. Kept at most half full."""

    def __init__(self, bits: int = 15) -> None:
        self._reset(bits)

    def _reset(self, bits: int) -> None:
        self.bits = bits
        size = 1 << bits
        self.used = np.zeros(size, dtype=bool)
        self.low = np.zeros(size, dtype=np.uint64)
        self.high = np.zeros(size, dtype=np.uint64)
        self.length = np.zeros(size, dtype=np.uint64)
        self.first = np.zeros(size, dtype=np.int64)
        self.count = 0

    def _slots(self, low: np.ndarray, high: np.ndarray, length: np.ndarray) -> np.ndarray:
        hashed = (low * _MIX) ^ ((high + length) * _MIX2)
        return (hashed >> np.uint64(64 - self.bits)).astype(np.int64)

    def insert(
        self, low: np.ndarray, high: np.ndarray, length: np.ndarray, first: np.ndarray, earlier: list[np.ndarray]
    ) -> np.ndarray:
        """The slot of each key, claiming empty ones; ``earlier`` slots are renumbered if the table grows."""
        if (self.count + len(low)) * 2 > len(self.used):
            self._grow(self.count + len(low), earlier)
        mask = len(self.used) - 1
        final = np.empty(len(low), dtype=np.int64)
        pending = np.arange(len(low))
        probe = self._slots(low, high, length)
        while len(pending):
            empty = ~self.used[probe]
            if empty.any():
                claim = probe[empty][::-1]  # reversed: of two new keys on one slot, the earlier is written last
                who = pending[empty][::-1]
                self.used[claim] = True
                self.low[claim], self.high[claim], self.length[claim] = low[who], high[who], length[who]
                self.first[claim] = first[who]
                self.count = int(np.count_nonzero(self.used))
            same = (
                (self.low[probe] == low[pending])
                & (self.high[probe] == high[pending])
                & (self.length[probe] == length[pending])
            )
            final[pending[same]] = probe[same]
            pending = pending[~same]
            probe = (probe[~same] + 1) & mask
        return final

    def _grow(self, needed: int, earlier: list[np.ndarray]) -> None:
        old = np.flatnonzero(self.used)
        renumber = np.full(len(self.used), -1, dtype=np.int64)
        low, high, length, first = self.low[old], self.high[old], self.length[old], self.first[old]
        bits = self.bits
        while needed * 2 > (1 << bits):
            bits += 1
        self._reset(bits)
        renumber[old] = self.insert(low, high, length, first, [])
        for slots in earlier:
            known = slots >= 0
            slots[known] = renumber[slots[known]]

    def dense(self, joined: bytes, slots: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Dense word ids (in order of first appearance) for the slots (-1 stays -1), and the words."""
        used = np.flatnonzero(self.used)
        order = used[np.argsort(self.first[used], kind="stable")]
        number = np.full(len(self.used), -1, dtype=np.int64)
        number[order] = np.arange(len(order))
        word = np.where(slots >= 0, number[np.maximum(slots, 0)], -1)
        vocabulary = [
            joined[s : s + n].decode("utf-8", errors="replace")
            for s, n in zip(self.first[order].tolist(), self.length[order].astype(np.int64).tolist(), strict=True)
        ]
        return word, vocabulary
