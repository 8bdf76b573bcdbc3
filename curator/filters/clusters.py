"""Duplicate clusters: which pairs ask the same question, which one is kept, and what the others are.

Pairs with the same normalized question form a group; groups linked by a
confirmed near-duplicate edge join the cluster of the best-ranked one they are
directly linked to (star clustering: never a chain of look-alikes). One member is
the keeper, chosen by a stated policy:

1. a keeper a reviewer chose before (kept across runs),
2. a pair a person accepted,
3. the judge's higher quality score,
4. better grounding (the evidence score of its quote in the source chunk),
5. the earliest (creation order, then id).

Every other member is, relative to the keeper: a `duplicate` (same normalized
question, same answer after `normalize.answer_key`), a `near_duplicate` (similar
question, same answer) or a `conflict` (same or similar question, any other answer:
to review, never dropped by a machine).
Its score is its similarity to the keeper, so a cutoff can be moved later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from curator.filters.arrays import distinct, distinct_inverse
from curator.filters.normalize import answer_key, normalize, numbers_of
from curator.filters.similarity import jamo, pair_scores
from curator.filters.variants import changed_word_scores

POLICY = ("a keeper a reviewer chose", "a pair a person accepted", "the judge's higher quality score",
          "better grounding (evidence score)", "the earliest pair")
_ANSWER_CHARS = 2000  # answers are compared on their first characters: enough to tell them apart
_SHORT_ANSWER = 200  # in answers this short, one changed word (FOB against CIF) changes the answer


@dataclass
class KeeperInputs:
    """Per pair, what the keeper policy looks at (arrays aligned with the pairs)."""

    human_keeper: np.ndarray   # bool
    accepted: np.ndarray       # bool
    judge_quality: np.ndarray  # float, nan when not judged
    evidence_score: np.ndarray  # float, nan when unknown
    order: np.ndarray          # int, creation order


@dataclass
class Clusters:
    """Members of clusters of two or more pairs, as aligned arrays (keepers included, with kind 'keeper')."""

    member: np.ndarray       # index of the pair
    cluster: np.ndarray      # cluster number (0..count-1)
    keeper: np.ndarray       # index of its cluster's keeper
    kind: np.ndarray         # keeper | duplicate | near_duplicate | conflict (object array)
    score: np.ndarray        # question similarity to the keeper, 0-100
    answer_score: np.ndarray  # answer similarity to the keeper, 0-100
    keeper_by: np.ndarray    # per cluster: human | policy
    count: int
    cosine: np.ndarray | None = None  # semantic members: cosine of the questions' embeddings (nan for others)

    def __post_init__(self) -> None:
        if self.cosine is None:
            self.cosine = np.full(self.member.size, np.nan, dtype=np.float32)


def star_groups(n_texts: int, pairs: np.ndarray, text_rank: np.ndarray) -> np.ndarray:
    """A group label per distinct text: greedy star clustering over the similarity edges.

    Texts are visited best-ranked first; an unassigned text becomes a centre and takes
    every unassigned text it is directly linked to. Every member is therefore similar
    to its centre itself, never only through a chain of look-alikes (A like B like C).
    """
    label = np.arange(n_texts, dtype=np.int64)
    if not len(pairs):
        return label
    both = np.concatenate((pairs, pairs[:, ::-1]))
    both = both[np.argsort(both[:, 0], kind="stable")]
    linked = distinct(both[:, 0])
    starts = np.searchsorted(both[:, 0], linked)
    ends = np.searchsorted(both[:, 0], linked, side="right")
    neighbours = dict(zip(linked.tolist(), (both[s:e, 1].tolist() for s, e in zip(starts, ends))))
    assigned = {}
    for t in linked[np.argsort(text_rank[linked], kind="stable")].tolist():
        if t in assigned:
            continue
        assigned[t] = t
        for u in neighbours[t]:
            if u not in assigned:
                assigned[u] = t
    keys = np.fromiter(assigned.keys(), dtype=np.int64, count=len(assigned))
    label[keys] = np.fromiter(assigned.values(), dtype=np.int64, count=len(assigned))
    return label


def keeper_rank(inputs: KeeperInputs) -> np.ndarray:
    """Rank of every pair under the policy: the lowest rank in a cluster is its keeper."""
    judge = np.nan_to_num(inputs.judge_quality.astype(float), nan=-1.0)
    evidence = np.nan_to_num(inputs.evidence_score.astype(float), nan=-1.0)
    order = np.lexsort((inputs.order, -evidence, -judge, ~inputs.accepted, ~inputs.human_keeper))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank


def build_clusters(text_of: np.ndarray, text_group: np.ndarray, questions: list[str], answers: list[str],
                   inputs: KeeperInputs, *, scorer: str, answer_cutoff: float, word_cutoff: float,
                   threads: int = 2, fuzzy_cutoff: float = 100.0,
                   semantic: tuple[np.ndarray, np.ndarray] | None = None) -> Clusters:
    """Clusters of the pairs, their keepers and every member's kind.

    `text_of[p]` is the distinct normalized question of pair p, `text_group[t]`
    the group of distinct text t (`star_groups`); `questions` are normalized, `answers` as stored (only
    cluster members' answers are normalized, when compared). `semantic`: the (text pairs, cosines)
    that joined texts as semantic duplicates; a member spelled under `fuzzy_cutoff` from its keeper
    but linked to it by one of them is a `semantic_duplicate`.
    """
    comp = text_group[text_of]
    order = np.argsort(comp, kind="stable")
    sizes = np.bincount(comp)
    in_cluster = sizes[comp[order]] >= 2
    member = order[in_cluster]
    if member.size == 0:
        empty = np.empty(0, np.int64)
        return Clusters(empty, empty, empty, np.empty(0, object), np.empty(0, np.float32),
                        np.empty(0, np.float32), np.empty(0, object), 0)
    _, _, cluster = distinct_inverse(comp[member])
    rank = keeper_rank(inputs)[member]
    by_rank = np.lexsort((rank, cluster))
    first = np.concatenate(([True], cluster[by_rank][1:] != cluster[by_rank][:-1]))
    keeper_of_cluster = member[by_rank[first]]
    keeper = keeper_of_cluster[cluster]

    same_text = text_of[member] == text_of[keeper]
    score = np.full(member.size, 100.0, dtype=np.float32)
    differ = np.flatnonzero(~same_text)
    if differ.size:
        score[differ] = scores_between(questions, member[differ], keeper[differ], scorer, threads)
    answer_score = np.full(member.size, 100.0, dtype=np.float32)
    involved = distinct(np.concatenate((member, keeper))).tolist()
    keys = {i: answer_key(answers[i]) for i in involved}
    same_answer = np.fromiter((keys[i] == keys[j] for i, j in zip(member.tolist(), keeper.tolist())), dtype=bool,
                              count=member.size)
    unequal = np.flatnonzero(~same_answer)
    if unequal.size:  # how alike the differing answers are: shown to the reviewer, never a reason to drop
        answers = {i: normalize(answers[i]) for i in involved}
        answer_score[unequal] = answer_agreement(answers, member[unequal], keeper[unequal], answer_cutoff,
                                                 word_cutoff, threads)
    # a duplicate only when the answers are the same: any other answer goes to a person as a conflict
    kind = np.where(~same_answer, "conflict", np.where(same_text, "duplicate", "near_duplicate"))
    kind = kind.astype(object)
    cosine = np.full(member.size, np.nan, dtype=np.float32)
    if semantic is not None and len(semantic[0]):
        n = int(text_of.max()) + 1
        pairs, cos = semantic
        index = dict(zip((np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1])).tolist(),
                         cos.tolist()))
        look = np.flatnonzero(~same_text & (score < fuzzy_cutoff) & (kind != "conflict"))
        ta, tb = text_of[member[look]], text_of[keeper[look]]
        found = [index.get(k) for k in (np.minimum(ta, tb) * n + np.maximum(ta, tb)).tolist()]
        hit = np.array([f is not None for f in found], dtype=bool)
        kind[look[hit]] = "semantic_duplicate"
        cosine[look[hit]] = [f for f in found if f is not None]
    kind[member == keeper] = "keeper"
    keeper_by = np.where(inputs.human_keeper[keeper_of_cluster], "human", "policy").astype(object)
    return Clusters(member, cluster, keeper, kind, score, answer_score, keeper_by, int(keeper_of_cluster.size), cosine)


def text_ranks(text_of: np.ndarray, rank: np.ndarray, n_texts: int) -> np.ndarray:
    """Per distinct text, the best (lowest) keeper rank among the pairs that ask it."""
    out = np.full(n_texts, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, text_of, rank)
    return out


def scores_between(texts: list[str], a: np.ndarray, b: np.ndarray, scorer: str, threads: int = 2) -> np.ndarray:
    """Similarity of texts[a[k]] and texts[b[k]] (normalized texts; compared with Hangul split into jamo)."""
    involved = distinct(np.concatenate((a, b)))
    local = [jamo(texts[i]) for i in involved.tolist()]
    pairs = np.stack((np.searchsorted(involved, a), np.searchsorted(involved, b)), axis=1)
    return pair_scores(local, pairs, scorer, workers=threads)


def answer_agreement(answers: Sequence[str] | dict[int, str], a: np.ndarray, b: np.ndarray, cutoff: float, word_cutoff: float,
                     threads: int = 2) -> np.ndarray:
    """How far answers[a[k]] agrees with answers[b[k]], 0-100; under `cutoff` the two answers conflict.

    The score is rapidfuzz `ratio` on the first characters, set to 0 when the answers
    mention different numbers, or when short answers differ in a word that is not a slip.
    """
    clipped = {i: answers[i][:_ANSWER_CHARS] for i in distinct(np.concatenate((a, b))).tolist()}
    ids = list(clipped)
    texts = [clipped[i] for i in ids]
    where = {i: k for k, i in enumerate(ids)}
    pairs = np.array([(where[i], where[j]) for i, j in zip(a.tolist(), b.tolist())], dtype=np.int64)
    score = scores_between(texts, pairs[:, 0], pairs[:, 1], "ratio", threads)
    numbers = [numbers_of(t) for t in texts]
    score[[numbers[i] != numbers[j] for i, j in pairs.tolist()]] = 0.0
    short = np.flatnonzero([max(len(texts[i]), len(texts[j])) <= _SHORT_ANSWER for i, j in pairs.tolist()])
    if short.size:
        passed = changed_word_scores(texts, pairs[short], word_cutoff) >= word_cutoff
        score[short[~passed]] = np.minimum(score[short[~passed]], cutoff - 1)
    return score
