"""Which question pairs are compared: MinHash LSH candidates over character n-grams, and the embeddings' neighbours.

`question_candidates` is the entry: texts sharing an LSH band (long questions, in
several bands), that mention the same numbers (questions with different figures are
different questions: they never share a bucket), merged with the semantic nearest
neighbours' pairs (curator.filters.semantic). Everything else here is the MinHash kit.

Shingles are the character n-grams of each word padded with a space on both sides
(`" 수출신고는 "` gives `" 수출"`, `"수출신"`, ...), taken over the whole text at once
with numpy: all texts are joined into one array of code points, a rolling
polynomial hash gives every n-gram's hash in a few vector operations, and n-grams
that cross a text boundary or a word boundary are masked out. Grams never span two
words, so a reordered question has the same shingle set as the original, and
scripts without spaces (Korean written solid, Chinese) still get grams.

Each of K permutations is an affine map of the 32-bit gram hashes; the minimum per
text is a segmented `minimum.reduceat`. Blocks of texts run on two threads (numpy
releases the GIL in these loops). The K values are cut into bands of r rows; every
band becomes one 64-bit key, and texts sharing a key in any band are candidates:
found by sorting the keys, never by a Python dict.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import polars as pl

from curator.filters.hashing import FNV_PRIME, mix64
from curator.filters.normalize import NUMBER_PATTERN
from curator.filters.settings import FilterSettings

_SEP = 0  # code point joining texts; normalized texts hold no control characters
_SPACE = 32
_PRIME = np.uint64(FNV_PRIME)
_BLOCK_GRAMS = 1 << 13
_SLICE_TEXTS = 1 << 13
_MASK64 = (1 << 64) - 1
_SHORT_TEXT = 60  # characters: below this, candidates need only one shared LSH band
_PAIR_CHUNK = 1 << 20


@dataclass
class QuestionCandidates:
    """Pairs of indexes into the texts (i < j) to compare, and the LSH band keys they were found with."""

    pairs: np.ndarray          # (m, 2) int64
    keys: np.ndarray | None    # band keys per text with grams (rows), None once released
    row_of: np.ndarray         # the keys' row of each text (-1: no grams)

    def same_words(self, part: np.ndarray) -> np.ndarray:
        """For candidate pairs, whether they use (nearly) the same words: their MinHash signatures, taken over
        the letters inside words, agree in two bands or more."""
        return (self.keys[self.row_of[part[:, 0]]] == self.keys[self.row_of[part[:, 1]]]).sum(axis=1) >= 2

    def release(self) -> None:
        """Drop the band keys (large at a million texts) once the pairs are scored."""
        self.keys = None


def number_keys(texts: Sequence[str]) -> np.ndarray:
    """A hash per text of the numbers it mentions, in order (0 when it mentions none)."""
    if not len(texts):
        return np.zeros(0, dtype=np.uint64)
    numbers = pl.Series("t", texts, dtype=pl.String).str.extract_all(NUMBER_PATTERN).list.join(" ")
    keys = numbers.hash(seed=7).to_numpy().copy()
    keys[(numbers.str.len_chars() == 0).to_numpy()] = 0
    return keys


def question_candidates(texts: Sequence[str], settings: FilterSettings, *, only_across: np.ndarray | None = None,
                        extra: np.ndarray | None = None, lap=lambda name: None) -> QuestionCandidates:
    """The pairs of `texts` (distinct normalized questions) worth scoring.

    With `only_across` (a boolean per text), only pairs with one text on each side: the contamination check of a
    training pool against held-out items. `extra` pairs (i < j: the embeddings' nearest neighbours) are added.
    `lap(name)` is called after the MinHash ("minhash") and after the candidates are found ("candidates").
    """
    params = lsh_params(settings.minhash_permutations, settings.near_duplicate_threshold)
    keys, docs = band_keys(texts, settings.ngram, params, threads=settings.threads)
    numbers = number_keys(texts)
    keys ^= numbers[docs][:, None]  # texts mentioning different numbers never share a bucket
    lap("minhash")
    if only_across is None:
        cand = candidate_pairs(keys, docs, window=settings.lsh_window)
    else:
        cand = cross_pairs(keys, docs, only_across)
    cand = cand[numbers[cand[:, 0]] == numbers[cand[:, 1]]] if len(cand) else cand
    row_of = np.full(len(texts), -1, dtype=np.int64)
    row_of[docs] = np.arange(docs.size)
    if settings.min_shared_bands > 1 and len(cand):
        # long templated questions share one band with their siblings, while twins agree in several
        # (Jaccard ~0.9 and up); in short questions one slip moves many n-grams, so one band is enough
        shared = np.concatenate([(keys[row_of[cand[lo:lo + _PAIR_CHUNK, 0]]]
                                  == keys[row_of[cand[lo:lo + _PAIR_CHUNK, 1]]]).sum(axis=1)
                                 for lo in range(0, len(cand), _PAIR_CHUNK)])
        size = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        short = np.minimum(size[cand[:, 0]], size[cand[:, 1]]) < _SHORT_TEXT
        cand = cand[short | (shared >= settings.min_shared_bands)]
    if extra is not None and len(extra):
        extra = extra[numbers[extra[:, 0]] == numbers[extra[:, 1]]]
        n = max(len(texts), 1)
        both = np.concatenate((cand.astype(np.int64).reshape(-1, 2), extra.astype(np.int64)))
        key = np.unique(np.minimum(both[:, 0], both[:, 1]) * n + np.maximum(both[:, 0], both[:, 1]))
        cand = np.stack((key // n, key % n), axis=1)
    lap("candidates")
    return QuestionCandidates(cand, keys, row_of)


@dataclass(frozen=True)
class LshParams:
    """K = bands * rows permutations; texts sharing all rows of one band become candidates."""

    bands: int
    rows: int

    @property
    def permutations(self) -> int:
        return self.bands * self.rows

    @property
    def threshold(self) -> float:
        """The Jaccard similarity at which a pair has about even odds of becoming a candidate."""
        return (1.0 / self.bands) ** (1.0 / self.rows)


def lsh_params(permutations: int, threshold: float) -> LshParams:
    """Bands and rows over `permutations` values whose S-curve midpoint lies closest to `threshold`."""
    best: LshParams | None = None
    for rows in range(1, permutations + 1):
        bands = permutations // rows
        if bands < 1:
            break
        cand = LshParams(bands, rows)
        if best is None or abs(cand.threshold - threshold) < abs(best.threshold - threshold):
            best = cand
    assert best is not None
    return best


def shingle_hashes(texts: Sequence[str], n: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash per gram as uint32, index of its text), grams in text order; texts without any gram have none."""
    joined = "\x00".join(f" {t} " for t in texts)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    total = codes.size - n + 1
    if total <= 0 or not texts:
        return np.empty(0, np.uint32), np.empty(0, np.int64)
    is_sep = codes == _SEP
    text_of = np.cumsum(is_sep, dtype=np.int64)
    cells = codes.astype(np.uint64)
    h = cells[:total].copy()
    for k in range(1, n):
        h *= _PRIME
        h += cells[k:k + total]
    # a gram is kept when no separator lies anywhere in it and no space lies inside it (edges may be spaces)
    sep_in = text_of[n - 1:n - 1 + total] - text_of[:total] + is_sep[:total]
    keep = sep_in == 0
    if n > 2:
        space_sum = np.concatenate(([0], np.cumsum(codes == _SPACE, dtype=np.int64)))
        inner = space_sum[n - 1:n - 1 + total] - space_sum[1:1 + total]
        keep &= inner == 0
    grams = mix64(h[keep])
    return (grams >> np.uint64(32)).astype(np.uint32), text_of[:total][keep]


def _permutations(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(1, 1 << 32, size=count, dtype=np.uint64).astype(np.uint32) | np.uint32(1)
    b = rng.integers(0, 1 << 32, size=count, dtype=np.uint64).astype(np.uint32)
    return a, b


_ROW_WEIGHTS = np.random.default_rng(20240601).integers(1, 1 << 63, size=64, dtype=np.uint64) | np.uint64(1)


def _band_keys(sig: np.ndarray, params: LshParams) -> np.ndarray:
    """One 64-bit key per (band, text) from the band's rows; `sig` has one row per permutation.

    The rows are combined with random odd 64-bit weights (a multilinear hash), then mixed once.
    """
    rows = sig[:params.permutations].reshape(params.bands, params.rows, sig.shape[1])
    key = np.zeros((params.bands, sig.shape[1]), dtype=np.uint64)
    for r in range(params.rows):
        key += rows[:, r, :].astype(np.uint64) * _ROW_WEIGHTS[r % _ROW_WEIGHTS.size]
    key += np.arange(params.bands, dtype=np.uint64)[:, None] << np.uint64(56)
    return mix64(key)


def band_keys(texts: Sequence[str], n: int, params: LshParams, *, seed: int = 1,
              threads: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """(band keys of shape (texts with grams, bands), the index of each such text).

    Texts are hashed a slice at a time (`_SLICE_TEXTS`), on `threads` threads, so the
    per-gram arrays of a million texts never exist at once. Texts with no gram at all
    (empty) are left out: an empty signature would collide with every other one.
    """
    a, b = _permutations(params.permutations, seed)
    slices = list(range(0, len(texts), _SLICE_TEXTS))

    def one_slice(lo: int) -> tuple[np.ndarray, np.ndarray]:
        keys, docs = _slice_keys(texts[lo:lo + _SLICE_TEXTS], n, params, a, b)
        return keys, docs + lo

    if threads > 1 and len(slices) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            parts = list(pool.map(one_slice, slices))
    else:
        parts = [one_slice(lo) for lo in slices]
    if not parts:
        return np.empty((0, params.bands), np.uint64), np.empty(0, np.int64)
    return np.concatenate([k for k, _ in parts]), np.concatenate([d for _, d in parts])


def _slice_keys(texts: Sequence[str], n: int, params: LshParams, a: np.ndarray, b: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    grams, owner = shingle_hashes(texts, n)
    if grams.size == 0:
        return np.empty((0, params.bands), np.uint64), np.empty(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], owner[1:] != owner[:-1])))
    docs = owner[starts]
    # blocks end on text boundaries, each holding about _BLOCK_GRAMS grams (a few MB: they stay in cache)
    cut = np.searchsorted(starts, np.arange(0, grams.size, _BLOCK_GRAMS), side="left")
    bounds = np.concatenate((cut, [starts.size]))
    bounds = bounds[np.concatenate(([True], bounds[1:] != bounds[:-1]))].tolist()
    out = np.empty((starts.size, params.bands), dtype=np.uint64)
    for lo, hi in pairwise(bounds):
        g0 = starts[lo]
        g1 = starts[hi] if hi < starts.size else grams.size
        # permutations along rows, grams along columns: the segmented minimum then runs over contiguous memory
        block = a[:, None] * grams[None, g0:g1]
        block += b[:, None]
        sig = np.minimum.reduceat(block, starts[lo:hi] - g0, axis=1)
        out[lo:hi] = _band_keys(sig, params).T
    return out, docs


def candidate_pairs(keys: np.ndarray, docs: np.ndarray, *, window: int = 8,
                    tiebreak: np.ndarray | None = None) -> np.ndarray:
    """Pairs of text indexes (i < j) sharing a band key, shape (m, 2), without repeats.

    Inside a bucket every member is paired with its next `window` neighbours, so a
    small bucket gives all its pairs and a huge one (a template shared by thousands
    of questions) gives a bounded number instead of a quadratic one. Members of a
    bucket are ordered by `tiebreak` (one column per band, cycled; by default the next
    band's key), so that look-alikes sit side by side.
    """
    if docs.size < 2:
        return np.empty((0, 2), np.int64)
    bands = keys.shape[1]
    found: list[np.ndarray] = []
    for band in range(bands):
        key = keys[:, band]
        second = keys[:, (band + 1) % bands] if tiebreak is None else tiebreak[:, band % tiebreak.shape[1]]
        order = np.lexsort((second, key))
        sk = key[order]
        same_run = sk[1:] == sk[:-1]
        if not same_run.any():
            continue
        run_id = np.concatenate(([0], np.cumsum(~same_run)))
        members = np.flatnonzero(np.concatenate((same_run, [False])) | np.concatenate(([False], same_run)))
        m_run = run_id[members]
        m_doc = docs[order[members]]
        for k in range(1, window + 1):
            if k >= members.size:
                break
            hit = m_run[k:] == m_run[:-k]
            if not hit.any():
                break
            found.append(_codes(m_doc[:-k][hit], m_doc[k:][hit]))
    return _distinct_pairs(found)


def cross_pairs(keys: np.ndarray, docs: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Every pair (i < j) of one text with `side` true and one without that share a band key, without repeats.

    For a small reference set against a large pool (contamination): each band is a join
    of the pool's keys against the sorted reference keys, with no window: no pair is missed.
    """
    on_side = side[docs]
    ref_rows, pool_rows = np.flatnonzero(on_side), np.flatnonzero(~on_side)
    if not ref_rows.size or not pool_rows.size:
        return np.empty((0, 2), np.int64)
    found: list[np.ndarray] = []
    for band in range(keys.shape[1]):
        order = np.argsort(keys[ref_rows, band], kind="stable")
        ref_keys = keys[ref_rows[order], band]
        pool_keys = keys[pool_rows, band]
        lo = np.searchsorted(ref_keys, pool_keys, side="left")
        count = np.searchsorted(ref_keys, pool_keys, side="right") - lo
        hit = np.flatnonzero(count)
        if not hit.size:
            continue
        reps = count[hit]
        start = np.repeat(lo[hit], reps) + (np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps))
        found.append(_codes(docs[np.repeat(pool_rows[hit], reps)], docs[ref_rows[order[start]]]))
    return _distinct_pairs(found)


def _distinct_pairs(found: list[np.ndarray]) -> np.ndarray:
    """The pairs (i < j) packed in `found`'s codes, each once, in order."""
    if not found:
        return np.empty((0, 2), np.int64)
    codes = np.concatenate(found)
    codes.sort()
    codes = codes[np.concatenate(([True], codes[1:] != codes[:-1]))]
    return np.stack((codes >> np.uint64(32), codes & np.uint64(0xFFFFFFFF)), axis=1).astype(np.int64)


def _codes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    lo = np.minimum(x, y).astype(np.uint64)
    hi = np.maximum(x, y).astype(np.uint64)
    return (lo << np.uint64(32)) | hi
