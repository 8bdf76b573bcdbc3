"""How alike two normalized questions are: a score 0-100, and the candidate pairs that reach the recording floor.

The score is rapidfuzz's `ratio` or `token_sort_ratio`, or "best", the higher of
the two, on the texts with Hangul syllables split into jamo, so a one-key slip in a
Korean syllable costs about as much as a one-letter typo in English. Whether a high
score means a variant of the same question is curator.filters.variants' call.

`token_set_ratio` is not offered: it calls a question a duplicate of any longer
question that contains it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from curator.filters.arrays import distinct
from curator.filters.settings import FilterSettings

SCORERS = ("ratio", "token_sort_ratio", "best")
_SCORE_CHUNK = 1 << 20


def jamo(text: str) -> str:
    """Hangul syllables decomposed into their letters (NFD); other text unchanged."""
    return unicodedata.normalize("NFD", text) if not text.isascii() else text


def pair_scores(texts: Sequence[str] | np.ndarray, pairs: np.ndarray, scorer: str, *,
                sorted_texts: Sequence[str] | np.ndarray | None = None, sort_where: np.ndarray | None = None,
                workers: int = 2) -> np.ndarray:
    """Similarity 0-100 of texts[i] and texts[j] for every pair (i, j), as float32.

    "best" is the higher of `ratio` and `token_sort_ratio`, the latter computed where
    `ratio` is under 100 and, given `sort_where` (a boolean per pair), only where it is
    true: the pairs the caller knows use (nearly) the same words, the only ones word
    order can matter for. `sorted_texts`, each text with its words sorted, saves
    sorting them again when the caller scores many pairs of the same texts.
    """
    if scorer not in SCORERS:
        raise ValueError(f"unknown scorer {scorer!r}; expected one of {', '.join(SCORERS)}")
    if not len(pairs):
        return np.empty(0, np.float32)
    if scorer != "ratio" and sorted_texts is None:
        sorted_texts = _word_sorted(texts, pairs)
    if scorer == "token_sort_ratio":
        return _ratios(sorted_texts, pairs, workers)
    scores = _ratios(texts, pairs, workers)
    if scorer == "best":
        low = scores < 100.0
        low = np.flatnonzero(low if sort_where is None else low & sort_where)
        if low.size:
            scores[low] = np.maximum(scores[low], _ratios(sorted_texts, pairs[low], workers))
    return scores


def word_sorted(text: str) -> str:
    """The text with its words in sorted order: what token_sort_ratio compares."""
    return " ".join(sorted(text.split()))


def _word_sorted(texts: Sequence[str] | np.ndarray, pairs: np.ndarray) -> np.ndarray:
    out = np.full(len(texts), "", dtype=object)
    involved = distinct(pairs.ravel())
    out[involved] = [word_sorted(texts[i]) for i in involved.tolist()]
    return out


def _ratios(texts: Sequence[str] | np.ndarray, pairs: np.ndarray, workers: int) -> np.ndarray:
    if isinstance(texts, np.ndarray):  # an object array: gathering by index stays in C
        a, b = texts[pairs[:, 0]], texts[pairs[:, 1]]
    else:
        a, b = [texts[i] for i in pairs[:, 0].tolist()], [texts[j] for j in pairs[:, 1].tolist()]
    return process.cpdist(a, b, scorer=fuzz.ratio, workers=workers, dtype=np.float32).ravel()


def candidate_scores(texts: Sequence[str], cand: np.ndarray, settings: FilterSettings,
                     same_words: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray] | None:
    """The candidate pairs (indexes into `texts`) scoring at least `settings.recording_floor`, with their scores;
    None when the lengths alone rule out every candidate.

    `same_words(part)` tells, for a block of candidates, which use (nearly) the same words: with the "best"
    scorer, only those are compared with their words sorted too.
    """
    involved = distinct(cand.ravel())
    spelled = np.full(len(texts), "", dtype=object)
    spelled[involved] = [jamo(texts[i]) for i in involved.tolist()]
    lengths = np.zeros(len(texts), dtype=np.int64)
    lengths[involved] = [len(s) for s in spelled[involved]]
    a_len, b_len = lengths[cand[:, 0]], lengths[cand[:, 1]]
    # no edit-based score can exceed 2*short/(short+long): skip pairs whose lengths alone rule them out
    cand = cand[200.0 * np.minimum(a_len, b_len) >= settings.recording_floor * (a_len + b_len)]
    if not len(cand):
        return None
    sorted_words = None
    if settings.fuzzy_scorer != "ratio":
        sorted_words = np.full(len(texts), "", dtype=object)
        sorted_words[involved] = [word_sorted(s) for s in spelled[involved]]
    kept_pairs, kept_scores = [], []
    for lo in range(0, len(cand), _SCORE_CHUNK):  # bounded memory: a chunk of gathered strings at a time
        part = cand[lo:lo + _SCORE_CHUNK]
        # word order only matters between questions using (nearly) the same words
        sort_where = same_words(part) if settings.fuzzy_scorer == "best" else None
        scores = pair_scores(spelled, part, settings.fuzzy_scorer, sorted_texts=sorted_words, sort_where=sort_where,
                             workers=settings.threads)
        keep = scores >= settings.recording_floor
        kept_pairs.append(part[keep])
        kept_scores.append(scores[keep])
    return np.concatenate(kept_pairs), np.concatenate(kept_scores)
