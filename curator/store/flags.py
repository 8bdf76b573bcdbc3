"""Flags (what a filter or an evaluation found about a pair) and duplicate clusters.

Filters never delete: a new run of a filter retires the flags of its kinds that
the previous run wrote (active = 0) and writes its own, in one transaction, so a
killed run leaves the previous flags in force.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from curator.store.rows import from_json, insert

FLAG_KINDS = ("duplicate", "near_duplicate", "conflict", "semantic_duplicate", "rule", "moderation", "judge",
              "contamination", "eval_low")


def add_flag(conn: sqlite3.Connection, pair_id: int, kind: str, *, score: float | None = None,
             reason: str | None = None, cluster_id: int | None = None, details: dict[str, Any] | None = None,
             run_id: int | None = None) -> int:
    if kind not in FLAG_KINDS:
        raise ValueError(f"unknown flag kind {kind!r}")
    return insert(conn, "flags", {"pair_id": pair_id, "kind": kind, "score": score, "reason": reason,
                                  "cluster_id": cluster_id, "details": details or {}, "run_id": run_id})


def retire_flags(conn: sqlite3.Connection, kinds: Iterable[str]) -> int:
    kinds = list(kinds)
    marks = ", ".join("?" * len(kinds))
    return conn.execute(f"UPDATE flags SET active = 0 WHERE active = 1 AND kind IN ({marks})", kinds).rowcount


def active_flags(conn: sqlite3.Connection, pair_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM flags WHERE pair_id = ? AND active = 1 ORDER BY id", (pair_id,))
    out = []
    for r in rows:
        d = dict(r)
        d["details"] = from_json(d["details"])
        out.append(d)
    return out


def add_cluster(conn: sqlite3.Connection, kind: str, keeper_id: int, *, keeper_by: str = "policy",
                run_id: int | None = None) -> int:
    return insert(conn, "clusters", {"kind": kind, "keeper_id": keeper_id, "keeper_by": keeper_by,
                                     "run_id": run_id})
