"""What a filter run writes, and writing it: all at once, in one transaction, at the end of the run.

Every measurement goes to `filter_scores`; the ones failing today's limits also
become active flags (judge verdicts always do: the judge flag carries the quality
score that versions filter on). A run replaces the scores and the active flags of
the kinds it recomputed in the same transaction, so a run killed at any moment
leaves the previous ones in force.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from curator.filters.decide import fails
from curator.filters.settings import FilterSettings
from curator.store.connection import transaction
from curator.store.flags import FLAG_KINDS, insert_flags, retire_flags
from curator.store.measurements import insert_clusters, insert_scores, large_page_cache, retire_scores


@dataclass
class ClusterRow:
    key: int                  # the run's own number for the cluster; measurements point at it
    kind: str                 # exact | near | semantic | conflict
    keeper_id: int
    keeper_by: str = "policy"


@dataclass
class ScoreRow:
    """One measurement of one pair: it raises a flag of `kind` when it fails the limits."""

    pair_id: int
    kind: str
    score: float | None
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    cluster_key: int | None = None  # a ClusterRow.key of the same output


@dataclass
class FilterOutput:
    """One filter's findings: the kinds it owns (replaced wholesale) and its measurements."""

    kinds: tuple[str, ...]
    scores: list[ScoreRow] = field(default_factory=list)
    clusters: list[ClusterRow] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)


def raises_flag(kind: str, score: float | None, details: dict[str, Any], settings: FilterSettings) -> bool:
    return kind == "judge" or fails(kind, score, details, settings)


def write_outputs(conn: sqlite3.Connection, outputs: Iterable[FilterOutput], settings: FilterSettings,
                  run_id: int | None) -> dict[str, int]:
    """Replace the current scores and active flags of every output's kinds with its new ones, in one transaction."""
    outputs = list(outputs)
    kinds = sorted({k for o in outputs for k in o.kinds})
    unknown = set(kinds) - set(FLAG_KINDS)
    if unknown:
        raise ValueError(f"unknown flag kinds {sorted(unknown)}")
    written = {"retired": 0, "scores": 0, "flags": 0, "clusters": 0}
    with large_page_cache(conn), transaction(conn):
        if kinds:
            retire_scores(conn, kinds)
            written["retired"] = retire_flags(conn, kinds)
        keys = [(n, c.key) for n, out in enumerate(outputs) for c in out.clusters]
        ids = insert_clusters(conn, [(c.kind, c.keeper_id, c.keeper_by, run_id) for out in outputs for c in out.clusters])
        cluster_ids = dict(zip(keys, ids))
        score_rows, flag_rows = [], []
        for n, out in enumerate(outputs):
            for r in out.scores:
                cid = None if r.cluster_key is None else cluster_ids[(n, r.cluster_key)]
                row = (r.pair_id, r.kind, r.score, r.reason, cid, json.dumps(r.details, ensure_ascii=False), run_id)
                score_rows.append(row)
                if raises_flag(r.kind, r.score, r.details, settings):
                    flag_rows.append(row)
        insert_scores(conn, score_rows)
        insert_flags(conn, flag_rows)
        written.update(scores=len(score_rows), flags=len(flag_rows), clusters=len(cluster_ids))
    return written
