"""The words of a question: punctuation dropped, a trailing Korean particle split off (the stem).

`word_forms` gives one text's words as strings. `WordTable` gives the words of many
texts as integer ids, found with numpy over the joined code points: the guard
(curator.filters.variants) compares which words two questions do not share, and a
million questions have some fifteen million words, too many to split and look up one
by one in Python. Texts are joined a slice at a time into one array of code points;
punctuation is dropped; words are the runs between spaces; each word gets a 64-bit
polynomial hash from prefix sums (the base is odd, so it is invertible modulo 2**64
and any span's hash is a difference of two prefix sums); a trailing Korean particle
is recognised by the hash of the word's last one to three characters. Equal hashes
become equal ids, and only each distinct word is spelled out as a Python string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from curator.filters.arrays import distinct_inverse
from curator.filters.hashing import FNV_PRIME, mix64, powers

PARTICLES = tuple(sorted(("에서는", "에게서", "으로는", "에서", "에게", "으로", "까지", "부터", "보다", "처럼", "하고",
                           "은", "는", "이", "가", "을", "를", "의", "에", "와", "과", "도", "로", "만"),
                          key=len, reverse=True))
ARTICLES = frozenset(("a", "an", "the"))
PUNCTUATION = "?!.,:;\"'()[]{}“”‘’·…"  # dropped before words are compared
_NO_PUNCTUATION = str.maketrans("", "", PUNCTUATION)
# a particle after at least one Hangul syllable, at the end of a word
_PARTICLE_AT_END = re.compile(r"(?<=[\uac00-\ud7a3])(?:" + "|".join(PARTICLES) + r")(?=\s|$)")


def word_forms(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(stems, words) of a normalized text, aligned: stems lose a trailing Korean particle, words keep it."""
    bare = text.translate(_NO_PUNCTUATION)
    return tuple(_PARTICLE_AT_END.sub("", bare).split()), tuple(bare.split())  # a particle never empties a word



_BASE = FNV_PRIME
_INVERSE = pow(_BASE, -1, 1 << 64)
_SLICE = 1 << 13


class WordTable:
    """Per text (row), its words in order as `stem_id` and `raw_id`, rows delimited by `indptr`;
    `stems[i]` and `raws[i]` spell each id."""

    def __init__(self, texts: Sequence[str]) -> None:
        raw_parts, stem_parts, counts = [], [], []
        spelled: dict[int, str] = {}  # hash -> spelling, for every distinct word seen
        for lo in range(0, len(texts), _SLICE):
            raw, stem, per_text = _slice_words(texts[lo:lo + _SLICE], spelled)
            raw_parts.append(raw)
            stem_parts.append(stem)
            counts.append(per_text)
        cat = (lambda xs, dt: np.concatenate(xs) if xs else np.empty(0, dt))
        self.indptr = np.concatenate(([0], np.cumsum(cat(counts, np.int64))))
        stem_values, _, self.stem_id = distinct_inverse(cat(stem_parts, np.uint64))
        raw_values, _, self.raw_id = distinct_inverse(cat(raw_parts, np.uint64))
        self.stems = [spelled[h] for h in stem_values.tolist()]
        self.raws = [spelled[h] for h in raw_values.tolist()]
        self._by_key: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def n_stems(self) -> int:
        return len(self.stems)

    @property
    def n_raws(self) -> int:
        return len(self.raws)

    def stem(self, stem_id: int) -> str:
        return self.stems[stem_id]

    def raw(self, raw_id: int) -> str:
        return self.raws[raw_id]

    def raw_of_stem(self, row: np.ndarray, stem_id: np.ndarray) -> np.ndarray:
        """The raw id of the first word of text `row` whose stem is `stem_id` (one per pair of arrays)."""
        width = max(self.n_stems, 1)
        if self._by_key is None:  # (text, stem) keys sorted once, for every later lookup
            key = np.repeat(np.arange(self.indptr.size - 1), np.diff(self.indptr)) * width + self.stem_id
            order = np.argsort(key, kind="stable")
            self._by_key = (key[order], order)
        keys, order = self._by_key
        return self.raw_id[order[np.searchsorted(keys, row * width + stem_id)]]


def _slice_words(texts: Sequence[str], spelled: dict[int, str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(hash of each word as written, hash of its stem, words per text) for a slice of texts.

    Adds the spelling of every word and stem not yet in `spelled`.
    """
    codes = np.frombuffer("\n".join(texts).encode("utf-32-le"), dtype=np.uint32)
    codes = codes[~np.isin(codes, _PUNCT_CODES)]
    inside = ~((codes == 32) | (codes == 10))
    edge = np.diff(np.concatenate(([0], inside.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    line = np.concatenate(([0], np.cumsum(codes == 10)))[starts]
    per_text = np.diff(np.searchsorted(line, np.arange(len(texts) + 1), side="left"))
    prefix = np.concatenate((np.zeros(1, np.uint64),
                             np.cumsum(codes.astype(np.uint64) * powers(_INVERSE, codes.size), dtype=np.uint64)))
    scale = powers(_BASE, codes.size + 1)
    raw = _span_hash(prefix, scale, starts, ends)
    stem_end = ends.copy()
    stripped = np.zeros(starts.size, dtype=bool)
    hangul = (codes >= 0xAC00) & (codes <= 0xD7A3)
    for size in (3, 2, 1):  # the longest particle first, as the text form does
        cand = np.flatnonzero(~stripped & (ends - starts > size))
        cand = cand[hangul[ends[cand] - size - 1]]
        hit = np.isin(_span_hash(prefix, scale, ends[cand] - size, ends[cand]), _PARTICLE_HASHES[size])
        stem_end[cand[hit]] = ends[cand[hit]] - size
        stripped[cand[hit]] = True
    stem = _span_hash(prefix, scale, starts, stem_end)
    for hashes, finish in ((raw, ends), (stem, stem_end)):
        values, first, _ = distinct_inverse(hashes)
        for h, k in zip(values.tolist(), first.tolist()):
            if h not in spelled:
                spelled[h] = codes[starts[k]:finish[k]].tobytes().decode("utf-32-le")
    return raw, stem, per_text


def _span_hash(prefix: np.ndarray, scale: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A 64-bit hash of codes[start:end] for every span, mixed with its length."""
    body = (prefix[end] - prefix[start]) * scale[start]
    return mix64(body ^ (end - start).astype(np.uint64))


def _hash_of(text: str) -> int:
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    prefix = np.concatenate((np.zeros(1, np.uint64), np.cumsum(
        codes.astype(np.uint64) * powers(_INVERSE, codes.size), dtype=np.uint64)))
    return int(_span_hash(prefix, powers(_BASE, codes.size + 1), np.array([0]), np.array([codes.size]))[0])


_PUNCT_CODES = np.array([ord(c) for c in PUNCTUATION], dtype=np.uint32)
_PARTICLE_HASHES = {n: np.array([_hash_of(p) for p in PARTICLES if len(p) == n], dtype=np.uint64)
                    for n in (1, 2, 3)}
