"""Near-duplicate questions: MinHash LSH candidates, confirmed by rapidfuzz and the similarity guards.

Works on distinct normalized questions (exact duplicates are grouped before), and
returns the confirmed edges with their similarity. Everything at or above the
recording floor is returned, so a cutoff between the floor and 100 can be applied
later without computing anything again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from curator.filters.arrays import distinct
from curator.filters.candidates import band_keys, candidate_pairs, cross_pairs, lsh_params
from curator.filters.normalize import NUMBER_PATTERN
from curator.filters.settings import FilterSettings
from curator.filters.similarity import jamo, pair_scores, word_sorted
from curator.filters.subjects import SubjectIndex
from curator.filters.variants import changed_word_scores

_SCORE_CHUNK = 1 << 20
_SHORT_TEXT = 60  # characters: below this, candidates need only one shared LSH band


@dataclass
class NearEdges:
    """Confirmed pairs of indexes into the distinct texts (i < j), their similarity, and what was looked at."""

    pairs: np.ndarray   # (m, 2) int64
    scores: np.ndarray  # (m,) float32, 0-100
    candidates: int
    rejected_by_guard: int
    timings: dict[str, float] = field(default_factory=dict)


def number_keys(texts: Sequence[str]) -> np.ndarray:
    """A hash per text of the numbers it mentions, in order (0 when it mentions none)."""
    if not len(texts):
        return np.zeros(0, dtype=np.uint64)
    numbers = pl.Series("t", texts, dtype=pl.String).str.extract_all(NUMBER_PATTERN).list.join(" ")
    keys = numbers.hash(seed=7).to_numpy().copy()
    keys[(numbers.str.len_chars() == 0).to_numpy()] = 0
    return keys


def near_edges(texts: Sequence[str], settings: FilterSettings, *, only_across: np.ndarray | None = None,
               subjects: SubjectIndex | None = None, extra: np.ndarray | None = None) -> NearEdges:
    """Similar pairs among `texts` (distinct normalized questions).

    With `only_across` (a boolean per text), only pairs with one text on each side
    are looked at: the contamination check of a training pool against held-out items.
    With `subjects` (the raw questions behind the texts), pairs differing in a subject
    (a name, acronym, identifier, code: curator.filters.subjects) are dropped.
    `extra` candidate pairs (i < j: the embeddings' nearest neighbours) are scored too.
    """
    clock = _Clock()
    params = lsh_params(settings.minhash_permutations, settings.near_duplicate_threshold)
    keys, docs = band_keys(texts, settings.ngram, params, threads=settings.threads)
    numbers = number_keys(texts)
    keys ^= numbers[docs][:, None]  # texts mentioning different numbers never share a bucket
    clock.lap("minhash")
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
        shared = np.concatenate([(keys[row_of[cand[lo:lo + _SCORE_CHUNK, 0]]]
                                  == keys[row_of[cand[lo:lo + _SCORE_CHUNK, 1]]]).sum(axis=1)
                                 for lo in range(0, len(cand), _SCORE_CHUNK)])
        size = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
        short = np.minimum(size[cand[:, 0]], size[cand[:, 1]]) < _SHORT_TEXT
        cand = cand[short | (shared >= settings.min_shared_bands)]
    if extra is not None and len(extra):
        extra = extra[numbers[extra[:, 0]] == numbers[extra[:, 1]]]
        n = max(len(texts), 1)
        both = np.concatenate((cand.astype(np.int64).reshape(-1, 2), extra.astype(np.int64)))
        key = np.unique(np.minimum(both[:, 0], both[:, 1]) * n + np.maximum(both[:, 0], both[:, 1]))
        cand = np.stack((key // n, key % n), axis=1)
    n_cand = len(cand)
    clock.lap("candidates")
    if not n_cand:
        return NearEdges(np.empty((0, 2), np.int64), np.empty(0, np.float32), 0, 0, clock.laps)
    involved = distinct(cand.ravel())
    spelled = np.full(len(texts), "", dtype=object)
    spelled[involved] = [jamo(texts[i]) for i in involved.tolist()]
    lengths = np.zeros(len(texts), dtype=np.int64)
    lengths[involved] = [len(s) for s in spelled[involved]]
    a_len, b_len = lengths[cand[:, 0]], lengths[cand[:, 1]]
    # no edit-based score can exceed 2*short/(short+long): skip pairs whose lengths alone rule them out
    cand = cand[200.0 * np.minimum(a_len, b_len) >= settings.recording_floor * (a_len + b_len)]
    if not len(cand):
        return NearEdges(np.empty((0, 2), np.int64), np.empty(0, np.float32), n_cand, 0, clock.laps)
    sorted_words = None
    if settings.fuzzy_scorer != "ratio":
        sorted_words = np.full(len(texts), "", dtype=object)
        sorted_words[involved] = [word_sorted(s) for s in spelled[involved]]
    kept_pairs, kept_scores = [], []
    for lo in range(0, len(cand), _SCORE_CHUNK):  # bounded memory: a chunk of gathered strings at a time
        part = cand[lo:lo + _SCORE_CHUNK]
        if settings.fuzzy_scorer == "best":
            # word order only matters between questions using (nearly) the same words: their MinHash
            # signatures, taken over the letters inside words, agree in two bands or more
            same_words = (keys[row_of[part[:, 0]]] == keys[row_of[part[:, 1]]]).sum(axis=1) >= 2
            scores = pair_scores(spelled, part, "best", sorted_texts=sorted_words, sort_where=same_words,
                                 workers=settings.threads)
        else:
            scores = pair_scores(sorted_words if settings.fuzzy_scorer == "token_sort_ratio" else spelled, part,
                                 "ratio", workers=settings.threads)
        keep = scores >= settings.recording_floor
        kept_pairs.append(part[keep])
        kept_scores.append(scores[keep])
    del spelled, sorted_words, keys, docs
    cand, scores = np.concatenate(kept_pairs), np.concatenate(kept_scores)
    clock.lap("scores")
    guarded = np.ones(len(cand), dtype=bool)
    differ = np.flatnonzero(scores < 100.0)
    cutoff = settings.changed_word_cutoff
    guarded[differ] = changed_word_scores(texts, cand[differ], cutoff) >= cutoff
    if subjects is not None:
        differ = np.flatnonzero(guarded)
        guarded[differ] = subjects.same_subjects(texts, cand[differ])
    clock.lap("guard")
    return NearEdges(cand[guarded], scores[guarded], n_cand, int((~guarded).sum()), clock.laps)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now
