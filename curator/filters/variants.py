"""Whether two look-alike questions are variants of one question, or different questions sharing a template.

A high similarity (curator.filters.similarity) alone would call "capital of Japan?"
and "capital of China?" duplicates. A pair is a variant when the words one question
has and the other lacks are variants of each other (a typo in a common word, a
moved space, a Korean particle or an English article, word order) and, where the
caller gives them, the two ask about the same subjects (names, acronyms, codes:
curator.filters.subjects). Questions that mention different numbers never get here
(curator.filters.candidates keeps them apart).

The changed-word guard works over many candidate pairs at once. For each pair, the words (stems: a trailing Korean particle removed) only one side
has are found with sparse word-count vectors. Then:

- one side has none (a typo inside a shared word, a swapped particle, an added
  article): 100;
- more than MAX_CHANGED_WORDS in all: 0, another question rather than a variant;
- one word on each side (a template slot, or a typo): the two words are compared,
  each distinct pair of stems once however many question pairs share it, then as
  written where the stems differ too much;
- a negation among the changed words ("not", "never", "않다": curator.filters.lexicon): 0,
  the question asks the opposite;
- anything else: if the changed words of the two sides differ in more than
  MAX_SLIP_LETTERS letters, 0 (slips and moved spaces keep the letters); otherwise
  the changed words are taken in text order, spaces moved back
  (`leftover_similarity`), in Python, pair by pair.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, Indel
from scipy.sparse import csr_matrix

from curator.filters.arrays import distinct, distinct_inverse
from curator.filters.lexicon import is_negation, lexicon_verdict
from curator.filters.settings import FilterSettings
from curator.filters.similarity import jamo
from curator.filters.subjects import SubjectIndex
from curator.filters.words import ARTICLES, WordTable, word_forms

MAX_CHANGED_WORDS = 6
MAX_SLIP_LETTERS = 6
_CHUNK = 1 << 17


def changed_word_scores(texts: Sequence[str], pairs: np.ndarray, cutoff: float = 100.0) -> np.ndarray:
    """For each pair (indexes into `texts`), how alike its changed words are, 0-100 (100: no word changed).

    Pairs whose one changed word per side reaches `cutoff` are not looked at further.
    """
    if not len(pairs):
        return np.ones(0, dtype=np.float32)
    involved = distinct(pairs.ravel())
    table = WordTable([texts[t] for t in involved.tolist()])
    counts = csr_matrix((np.ones(table.stem_id.size, np.int32), table.stem_id, table.indptr),
                        shape=(involved.size, max(table.n_stems, 1)))
    counts.sum_duplicates()
    left = np.searchsorted(involved, pairs[:, 0])
    right = np.searchsorted(involved, pairs[:, 1])
    letters = negating = None
    score = np.empty(len(pairs), dtype=np.float32)
    for lo in range(0, len(pairs), _CHUNK):  # a chunk at a time: the gathered rows are large
        part = slice(lo, lo + _CHUNK)
        diff = (counts[left[part]] - counts[right[part]]).tocsr()
        diff.eliminate_zeros()
        if letters is None:
            letters = _letter_counts(table)
            negating = np.fromiter((is_negation(w) for w in table.stems), dtype=bool, count=table.n_stems)
        score[part] = _chunk_scores(diff, left[part], right[part], table, letters, negating, cutoff)
    again = np.flatnonzero(score < 0)
    forms: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for k in again.tolist():
        a = forms.get(left[k]) or forms.setdefault(left[k], word_forms(texts[involved[left[k]]]))
        b = forms.get(right[k]) or forms.setdefault(right[k], word_forms(texts[involved[right[k]]]))
        score[k] = _in_order(a[0], a[1], b[0], b[1])
    return score


def _chunk_scores(diff: csr_matrix, left: np.ndarray, right: np.ndarray, table: WordTable, letters: csr_matrix,
                  negating: np.ndarray, cutoff: float) -> np.ndarray:
    """Scores of the pairs whose word-count differences are the rows of `diff`; -1 where Python must look."""
    n = diff.shape[0]
    row = np.repeat(np.arange(n), np.diff(diff.indptr))
    positive = diff.data > 0
    n_left = np.bincount(row[positive], weights=diff.data[positive], minlength=n)
    n_right = np.bincount(row[~positive], weights=-diff.data[~positive], minlength=n)
    score = np.where((n_left == 0) | (n_right == 0), 100.0, 0.0).astype(np.float32)
    open_ = (score < 100.0) & (n_left + n_right <= MAX_CHANGED_WORDS)
    single = open_ & (n_left == 1) & (n_right == 1)
    if single.any():
        rows = np.flatnonzero(single)
        hit = single[row]
        stem_left, stem_right = np.zeros(n, np.int64), np.zeros(n, np.int64)
        stem_left[row[hit & positive]] = diff.indices[hit & positive]
        stem_right[row[hit & ~positive]] = diff.indices[hit & ~positive]
        score[rows] = _distinct_similarity(stem_left[rows], stem_right[rows], table.n_stems, table.stem)
        # a particle can hide a slip ("기준의로" is a typo of "기준으로", though its stem is not): compare as written
        failed = rows[score[rows] < cutoff]
        if failed.size:
            raw_left = table.raw_of_stem(left[failed], stem_left[failed])
            raw_right = table.raw_of_stem(right[failed], stem_right[failed])
            score[failed] = np.maximum(score[failed], _distinct_similarity(raw_left, raw_right, table.n_raws,
                                                                           table.raw))
    negated = np.zeros(n, dtype=bool)
    if negating.any():
        negated[row[negating[diff.indices]]] = True
        score[negated] = 0.0
    several = np.flatnonzero(open_ & ~single & ~negated)
    if several.size:
        # slips move letters around but keep almost all of them: a pair whose changed words differ in
        # more letters than MAX_SLIP_LETTERS is a different question, without looking further
        moved = abs(diff[several] @ letters).sum(axis=1).A1
        look = several[moved <= MAX_SLIP_LETTERS]
        score[look] = -1.0
    return score


def _distinct_similarity(a: np.ndarray, b: np.ndarray, size: int, spell: Callable[[int], str]) -> np.ndarray:
    """word_similarity of the words with ids a[k] and b[k], computed once per distinct pair of ids."""
    n = max(size, 1)
    codes, _, back = distinct_inverse(a * n + b)
    sims = np.array([word_similarity(spell(c // n), spell(c % n)) for c in codes.tolist()], dtype=np.float32)
    return sims[back]


def _letter_counts(table: WordTable) -> csr_matrix:
    """Letters per stem (articles count as none: swapping one for another is no change), stems x letters."""
    alphabet: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for k, word in enumerate(table.stems):
        if word not in ARTICLES:
            rows.extend([k] * len(word))
            cols.extend([alphabet.setdefault(ch, len(alphabet)) for ch in word])
    return csr_matrix((np.ones(len(rows), np.int32), (rows, cols)),
                      shape=(max(table.n_stems, 1), max(len(alphabet), 1)))


def _in_order(stems_a: tuple[str, ...], words_a: tuple[str, ...], stems_b: tuple[str, ...],
              words_b: tuple[str, ...]) -> float:
    """The changed words of one pair, in text order, compared every way that can show a slip; the best counts.

    Changed words are found order-free (so swapped words are no change) and by
    aligning the two word sequences (so a repeated word is matched where it stands),
    and compared as stems and as written.
    """
    only_a, only_b = changed_in_order(stems_a, stems_b)
    best = leftover_similarity([stems_a[k] for k in only_a], [stems_b[k] for k in only_b])
    if best < 100.0:
        best = max(best, leftover_similarity([words_a[k] for k in only_a], [words_b[k] for k in only_b]))
    if best < 100.0:
        only_a, only_b = changed_by_alignment(words_a, words_b)
        best = max(best, leftover_similarity([words_a[k] for k in only_a], [words_b[k] for k in only_b]))
    return best


def changed_words_similarity(a: str, b: str) -> float:
    """How alike the words are that only one of two normalized texts has (100 when one side has none)."""
    return float(changed_word_scores([a, b], np.array([[0, 1]]))[0])


def variant_mask(texts: Sequence[str], pairs: np.ndarray, scores: np.ndarray, settings: FilterSettings,
                 subjects: SubjectIndex | None = None) -> np.ndarray:
    """Which look-alike pairs (indexes into `texts`, with their similarity) are variants of one question.

    A pair under 100 whose changed words are unlike each other (under `changed_word_cutoff`) asks another
    question; with `subjects`, so does a pair that differs in a subject (curator.filters.subjects).
    """
    variant = np.ones(len(pairs), dtype=bool)
    differ = np.flatnonzero(scores < 100.0)
    cutoff = settings.changed_word_cutoff
    variant[differ] = changed_word_scores(texts, pairs[differ], cutoff) >= cutoff
    if subjects is not None:
        differ = np.flatnonzero(variant)
        variant[differ] = subjects.same_subjects(texts, pairs[differ])
    return variant


# --- the changed words of one pair, in Python ---------------------------------------------------------------

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
