"""Decisions from stored measurements: the pairs failing today's limits, and re-deriving the flags.

Moving a limit in curator.toml changes what `failing_pairs` reports at once; and
`redecide` rewrites the active flags (what reviews and versions read) from the
stored measurements in one transaction, without hashing, comparing or calling a
model again.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from curator.filters.decide import LENGTH_RULES, fails, length_sql
from curator.filters.records import raises_flag
from curator.filters.rules import length_findings
from curator.filters.settings import FilterSettings
from curator.store.connection import transaction
from curator.store.flags import FLAG_KINDS, retire_flags

SCORED_KINDS = tuple(k for k in FLAG_KINDS if k != "eval_low")  # eval_low comes from evaluations, not filters


def _current_scores(conn: sqlite3.Connection, statuses: tuple[str, ...]):
    marks = ", ".join("?" * len(statuses))
    return conn.execute(
        "SELECT s.pair_id, s.kind, s.score, s.reason, s.cluster_id, s.details FROM filter_scores s"
        f" JOIN qa_pairs p ON p.id = s.pair_id WHERE s.current = 1 AND p.status IN ({marks}) ORDER BY s.pair_id, s.id",
        statuses)


def _length_rows(conn: sqlite3.Connection, settings: FilterSettings, statuses: tuple[str, ...]):
    where, params = length_sql(settings)
    marks = ", ".join("?" * len(statuses))
    rows = conn.execute(f"SELECT p.id, p.question, p.answer FROM qa_pairs p WHERE p.status IN ({marks}) AND {where}"
                        " ORDER BY p.id", [*statuses, *params])
    for pid, q, a in rows:
        for rule, score, reason, details in length_findings(q or "", a or "", settings):
            yield pid, score, reason, details


def failing_pairs(conn: sqlite3.Connection, settings: FilterSettings, *, include_accepted: bool = False,
                  kinds: tuple[str, ...] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Pairs (pending, and accepted too if asked) that today's limits fail, with every reason, by pair id."""
    statuses = ("pending", "accepted") if include_accepted else ("pending",)
    found: dict[int, list[dict[str, Any]]] = {}
    for pid, kind, score, reason, cluster_id, details in _current_scores(conn, statuses):
        info = json.loads(details) if details else {}
        if kind == "rule" and info.get("rule") in LENGTH_RULES:
            continue  # lengths are decided from the pairs themselves, below
        if (kinds is None or kind in kinds) and fails(kind, score, info, settings):
            found.setdefault(pid, []).append({"kind": kind, "score": score, "reason": reason,
                                              "cluster_id": cluster_id})
    if kinds is None or "rule" in kinds:
        for pid, score, reason, _details in _length_rows(conn, settings, statuses):
            found.setdefault(pid, []).append({"kind": "rule", "score": score, "reason": reason, "cluster_id": None})
    ids = sorted(found)[:limit] if limit else sorted(found)
    status = dict(conn.execute(f"SELECT id, status FROM qa_pairs WHERE id IN ({', '.join('?' * len(ids))})", ids)
                  .fetchall()) if ids else {}
    return [{"pair_id": pid, "status": status.get(pid), "reasons": found[pid]} for pid in ids]


def redecide(conn: sqlite3.Connection, settings: FilterSettings, *, run_id: int | None = None) -> dict[str, int]:
    """Rewrite the active flags of the scored kinds from the stored measurements under today's limits."""
    statuses = ("pending", "accepted")
    counts: dict[str, int] = {}
    with transaction(conn):
        have = {k for (k,) in conn.execute("SELECT DISTINCT kind FROM filter_scores WHERE current = 1")}
        kinds = [k for k in SCORED_KINDS if k in have]
        if not kinds:
            return counts
        counts["retired"] = retire_flags(conn, kinds)
        rows = []
        for pid, kind, score, reason, cluster_id, details in _current_scores(conn, statuses).fetchall():
            info = json.loads(details) if details else {}
            if kind == "rule" and info.get("rule") in LENGTH_RULES:
                continue
            if raises_flag(kind, score, info, settings):
                rows.append((pid, kind, score, reason, cluster_id, details, run_id))
                counts[kind] = counts.get(kind, 0) + 1
        if "rule" in kinds:
            for pid, score, reason, details in _length_rows(conn, settings, statuses):
                rows.append((pid, "rule", score, reason, None, json.dumps(details, ensure_ascii=False), run_id))
                counts["rule"] = counts.get("rule", 0) + 1
        conn.executemany("INSERT INTO flags (pair_id, kind, score, reason, cluster_id, details, run_id)"
                         " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return counts


def failing_pair_ids(conn: sqlite3.Connection, settings: FilterSettings) -> list[int]:
    """Ids of pending and accepted pairs that today's limits fail (what a version should leave out)."""
    return [row["pair_id"] for row in failing_pairs(conn, settings, include_accepted=True)]
