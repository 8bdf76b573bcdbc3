"""`curator filter --explain PAIR`: every measurement, decision, flag and duplicate cluster of one pair."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from curator.errors import CuratorError
from curator.filters.clusters import POLICY
from curator.filters.keeper import clusters_of
from curator.filters.rules import LENGTH_RULES, length_findings
from curator.filters.settings import FilterSettings
from curator.filters.verdicts import fails
from curator.store.flags import DUPLICATE_KINDS, FLAG_KIND, active_flags
from curator.store.measurements import cluster_member_rows, current_measurements_of, get_cluster
from curator.store.pairs import get_pair, pair_brief


def explain_pair(conn: sqlite3.Connection, pair_id: int, settings: FilterSettings) -> dict[str, Any]:
    """What the filters know about a pair, each measurement with today's decision and the limit that made it."""
    pair = get_pair(conn, pair_id)
    if pair is None:
        raise CuratorError(f"there is no pair {pair_id}; `curator filter --failing` lists flagged pairs.")
    measurements = []
    for row in current_measurements_of(conn, pair_id):
        details = json.loads(row["details"]) if row["details"] else {}
        if row["kind"] == "rule" and details.get("rule") in LENGTH_RULES:
            continue
        measurements.append({**dict(row), "details": details,
                             "decision": _decision(row["kind"], row["score"], details, settings)})
    for rule, score, reason, details in length_findings(pair["question"], pair["answer"], settings):
        measurements.append({"kind": "rule", "score": score, "reason": reason, "cluster_id": None, "details": details,
                             "decision": f"fails ({rule})"})
    return {
        "pair": {k: pair[k] for k in ("id", "status", "origin", "held_out", "question", "answer", "chunk_id",
                                      "evidence_score", "lineage_id", "revision")},
        "fails": any(m["decision"].startswith("fails") for m in measurements),
        "measurements": measurements,
        "flags": [{k: f[k] for k in ("id", "kind", "score", "reason", "cluster_id", "details", "run_id")}
                  for f in active_flags(conn, pair_id)],
        "clusters": [cluster_view(conn, cid) for cid in clusters_of(conn, pair_id)],
        "keeper_policy": list(POLICY),
    }


def _decision(kind: str, score: float | None, details: dict[str, Any], s: FilterSettings) -> str:
    """Today's verdict on one measurement, the limit that made it, and what it means for versions."""
    failed = fails(kind, score, details, s)
    verdict = "fails" if failed else "passes"
    entry = FLAG_KIND.get(kind)
    setting = entry.limit if entry else None
    if kind == "rule" and details.get("rule") == "repetitive_answer":
        setting = "max_answer_repetition"
    limit = f"{setting} {getattr(s, setting):g}" if setting and hasattr(s, setting) else None
    if failed and entry is not None:
        verdict += (": left out of versions" if entry.excludes else ": stays in versions, to review") \
            if kind != "judge" else ""
    return f"{verdict} ({limit})" if limit else verdict


def cluster_view(conn: sqlite3.Connection, cluster_id: int) -> dict[str, Any]:
    """A cluster: its kind, keeper (and who chose it), members with their measurement against the keeper."""
    cluster = get_cluster(conn, cluster_id)
    members = cluster_member_rows(conn, cluster_id, DUPLICATE_KINDS)
    cluster["keeper"] = pair_brief(conn, cluster["keeper_id"])
    cluster["members"] = [{"pair_id": m["pair_id"], "kind": m["kind"], "score": m["score"], "status": m["status"],
                           "answer_score": json.loads(m["details"] or "{}").get("answer_score"),
                           "question": m["question"]}
                          for m in members if m["pair_id"] != cluster["keeper_id"]]
    return cluster
