"""The stored tokens of many statements as integer word ids, computed with numpy.

Why not ``bytes.split`` and a dict: on 100,000 statements (3 million tokens) making a
Python object per token and hashing it is most of the word-frequency report. Here the
space-joined tokens are one byte buffer: token boundaries come from one comparison,
each token's first 16 bytes (and its length) are gathered as two unaligned 64-bit reads
(bytes past its end masked off), and an open-addressing hash table in numpy arrays gives each distinct word a dense
id. The table compares the whole key, so two different words never share an id; the rare
token longer than 16 bytes gets its id from a dict.

``drop_single``: tokens of one character (particles, punctuation) are dropped before any
of this — word frequencies never count them unless asked to (``min_length=1``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

KEY_BYTES = 16
# the bytes of a key past the token's length are masked off: masks by length, for each half
_LOW_MASK = np.array([(1 << (8 * min(n, 8))) - 1 for n in range(KEY_BYTES + 1)], dtype=np.uint64)
_HIGH_MASK = np.array([(1 << (8 * max(n - 8, 0))) - 1 for n in range(KEY_BYTES + 1)], dtype=np.uint64)
# bytes of the UTF-8 character that starts with this byte
_CHAR_BYTES = np.array([1 if b < 0xC0 else 2 if b < 0xE0 else 3 if b < 0xF0 else 4 for b in range(256)], dtype=np.int64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)


@dataclass
class TokenIds:
    vocabulary: list[str]  # id → word
    ids: np.ndarray  # (T,) int32 word id of every kept token, row after row (int32: half the memory traffic)
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
    # the 8 bytes from every position, read unaligned: a token's key is two of these
    eights = np.ndarray(shape=(len(joined) - 8,), dtype=np.uint64, buffer=joined, strides=(1,))
    table = _Table()
    words: list[np.ndarray] = []  # word ids, chunk after chunk
    row_starts = np.empty(rows, dtype=np.int64)
    long_tokens: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (positions, starts, lengths)
    done = 0  # tokens in earlier chunks
    bounds = np.unique(np.r_[np.searchsorted(row_bytes, np.arange(0, row_bytes[-1], CHUNK_BYTES)), rows])
    for first_row, end_row in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
        begin, end = int(row_bytes[first_row]), int(row_bytes[end_row])
        starts, lengths = _tokens_in(buf[begin:end], drop_single)
        # rows are contiguous in the buffer: each row's tokens run up to the next row's first token
        row_starts[first_row:end_row] = np.searchsorted(starts, row_bytes[first_row:end_row] - begin) + done
        starts += begin
        if len(starts) and int(lengths.max()) <= KEY_BYTES:
            word = table.insert(*_keys(eights, starts, lengths), starts)
        else:
            word = np.full(len(starts), -1, dtype=np.int32)
            short = lengths <= KEY_BYTES
            if short.any():
                word[short] = table.insert(*_keys(eights, starts[short], lengths[short]), starts[short])
            long_tokens.append((done + np.flatnonzero(~short), starts[~short], lengths[~short]))
        words.append(word)
        done += len(starts)
    word = np.concatenate([*words, np.zeros(0, dtype=np.int32)])
    vocabulary = table.words(joined)
    index: dict[bytes, int] = {}  # tokens longer than 16 bytes: rare, by a dict
    for positions, starts, lengths in long_tokens:
        for position, s, n in zip(positions.tolist(), starts.tolist(), lengths.tolist(), strict=True):
            token = joined[s : s + n]
            found = index.get(token)
            if found is None:
                found = index[token] = len(vocabulary)
                vocabulary.append(token.decode("utf-8", errors="replace"))
            word[position] = found
    row_ends = np.r_[row_starts[1:], done]
    return TokenIds(vocabulary, word, row_starts, row_ends)


def _keys(eights: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first 8 bytes, next 8 bytes, length) of tokens of at most 16 bytes; bytes past a token's end are zero."""
    low = eights[starts] & _LOW_MASK[lengths]
    high = eights[starts + 8] & _HIGH_MASK[lengths]
    return low, high, lengths.astype(np.uint64)


