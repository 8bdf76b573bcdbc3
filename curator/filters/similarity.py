"""How alike two normalized questions are, and the checks that keep look-alikes that differ apart.

The score is rapidfuzz's `ratio` or `token_sort_ratio` (or the higher of the two)
on the texts with Hangul syllables split into jamo, so a one-key slip in a Korean
syllable costs about as much as a one-letter typo in English. Two guards stop
high scores from calling different questions duplicates:

- numbers: questions that mention different numbers are different questions
  (exam items that differ in one figure);
- changed word: when the words one question has and the other lacks are unlike
  each other ("Japan" against "China", "일본" against "중국"), the questions ask
  about different things, however long the shared template. Korean particles and
  English articles are ignored here, so "서류는"/"서류를" or "a"/"the" never count.

`token_set_ratio` is not offered: it calls a question a duplicate of any longer
question that contains it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel

from curator.filters.arrays import distinct
from curator.filters.lexicon import lexicon_verdict

SCORERS = ("ratio", "token_sort_ratio", "best")
PARTICLES = tuple(sorted(("에서는", "에게서", "으로는", "에서", "에게", "으로", "까지", "부터", "보다", "처럼", "하고",
                           "은", "는", "이", "가", "을", "를", "의", "에", "와", "과", "도", "로", "만"),
                          key=len, reverse=True))
ARTICLES = frozenset(("a", "an", "the"))
PUNCTUATION = "?!.,:;\"'()[]{}“”‘’·…"  # dropped before words are compared
_NO_PUNCTUATION = str.maketrans("", "", PUNCTUATION)
# a particle after at least one Hangul syllable, at the end of a word
_PARTICLE_AT_END = re.compile(r"(?<=[\uac00-\ud7a3])(?:" + "|".join(PARTICLES) + r")(?=\s|$)")


def jamo(text: str) -> str:
    """Hangul syllables decomposed into their letters (NFD); other text unchanged."""
    return unicodedata.normalize("NFD", text) if not text.isascii() else text


def pair_scores(texts: Sequence[str] | np.ndarray, pairs: np.ndarray, scorer: str, *,
                sorted_texts: Sequence[str] | np.ndarray | None = None, sort_where: np.ndarray | None = None,
                workers: int = 2) -> np.ndarray:
    """Similarity 0-100 of texts[i] and texts[j] for every pair (i, j), as float32.

    "best" is the higher of `ratio` and `token_sort_ratio` (computed where `ratio` is
    under 100, and only where `sort_where` is true when given: the caller may know which
    pairs use nearly the same words, the only ones word order can matter for).
    `sorted_texts`, each text with its words sorted, saves sorting them again when the
    caller scores many pairs of the same texts.
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
        low = np.flatnonzero((scores < 100.0) if sort_where is None else (scores < 100.0) & sort_where)
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


def word_forms(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(stems, words) of a normalized text, aligned: stems lose a trailing Korean particle, words keep it."""
    bare = text.translate(_NO_PUNCTUATION)
    return tuple(_PARTICLE_AT_END.sub("", bare).split()), tuple(bare.split())  # a particle never empties a word


def changed_in_order(stems_a: Sequence[str], stems_b: Sequence[str]) -> tuple[list[int], list[int]]:
    """Positions of the words each side has and the other lacks (counting repeats), in text order."""
    pool: dict[str, int] = {}
    for w in stems_b:
        pool[w] = pool.get(w, 0) + 1
    only_a = []
    for k, w in enumerate(stems_a):
        if pool.get(w, 0):
            pool[w] -= 1
        else:
            only_a.append(k)
    pool = {}
    for w in stems_a:
        pool[w] = pool.get(w, 0) + 1
    only_b = []
    for k, w in enumerate(stems_b):
        if pool.get(w, 0):
            pool[w] -= 1
        else:
            only_b.append(k)
    return only_a, only_b


def changed_by_alignment(words_a: Sequence[str], words_b: Sequence[str]) -> tuple[list[int], list[int]]:
    """Positions of the words outside the longest common word subsequence of the two texts."""
    only_a: list[int] = []
    only_b: list[int] = []
    for op in Indel.opcodes(list(words_a), list(words_b)):
        if op.tag != "equal":
            only_a.extend(range(op.src_start, op.src_end))
            only_b.extend(range(op.dest_start, op.dest_end))
    return only_a, only_b


def leftover_similarity(only_a: list[str], only_b: list[str]) -> float:
    """How alike two lists of changed words are (each side's words only it has, in text order), 0-100.

    A word written as two on the other side ("자유 무역협정" against "자유무역협정") is
    not a change, nor is an English article added, dropped or swapped. Equal numbers
    of words are compared one for one, each pair at least as alike as the result;
    otherwise the words of each side are joined and compared.
    """
    best = _leftover_similarity(only_a, only_b)
    if best < 100.0 and (ARTICLES.intersection(only_a) or ARTICLES.intersection(only_b)):
        best = max(best, _leftover_similarity([w for w in only_a if w not in ARTICLES],
                                              [w for w in only_b if w not in ARTICLES]))
    return best


def _leftover_similarity(only_a: list[str], only_b: list[str]) -> float:
    if not only_a or not only_b:
        return 100.0
    only_a, only_b = _unsplit(only_a, only_b), _unsplit(only_b, only_a)
    if not only_a or not only_b:
        return 100.0
    joined = word_similarity("".join(only_a), "".join(only_b))
    if len(only_a) != len(only_b):
        return joined
    one_for_one = min(word_similarity(x, y) for x, y in zip(only_a, only_b))
    return one_for_one if len(only_a) == 1 else max(one_for_one, joined)


def word_similarity(a: str, b: str) -> float:
    """100 for words one slip apart, else the rapidfuzz ratio of their spellings (Hangul as jamo).

    A slip: one letter or jamo added, dropped, replaced or swapped (optimal string
    alignment distance 1), a letter typed twice, or one article for another. Two
    English words are a slip of one another only when exactly one of them is a word of
    the dictionary (`lexicon.is_word`): "ladng" is a typo of "lading", but "cat" and
    "hat", or two terms no dictionary has ("abend", "amend" aside), are different words.
    An inflection ("container"/"containers") is no change.
    """
    if a == b or (a in ARTICLES and b in ARTICLES):
        return 100.0
    verdict = lexicon_verdict(a, b)
    if verdict is not None:
        return verdict
    if _doubled(a, b) or _doubled(b, a):
        return 100.0
    ja, jb = jamo(a), jamo(b)
    if OSA.distance(ja, jb, score_cutoff=1) <= 1:
        return 100.0
    return fuzz.ratio(ja, jb)


def _doubled(longer: str, shorter: str) -> bool:
    """`longer` is `shorter` with one character typed twice."""
    if len(longer) != len(shorter) + 1:
        return False
    return any(longer[k] == longer[k + 1] and longer[:k] + longer[k + 1:] == shorter for k in range(len(longer) - 1))


def _unsplit(words: list[str], other: list[str]) -> list[str]:
    """`words` without neighbours that, written together, are a word of `other`, and without words that
    are two neighbours of `other` written together: a space added or dropped is not a changed word."""
    if len(words) + len(other) < 3:
        return words
    other_set = set(other)
    glued = {other[k] + other[k + 1] for k in range(len(other) - 1)}
    out, skip = [], False
    for k, w in enumerate(words):
        if skip:
            skip = False
        elif k + 1 < len(words) and w + words[k + 1] in other_set:
            skip = True
        elif w not in glued:
            out.append(w)
    return out
