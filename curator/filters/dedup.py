"""Exact and near-duplicate detection over a set of pairs, and the flags it leaves.

`find_duplicates` is the whole computation on plain lists (the benchmark calls it
directly); `dedup_output` turns its result into flags and clusters for the store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from curator.filters.clusters import (
    Clusters,
    KeeperInputs,
    build_clusters,
    keeper_rank,
    star_groups,
    text_ranks,
)
from curator.filters.near import NearEdges, near_edges
from curator.filters.normalize import normalize_all
from curator.filters.records import ClusterRow, FilterOutput, ScoreRow
from curator.filters.settings import FilterSettings
from curator.filters.subjects import SubjectIndex

DEDUP_KINDS = ("duplicate", "near_duplicate", "conflict")


@dataclass
class DedupResult:
    clusters: Clusters
    edges: NearEdges
    text_of: np.ndarray           # distinct normalized question of each pair
    group_of_text: np.ndarray     # star group of each distinct text
    near_misses: list[tuple[int, int, float]]  # (pair, most similar other pair, similarity) under the cutoff
    timings: dict[str, float] = field(default_factory=dict)


def distinct_texts(texts: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct texts in first-seen order, and each input's index among them."""
    seen: dict[str, int] = {}
    index = np.fromiter((seen.setdefault(t, len(seen)) for t in texts), dtype=np.int64, count=len(texts))
    return list(seen), index


def find_duplicates(questions: list[str], answers: list[str], inputs: KeeperInputs,
                    settings: FilterSettings, *, normalized: list[str] | None = None) -> DedupResult:
    """Clusters of pairs asking the same question (exact or near), with keepers and member kinds.

    `normalized`: the questions already normalized, when the caller has them.
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    q_norm = normalized if normalized is not None else normalize_all(questions)
    texts, text_of = distinct_texts(q_norm)
    timings["normalize"] = time.perf_counter() - start
    edges = near_edges(texts, settings, subjects=SubjectIndex(questions, text_of))
    timings.update(edges.timings)
    mark = time.perf_counter()
    rank = keeper_rank(inputs)
    t_rank = text_ranks(text_of, rank, len(texts))
    strong = edges.scores >= settings.fuzzy_cutoff
    groups = star_groups(len(texts), edges.pairs[strong], t_rank)
    clusters = build_clusters(text_of, groups, q_norm, answers, inputs, scorer=settings.fuzzy_scorer,
                              answer_cutoff=settings.answer_agree_cutoff, word_cutoff=settings.changed_word_cutoff,
                              threads=settings.threads)
    misses = _near_misses(edges, ~strong, groups, text_of, rank, t_rank, clusters)
    timings["clusters"] = time.perf_counter() - mark
    return DedupResult(clusters, edges, text_of, groups, misses, timings)


def _near_misses(edges: NearEdges, weak: np.ndarray, groups: np.ndarray, text_of: np.ndarray, rank: np.ndarray,
                 t_rank: np.ndarray, clusters: Clusters) -> list[tuple[int, int, float]]:
    """Similar pairs under the cutoff: the worse-ranked side is recorded with its best such similarity."""
    pairs, scores = edges.pairs[weak], edges.scores[weak]
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
                     answer_score: float, *, conflicts: int = 0) -> ScoreRow:
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
    for k in range(c.count):
        kind = "conflict" if conflicts[k] else "near" if near[k] else "exact"
        keeper = int(keepers_of[k])
        out.clusters.append(ClusterRow(k, kind, keeper, "human" if keeper in human else "policy"))
    same = result.text_of[c.member] == result.text_of[c.keeper]
    same_answer = (c.kind != "conflict").tolist()
    for m, kp, sq, sa, score, a_score, cl in zip(member_ids.tolist(), keeper_ids.tolist(), same.tolist(), same_answer,
                                                 c.score.tolist(), c.answer_score.tolist(), c.cluster.tolist()):
        if m == kp and not conflicts[cl]:
            continue
        row = member_score_row(m, kp, sq, sa, score, a_score, conflicts=int(conflicts[cl]))
        row.cluster_key = cl
        out.scores.append(row)
    for p, o, s in result.near_misses:
        out.scores.append(ScoreRow(int(ids[p]), "near_duplicate", round(s, 2),
                                   f"question {s:.0f}% like #{int(ids[o])}, a look-alike outside its cluster",
                                   {"similar_to": int(ids[o]), "below_cutoff": True}))
    out.counts = {"clusters": c.count, "duplicate": int((c.kind == "duplicate").sum()),
                  "near_duplicate": int((c.kind == "near_duplicate").sum()),
                  "conflict": int((c.kind == "conflict").sum()), "below_cutoff": len(result.near_misses),
                  "candidates": result.edges.candidates}
    return out
