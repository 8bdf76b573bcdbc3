"""Exact, near and semantic duplicate detection over a set of pairs, and the flags it leaves.

The steps, each in its own module: which question pairs are compared (`candidates`),
how alike they are (`similarity`), whether look-alikes are variants of one question
(`variants`), chained by `near_edges`; then the semantic pairs, the grouping and the
keepers (`clusters`). `find_duplicates` is the whole computation on plain lists (the
benchmark calls it directly); `dedup_output` turns its result into flags and clusters
for the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from curator.filters.candidates import question_candidates
from curator.filters.clusters import (
    Clusters,
    KeeperInputs,
    build_clusters,
    keeper_rank,
    star_groups,
    text_ranks,
)
from curator.filters.lexicon import negation_differs
from curator.filters.normalize import answer_key, normalize_all, numbers_of
from curator.filters.results import ClusterRow, FilterOutput, ScoreRow
from curator.filters.semantic import EmbeddingSkipped, neighbour_pairs
from curator.filters.settings import FilterSettings
from curator.filters.similarity import candidate_scores
from curator.filters.subjects import SubjectIndex
from curator.filters.variants import variant_mask
from curator.filters.words import word_forms

_INFORMATIVE_WORDS = 3  # answers with fewer words need _SHORT_ANSWER_COSINE for a semantic duplicate
# An answer given to this many different questions (groups of exact and near duplicates) is boilerplate
# ("This function always succeeds.", "See the section above."): like a short answer it says little about
# whether two of those questions mean the same, so it too needs _SHORT_ANSWER_COSINE. Found on the Python
# reference, where one-word siblings sharing such an answer ("... if p is a tuple object ..." / "... a list
# object ...") were semantic duplicates; a paraphrase and its original share their answer with fewer groups.
_BOILERPLATE_GROUPS = 4
_SHORT_ANSWER_COSINE = 0.95
DEDUP_KINDS = ("duplicate", "near_duplicate", "conflict", "semantic_duplicate")


@dataclass
class NearEdges:
    """Confirmed pairs of indexes into the distinct texts (i < j), their similarity, and what was looked at."""

    pairs: np.ndarray   # (m, 2) int64
    scores: np.ndarray  # (m,) float32, 0-100
    candidates: int
    rejected_by_guard: int
    timings: dict[str, float] = field(default_factory=dict)


def near_edges(texts: Sequence[str], settings: FilterSettings, *, only_across: np.ndarray | None = None,
               subjects: SubjectIndex | None = None, extra: np.ndarray | None = None) -> NearEdges:
    """Look-alike pairs among `texts` (distinct normalized questions) that are variants of one question.

    The candidates (curator.filters.candidates: `only_across` and `extra` are theirs) are scored
    (curator.filters.similarity); everything at or above the recording floor is kept, so a cutoff between the
    floor and 100 can be applied later without computing anything again; then the variants check drops
    look-alikes that ask another question (curator.filters.variants; `subjects`: the raw questions behind the
    texts, for the subject check).
    """
    clock = _Clock()
    found = question_candidates(texts, settings, only_across=only_across, extra=extra, lap=clock.lap)
    n_cand = len(found.pairs)
    if not n_cand:
        return NearEdges(np.empty((0, 2), np.int64), np.empty(0, np.float32), 0, 0, clock.laps)
    scored = candidate_scores(texts, found.pairs, settings, found.same_words)
    found.release()
    if scored is None:
        return NearEdges(np.empty((0, 2), np.int64), np.empty(0, np.float32), n_cand, 0, clock.laps)
    cand, scores = scored
    clock.lap("scores")
    variant = variant_mask(texts, cand, scores, settings, subjects)
    clock.lap("guard")
    return NearEdges(cand[variant], scores[variant], n_cand, int((~variant).sum()), clock.laps)


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self._last, 3)
        self._last = now


@dataclass
class DedupResult:
    clusters: Clusters
    edges: NearEdges
    text_of: np.ndarray           # distinct normalized question of each pair
    group_of_text: np.ndarray     # star group of each distinct text
    near_misses: list[tuple[int, int, float]]  # (pair, most similar other pair, similarity) under the cutoff
    timings: dict[str, float] = field(default_factory=dict)
    semantic_misses: list[tuple[int, int, float]] = field(default_factory=list)  # the same, cosine under threshold
    semantic_candidates: int = 0


def distinct_texts(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts in first-seen order, and each input's index among them."""
    seen: dict[str, int] = {}
    index = np.fromiter((seen.setdefault(t, len(seen)) for t in texts), dtype=np.int64, count=len(texts))
    return list(seen), index


