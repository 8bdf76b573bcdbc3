"""A reviewer choosing a cluster's keeper: the choice is logged, kept across runs, and re-scores the cluster.

The new keeper's measurements against the old keeper are retired, every other
member is measured again against the new keeper (similarity, answer agreement,
kind), and the cluster is marked `keeper_by = 'human'` so later filter runs keep
that pair as the keeper of whatever cluster it falls in.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import numpy as np

from curator.errors import CuratorError
from curator.filters.clusters import answer_agreement, scores_between
from curator.filters.dedup import member_score_row
from curator.filters.normalize import answer_key, normalize
from curator.filters.settings import FilterSettings
from curator.filters.verdicts import raises_flag
from curator.store.connection import transaction
from curator.store.flags import DUPLICATE_KINDS
from curator.store.measurements import cluster_members, get_cluster, replace_keeper
from curator.store.measurements import clusters_of as store_clusters_of
from curator.store.pairs import texts_of


def clusters_of(conn: sqlite3.Connection, pair_id: int) -> list[int]:
    """Duplicate clusters the pair belongs to now (as a member or as the keeper), newest first."""
    return store_clusters_of(conn, pair_id, DUPLICATE_KINDS)


def set_keeper(conn: sqlite3.Connection, pair_id: int, actor: str, settings: FilterSettings, *,
               cluster_id: int | None = None, reason: str | None = None) -> dict[str, Any]:
    """Make `pair_id` the keeper of its duplicate cluster (or of `cluster_id`); returns what changed."""
    if cluster_id is None:
        found = clusters_of(conn, pair_id)
        if not found:
            raise CuratorError(f"pair {pair_id} is in no duplicate cluster; run `curator filter --only dedup` first.")
        cluster_id = found[0]
    cluster = get_cluster(conn, cluster_id)
    if cluster is None:
        raise CuratorError(f"there is no cluster {cluster_id}.")
    old = cluster["keeper_id"]
    members = sorted(set(cluster_members(conn, cluster_id, DUPLICATE_KINDS)) | {old})
    if pair_id not in members:
        raise CuratorError(f"pair {pair_id} is not a member of cluster {cluster_id} (members: "
                           f"{', '.join(map(str, members[:20]))}).")
    if pair_id == old:
        return {"cluster_id": cluster_id, "keeper": old, "changed": False}
    texts = texts_of(conn, members)
    others = [m for m in members if m != pair_id]
    ids = [pair_id, *others]
    questions = [normalize(texts[i][0]) for i in ids]
    answers = [normalize(texts[i][1]) for i in ids]
    rest = np.arange(1, len(ids))
    keeper = np.zeros(len(others), dtype=np.int64)
    q_scores = scores_between(questions, rest, keeper, settings.fuzzy_scorer, settings.threads)
    same_q = np.array([questions[k] == questions[0] for k in rest.tolist()], dtype=bool)
    q_scores[same_q] = 100.0
    a_scores = np.full(len(others), 100.0, dtype=np.float32)
    differ = np.flatnonzero([answers[k] != answers[0] for k in rest.tolist()])
    if differ.size:
        a_scores[differ] = answer_agreement(answers, rest[differ], keeper[differ], settings.answer_agree_cutoff,
                                            settings.changed_word_cutoff, settings.threads)
    same_a = [answer_key(texts[m][1]) == answer_key(texts[pair_id][1]) for m in others]
    rows = [member_score_row(m, pair_id, bool(sq), sa, float(qs), float(a_s))
            for m, sq, sa, qs, a_s in zip(others, same_q.tolist(), same_a, q_scores.tolist(), a_scores.tolist())]
    conflicts = sum(r.kind == "conflict" for r in rows)
    if conflicts:
        rows.append(member_score_row(pair_id, pair_id, True, True, 100.0, 100.0, conflicts=conflicts))
    scores = [(r.pair_id, r.kind, r.score, r.reason, json.dumps(r.details, ensure_ascii=False)) for r in rows]
    flagged = [raises_flag(r.kind, r.score, r.details, settings) for r in rows]
    with transaction(conn):
        replace_keeper(conn, cluster_id, pair_id, old, actor, reason, DUPLICATE_KINDS, scores, flagged)
    return {"cluster_id": cluster_id, "keeper": pair_id, "previous_keeper": old, "changed": True,
            "members": [{"pair_id": r.pair_id, "kind": r.kind, "score": r.score} for r in rows]}
