"""What the filters measured (`filter_scores`) and the duplicate clusters those measurements point at.

A filter run replaces the current measurements of the kinds it recomputed (current = 0
on the old rows, new rows inserted) in the caller's transaction, so a killed run leaves
the previous ones in force. Rows are plain tuples here; curator.filters decides what
they mean (which ones fail today's limits and become flags).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from curator.store.rows import to_json

# (pair_id, kind, score, reason, cluster_id, details as JSON text, run_id)
ScoreTuple = tuple[int, str, float | None, str, int | None, str, int | None]


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" * len(values))


@contextmanager
def large_page_cache(conn: sqlite3.Connection, kib: int = 262_144) -> Iterator[None]:
    """A large page cache while writing a run: hundreds of thousands of index updates stay in memory."""
    previous = conn.execute("PRAGMA cache_size").fetchone()[0]
    conn.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        conn.execute(f"PRAGMA cache_size = {int(previous)}")


def retire_scores(conn: sqlite3.Connection, kinds: Sequence[str]) -> int:
    """Mark the current measurements of these kinds as no longer current; how many were."""
    return conn.execute(f"UPDATE filter_scores SET current = 0 WHERE current = 1 AND kind IN ({_marks(kinds)})",
                        list(kinds)).rowcount


def insert_scores(conn: sqlite3.Connection, rows: Iterable[ScoreTuple]) -> None:
    conn.executemany("INSERT INTO filter_scores (pair_id, kind, score, reason, cluster_id, details, run_id)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def insert_clusters(conn: sqlite3.Connection, rows: Sequence[tuple[str, int, str, int | None]]) -> list[int]:
    """Insert clusters (kind, keeper_id, keeper_by, run_id) with ids taken in order; their ids.

    Call inside a write transaction: the ids are taken from the table's largest, which the
    write lock keeps from moving.
    """
    first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM clusters").fetchone()[0]
    ids = list(range(first, first + len(rows)))
    conn.executemany("INSERT INTO clusters (id, kind, keeper_id, keeper_by, run_id) VALUES (?, ?, ?, ?, ?)",
                     [(cid, *row) for cid, row in zip(ids, rows)])
    return ids


def current_kinds(conn: sqlite3.Connection) -> set[str]:
    return {k for (k,) in conn.execute("SELECT DISTINCT kind FROM filter_scores WHERE current = 1")}


def current_scores_of_pairs_in(conn: sqlite3.Connection, statuses: Sequence[str]) -> list[tuple]:
    """(pair_id, kind, score, reason, cluster_id, details text) of the pairs with these statuses, by pair."""
    return conn.execute(
        "SELECT s.pair_id, s.kind, s.score, s.reason, s.cluster_id, s.details FROM filter_scores s"
        f" JOIN qa_pairs p ON p.id = s.pair_id WHERE s.current = 1 AND p.status IN ({_marks(statuses)})"
        " ORDER BY s.pair_id, s.id", list(statuses)).fetchall()


def current_scores_of_kind(conn: sqlite3.Connection, kind: str) -> dict[int, tuple[float | None, str, dict[str, Any]]]:
    """pair id -> (score, reason, details) of every current measurement of one kind (judge, moderation)."""
    rows = conn.execute("SELECT pair_id, score, reason, details FROM filter_scores WHERE kind = ? AND current = 1",
                        (kind,))
    return {pid: (score, reason, json.loads(details or "{}")) for pid, score, reason, details in rows}


def current_scores_except(conn: sqlite3.Connection, kind: str) -> list[tuple]:
    """(pair_id, kind, score, details text, cluster_id) of every current measurement of the other kinds."""
    return conn.execute("SELECT pair_id, kind, score, details, cluster_id FROM filter_scores"
                        " WHERE current = 1 AND kind != ?", (kind,)).fetchall()


def current_measurements_of(conn: sqlite3.Connection, pair_id: int) -> list[sqlite3.Row]:
    return conn.execute("SELECT kind, score, reason, cluster_id, details, run_id, created_at FROM filter_scores"
                        " WHERE pair_id = ? AND current = 1 ORDER BY id", (pair_id,)).fetchall()


def get_cluster(conn: sqlite3.Connection, cluster_id: int) -> dict[str, Any] | None:
    row = conn.execute("SELECT id, kind, keeper_id, keeper_by, run_id, created_at FROM clusters WHERE id = ?",
                       (cluster_id,)).fetchone()
    return dict(row) if row else None


def cluster_keepers(conn: sqlite3.Connection) -> list[tuple[int, int]]:
    """(cluster id, keeper id) of every cluster with a keeper."""
    return conn.execute("SELECT id, keeper_id FROM clusters WHERE keeper_id IS NOT NULL").fetchall()


def human_keepers(conn: sqlite3.Connection) -> dict[int, int]:
    """Pairs a reviewer chose as keepers of clusters still in force: pair id -> cluster id (latest choice)."""
    rows = conn.execute(
        "SELECT c.keeper_id, MAX(c.id) FROM clusters c WHERE c.keeper_by = 'human' AND EXISTS"
        " (SELECT 1 FROM filter_scores s WHERE s.cluster_id = c.id AND s.current = 1) GROUP BY c.keeper_id")
    return {int(k): int(c) for k, c in rows if k is not None}


def clusters_of(conn: sqlite3.Connection, pair_id: int, kinds: Sequence[str]) -> list[int]:
    """Clusters the pair belongs to now (a member through a measurement of `kinds`, or the keeper), newest first."""
    rows = conn.execute(
        f"SELECT DISTINCT cluster_id FROM filter_scores WHERE pair_id = ? AND current = 1 AND cluster_id IS NOT NULL"
        f" AND kind IN ({_marks(kinds)}) UNION SELECT c.id FROM clusters c WHERE c.keeper_id = ? AND EXISTS"
        " (SELECT 1 FROM filter_scores s WHERE s.cluster_id = c.id AND s.current = 1) ORDER BY 1 DESC",
        (pair_id, *kinds, pair_id))
    return [r[0] for r in rows]


def cluster_members(conn: sqlite3.Connection, cluster_id: int, kinds: Sequence[str]) -> list[int]:
    rows = conn.execute(f"SELECT DISTINCT pair_id FROM filter_scores WHERE cluster_id = ? AND current = 1"
                        f" AND kind IN ({_marks(kinds)}) ORDER BY pair_id", (cluster_id, *kinds))
    return [r[0] for r in rows]


def cluster_member_rows(conn: sqlite3.Connection, cluster_id: int, kinds: Sequence[str]) -> list[sqlite3.Row]:
    """Each member's current measurement against the keeper, with its status and question (cut to 160)."""
    return conn.execute(
        "SELECT s.pair_id, s.kind, s.score, s.details, p.status, substr(p.question, 1, 160) AS question"
        f" FROM filter_scores s JOIN qa_pairs p ON p.id = s.pair_id WHERE s.cluster_id = ? AND s.current = 1"
        f" AND s.kind IN ({_marks(kinds)}) ORDER BY s.pair_id", (cluster_id, *kinds)).fetchall()