Encoder = Callable[[list[str]], np.ndarray]


def find_duplicates(questions: list[str], answers: list[str], inputs: KeeperInputs,
                    settings: FilterSettings, *, normalized: list[str] | None = None,
                    embed: Encoder | None = None) -> DedupResult:
    """Clusters of pairs asking the same question (exact, near or semantic), with keepers and member kinds.

    `normalized`: the questions already normalized, when the caller has them. `embed`:
    unit-length vectors of a list of distinct normalized questions (semantic duplicates;
    None leaves them out).
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    q_norm = normalized if normalized is not None else normalize_all(questions)
    texts, text_of = distinct_texts(q_norm)
    subjects = SubjectIndex(questions, text_of)
    timings["normalize"] = time.perf_counter() - start
    sem_pairs = np.empty((0, 2), np.int64)
    sem_cos = np.empty(0, np.float32)
    if embed is not None and len(texts) > 1:
        mark = time.perf_counter()
        try:
            vectors = embed(texts)
        except EmbeddingSkipped:
            vectors = None  # too many new questions to embed: the encoder recorded why
        timings["embed"] = time.perf_counter() - mark
        if vectors is not None:
            mark = time.perf_counter()
            floor = min(settings.semantic_candidate_floor, settings.semantic_recording_floor)
            sem_pairs, sem_cos = neighbour_pairs(vectors, settings.semantic_neighbours, floor, settings.threads)
            del vectors
            timings["neighbours"] = time.perf_counter() - mark
    edges = near_edges(texts, settings, subjects=subjects, extra=sem_pairs)
    timings.update(edges.timings)
    mark = time.perf_counter()
    rank = keeper_rank(inputs)
    t_rank = text_ranks(text_of, rank, len(texts))
    strong = edges.scores >= settings.fuzzy_cutoff
    semantic = _semantic_edges(texts, text_of, answers, rank, subjects, sem_pairs, sem_cos, settings,
                               lambda: star_groups(len(texts), edges.pairs[strong], t_rank))
    sem_strong = semantic.scores >= settings.semantic_threshold
    groups = star_groups(len(texts), np.concatenate((edges.pairs[strong], semantic.pairs[sem_strong])), t_rank)
    clusters = build_clusters(text_of, groups, q_norm, answers, inputs, scorer=settings.fuzzy_scorer,
                              answer_cutoff=settings.answer_agree_cutoff, word_cutoff=settings.changed_word_cutoff,
                              threads=settings.threads, fuzzy_cutoff=settings.fuzzy_cutoff,
                              semantic=(semantic.pairs[sem_strong], semantic.scores[sem_strong]))
    misses = _near_misses(edges.pairs[~strong], edges.scores[~strong], groups, text_of, rank, t_rank, clusters)
    sem_misses = _near_misses(semantic.pairs[~sem_strong], semantic.scores[~sem_strong], groups, text_of, rank,
                              t_rank, clusters)
    timings["clusters"] = time.perf_counter() - mark
    return DedupResult(clusters, edges, text_of, groups, misses, timings, sem_misses, int(len(semantic.pairs)))


@dataclass
class _Scored:
    pairs: np.ndarray
    scores: np.ndarray


def _semantic_edges(texts: list[str], text_of: np.ndarray, answers: list[str], rank: np.ndarray,
                    subjects: SubjectIndex, pairs: np.ndarray, cos: np.ndarray, settings: FilterSettings,
                    near_groups: Callable[[], np.ndarray]) -> _Scored:
    """Neighbour pairs that may be semantic duplicates: cosine >= the recording floor, the same subjects and
    numbers, and the same answer (of the best-ranked pair asking each text); a short or boilerplate answer
    needs a higher cosine. `near_groups`: each text's group of exact and near duplicates."""
    keep = cos >= settings.semantic_recording_floor
    pairs, cos = pairs[keep], cos[keep]
    if not len(pairs):
        return _Scored(pairs, cos)
    order = np.lexsort((rank, text_of))
    first = np.concatenate(([True], text_of[order][1:] != text_of[order][:-1]))
    rep = np.empty(len(texts), dtype=np.int64)  # the best-ranked pair asking each text
    rep[text_of[order][first]] = order[first]
    keys: dict[int, str] = {}
    same = np.fromiter(((keys.get(p) or keys.setdefault(p, answer_key(answers[p]))) ==
                        (keys.get(q) or keys.setdefault(q, answer_key(answers[q])))
                        for p, q in zip(rep[pairs[:, 0]].tolist(), rep[pairs[:, 1]].tolist())),
                       dtype=bool, count=len(pairs))
    numbers = np.fromiter((numbers_of(texts[a]) == numbers_of(texts[b]) for a, b in pairs.tolist()), dtype=bool,
                          count=len(pairs))
    # a short answer ("Yes", "Dublin") is shared by many different questions ("Is a list ordered?", "Is a dict
    # ordered?"): only near-identical meaning joins them
    short = np.fromiter((len(keys[p].split()) < _INFORMATIVE_WORDS for p in rep[pairs[:, 0]].tolist()), dtype=bool,
                        count=len(pairs))
    uninformative = short | _boilerplate(pairs, rep, answers, keys, near_groups)
    keep = same & numbers & (~uninformative | (cos >= max(settings.semantic_threshold, _SHORT_ANSWER_COSINE)))
    keep[keep] = subjects.same_subjects(texts, pairs[keep])
    keep[keep] = [not negation_differs(word_forms(texts[a])[0], word_forms(texts[b])[0])
                  for a, b in pairs[keep].tolist()]
    return _Scored(pairs[keep], cos[keep])