def _tokens_in(piece: np.ndarray, drop_single: bool) -> tuple[np.ndarray, np.ndarray]:
    """(start, length) of each token in ``piece``: separated by spaces and control characters
    (stored tokens never hold them); without one-character tokens if ``drop_single``."""
    separator = np.empty(len(piece) + 2, dtype=bool)
    separator[0] = separator[-1] = True
    np.less_equal(piece, 32, out=separator[1:-1])
    # where separators and token bytes alternate; compared as booleans, which numpy's nonzero
    # scans several times faster than the integers of np.diff
    edges = np.flatnonzero(separator[1:] != separator[:-1])
    starts, ends = edges[0::2], edges[1::2]
    lengths = ends - starts
    if drop_single:
        several = lengths > _CHAR_BYTES[piece[starts]]
        starts, lengths = starts[several], lengths[several]
    return starts, lengths


class _Table:
    """Open addressing with linear probing over numpy arrays; a slot holds one distinct key
    (16 bytes and a length), where it first occurs and its word id. Kept at most half full.

    Why ids are given when a key is first stored: they stay the same when the table grows,
    so the ids already handed out never need renumbering.
    """

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
        self.ident = np.full(size, -1, dtype=np.int32)
        self.count = 0  # distinct keys = ids given

    def _slots(self, low: np.ndarray, high: np.ndarray, length: np.ndarray) -> np.ndarray:
        hashed = low * _MIX
        mixed = high + length
        mixed *= _MIX2
        hashed ^= mixed
        hashed >>= np.uint64(64 - self.bits)
        return hashed.view(np.int64)  # below 2**bits: the same numbers as int64

    def insert(self, low: np.ndarray, high: np.ndarray, length: np.ndarray, first: np.ndarray) -> np.ndarray:
        """The word id of each key; a new key is stored with the next id.

        The first round looks at every key in order and needs no gathering of the keys; most
        keys are found there (known words at their home slot), and when all are, that is all.
        """
        if (self.count + len(low)) * 2 > len(self.used):
            self._grow(self.count + len(low))
        mask = len(self.used) - 1
        final = np.empty(len(low), dtype=np.int32)
        pending: np.ndarray | None = None  # None: every key, in order (the first round)
        probe = self._slots(low, high, length)
        while pending is None or len(pending):
            if pending is None:
                key_low, key_high, key_length = low, high, length
            else:
                key_low, key_high, key_length = low[pending], high[pending], length[pending]
            empty = ~self.used[probe]
            if empty.any():
                at = np.flatnonzero(empty)
                claim = probe[at][::-1]  # reversed: of two new keys on one slot, the earlier is written last
                who = (at if pending is None else pending[at])[::-1]
                self.used[claim] = True
                self.low[claim], self.high[claim], self.length[claim] = low[who], high[who], length[who]
                self.first[claim] = first[who]
                fresh = np.unique(claim)
                self.ident[fresh] = np.arange(self.count, self.count + len(fresh), dtype=np.int32)
                self.count += len(fresh)
            same = (self.low[probe] == key_low) & (self.high[probe] == key_high) & (self.length[probe] == key_length)
            if pending is None:
                if same.all():
                    return self.ident[probe]
                final[same] = self.ident[probe[same]]
                pending = np.flatnonzero(~same)
            else:
                final[pending[same]] = self.ident[probe[same]]
                pending = pending[~same]
            probe = (probe[~same] + 1) & mask
        return final

    def _grow(self, needed: int) -> None:
        old = np.flatnonzero(self.used)
        low, high, length, first = self.low[old], self.high[old], self.length[old], self.first[old]
        ident = self.ident[old]
        bits = self.bits
        while needed * 2 > (1 << bits):
            bits += 1
        self._reset(bits)
        given = self.insert(low, high, length, first)  # distinct keys: ids 0..n-1, in another order
        keep = np.empty(len(old), dtype=np.int64)
        keep[given] = ident
        used = np.flatnonzero(self.used)
        self.ident[used] = keep[self.ident[used]]

    def words(self, joined: bytes) -> list[str]:
        """The stored keys' words, by id."""
        used = np.flatnonzero(self.used)
        order = used[np.argsort(self.ident[used])]
        return [
            joined[s : s + n].decode("utf-8", errors="replace")
            for s, n in zip(self.first[order].tolist(), self.length[order].astype(np.int64).tolist(), strict=True)
        ]