def replace_keeper(conn: sqlite3.Connection, cluster_id: int, pair_id: int, previous: int, actor: str,
                   reason: str | None, kinds: Sequence[str], scores: Sequence[tuple], flagged: Sequence[bool]) -> None:
    """A reviewer's keeper choice, in the caller's transaction: the cluster's keeper, its members' measurements
    of `kinds` and their flags replaced by `scores` (pair_id, kind, score, reason, details text; the flagged
    ones become active flags), and the review logged."""
    conn.execute("UPDATE clusters SET keeper_id = ?, keeper_by = 'human' WHERE id = ?", (pair_id, cluster_id))
    conn.execute(f"UPDATE filter_scores SET current = 0 WHERE cluster_id = ? AND current = 1 AND kind IN"
                 f" ({_marks(kinds)})", (cluster_id, *kinds))
    conn.execute(f"UPDATE flags SET active = 0 WHERE cluster_id = ? AND active = 1 AND kind IN ({_marks(kinds)})",
                 (cluster_id, *kinds))
    rows = [(p, kind, score, why, cluster_id, details) for p, kind, score, why, details in scores]
    conn.executemany("INSERT INTO filter_scores (pair_id, kind, score, reason, cluster_id, details)"
                     " VALUES (?, ?, ?, ?, ?, ?)", rows)
    conn.executemany("INSERT INTO flags (pair_id, kind, score, reason, cluster_id, details) VALUES (?, ?, ?, ?, ?, ?)",
                     [row for row, flag in zip(rows, flagged) if flag])
    conn.execute("INSERT INTO reviews (pair_id, action, actor, before, after, reason) VALUES (?, 'keeper', ?, ?, ?, ?)",
                 (pair_id, actor, to_json({"cluster_id": cluster_id, "keeper": previous}),
                  to_json({"cluster_id": cluster_id, "keeper": pair_id}), reason))