def _boilerplate(pairs: np.ndarray, rep: np.ndarray, answers: list[str], keys: dict[int, str],
                 near_groups: Callable[[], np.ndarray]) -> np.ndarray:
    """Whether each pair's (shared) answer is given to _BOILERPLATE_GROUPS or more groups of questions."""
    groups = near_groups()
    seen: dict[str, set[int]] = {}
    for text, p in enumerate(rep.tolist()):
        key = keys.get(p) or keys.setdefault(p, answer_key(answers[p]))
        seen.setdefault(key, set()).add(int(groups[text]))
    return np.fromiter((len(seen[keys[p]]) >= _BOILERPLATE_GROUPS for p in rep[pairs[:, 0]].tolist()), dtype=bool,
                       count=len(pairs))


def _near_misses(pairs: np.ndarray, scores: np.ndarray, groups: np.ndarray, text_of: np.ndarray, rank: np.ndarray,
                 t_rank: np.ndarray, clusters: Clusters) -> list[tuple[int, int, float]]:
    """Similar pairs under the cutoff: the worse-ranked side is recorded with its best such similarity."""
    apart = groups[pairs[:, 0]] != groups[pairs[:, 1]]
    pairs, scores = pairs[apart], scores[apart]
    if not len(pairs):
        return []
    best_pair = np.full(t_rank.size, -1, dtype=np.int64)  # the best-ranked pair asking each text
    order = np.lexsort((rank, text_of))
    first = np.concatenate(([True], text_of[order][1:] != text_of[order][:-1]))
    best_pair[text_of[order][first]] = order[first]
    already = set(clusters.member[clusters.kind != "keeper"].tolist())
    found: dict[int, tuple[int, float]] = {}
    for (a, b), s in zip(pairs.tolist(), scores.tolist()):
        worse, better = (a, b) if t_rank[a] > t_rank[b] else (b, a)
        flagged, other = int(best_pair[worse]), int(best_pair[better])
        if flagged in already:
            continue
        if flagged not in found or s > found[flagged][1]:
            found[flagged] = (other, s)
    return [(p, o, s) for p, (o, s) in found.items()]


def member_score_row(member: int, keeper: int, same_question: bool, same_answer: bool, score: float,
                     answer_score: float, *, conflicts: int = 0, cosine: float | None = None) -> ScoreRow:
    """The measurement of one cluster member against its keeper (for the keeper itself: its conflicts)."""
    if member == keeper:
        return ScoreRow(member, "conflict", 100.0, f"kept, but {conflicts} pair(s) asking the same question answer "
                        "differently", {"role": "keeper", "keeper": keeper})
    details = {"keeper": keeper, "answer_score": round(answer_score, 1)}
    if not same_answer:
        return ScoreRow(member, "conflict", round(score, 2), f"asks what #{keeper} asks ({score:.0f}% alike) with a "
                        f"different answer ({answer_score:.0f}% alike)", details)
    if same_question:
        return ScoreRow(member, "duplicate", 100.0, f"same question and answer as #{keeper} (the keeper)", details)
    if cosine is not None:
        return ScoreRow(member, "semantic_duplicate", round(cosine, 4), f"means what #{keeper} asks (cosine "
                        f"{cosine:.2f}; spelling {score:.0f}% alike), same answer", {**details, "question_score":
                                                                                  round(score, 1)})
    return ScoreRow(member, "near_duplicate", round(score, 2),
                    f"question {score:.0f}% like #{keeper} (the keeper), same answer", details)


def dedup_output(ids: np.ndarray, result: DedupResult, human: set[int], settings: FilterSettings) -> FilterOutput:
    """The measurements and clusters of a dedup result; `ids` maps the result's pair indexes to pair ids."""
    c = result.clusters
    out = FilterOutput(kinds=DEDUP_KINDS)
    member_ids, keeper_ids = ids[c.member], ids[c.keeper]
    conflicts = np.bincount(c.cluster[c.kind == "conflict"], minlength=c.count)
    near = np.bincount(c.cluster[c.kind == "near_duplicate"], minlength=c.count)
    keepers_of = np.full(c.count, -1, dtype=np.int64)
    keepers_of[c.cluster] = keeper_ids
    semantic = np.bincount(c.cluster[c.kind == "semantic_duplicate"], minlength=c.count)
    for k in range(c.count):
        kind = "conflict" if conflicts[k] else "semantic" if semantic[k] else "near" if near[k] else "exact"
        keeper = int(keepers_of[k])
        out.clusters.append(ClusterRow(k, kind, keeper, "human" if keeper in human else "policy"))
    same = result.text_of[c.member] == result.text_of[c.keeper]
    same_answer = (c.kind != "conflict").tolist()
    for m, kp, sq, sa, score, a_score, cos, cl in zip(
            member_ids.tolist(), keeper_ids.tolist(), same.tolist(), same_answer, c.score.tolist(),
            c.answer_score.tolist(), c.cosine.tolist(), c.cluster.tolist()):
        if m == kp and not conflicts[cl]:
            continue
        row = member_score_row(m, kp, sq, sa, score, a_score, conflicts=int(conflicts[cl]),
                               cosine=None if cos != cos else cos)
        row.cluster_key = cl
        out.scores.append(row)
    for p, o, s in result.near_misses:
        out.scores.append(ScoreRow(int(ids[p]), "near_duplicate", round(s, 2),
                                   f"question {s:.0f}% like #{int(ids[o])}, a look-alike outside its cluster",
                                   {"similar_to": int(ids[o]), "below_cutoff": True}))
    for p, o, s in result.semantic_misses:
        out.scores.append(ScoreRow(int(ids[p]), "semantic_duplicate", round(s, 4),
                                   f"means almost what #{int(ids[o])} asks (cosine {s:.2f}), same answer",
                                   {"similar_to": int(ids[o]), "below_cutoff": True}))
    out.counts = {"clusters": c.count, "duplicate": int((c.kind == "duplicate").sum()),
                  "near_duplicate": int((c.kind == "near_duplicate").sum()),
                  "semantic_duplicate": int((c.kind == "semantic_duplicate").sum()),
                  "conflict": int((c.kind == "conflict").sum()), "below_cutoff": len(result.near_misses),
                  "candidates": result.edges.candidates}
    return out
