"""Flags (what a filter or an evaluation found about a pair) and duplicate clusters.

Filters never delete: a new run of a filter retires the flags of its kinds that
the previous run wrote (active = 0) and writes its own, in one transaction, so a
killed run leaves the previous flags in force.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from curator.store.rows import from_json, insert


@dataclass(frozen=True)
class FlagKind:
    """One kind of flag: what decides it, how it is shown, and whether it keeps a pair out of versions."""

    kind: str
    limit: str | None   # the [filters] (or [eval]) setting that decides it; None: the flag alone decides
    label: str          # short label for lists (review app, summaries)
    excludes: bool      # left out of versions by default ([version].exclude_flags)
    meaning: str        # one line for --explain and the docs


# The one table of flag kinds: decisions, `curator filter --explain`, the filter summary, the review app
# and the default [version].exclude_flags all read it. A machine never leaves out a pair that might be
# distinct: conflicts (same question, another answer) go to a person and stay in versions meanwhile.
FLAG_KIND_TABLE: tuple[FlagKind, ...] = (
    FlagKind("duplicate", None, "dup", True, "same question and the same answer as its cluster's keeper"),
    FlagKind("near_duplicate", "fuzzy_cutoff", "near", True,
             "a variant of the keeper's question (typo, spacing, word order, particle) with the same answer"),
    FlagKind("semantic_duplicate", "semantic_threshold", "sem", True,
             "the keeper's question in other words (sentence embeddings), with the same answer"),
    FlagKind("conflict", "fuzzy_cutoff", "conflict", False,
             "asks what another pair asks with a different answer: a person decides which stays"),
    FlagKind("rule", None, "rule", True, "breaks a rule (length, empty or placeholder answer, personal data, ...)"),
    FlagKind("moderation", "moderation_threshold", "mod", True, "the moderation endpoint flagged it"),
    FlagKind("judge", "judge_min_quality", "judge", False,
             "the LLM judge's verdict; versions leave out pairs scored under judge_min_quality"),
    FlagKind("contamination", "fuzzy_cutoff", "contam", True, "near-duplicates a held-out or test item"),
    FlagKind("eval_low", None, "eval-low", False, "an evaluation scored the trained model low on it: to review"),
)
FLAG_KIND = {k.kind: k for k in FLAG_KIND_TABLE}
FLAG_KINDS = tuple(FLAG_KIND)
EXCLUDED_BY_DEFAULT = tuple(k.kind for k in FLAG_KIND_TABLE if k.excludes)
# The kinds duplicate detection owns: each is a member's measurement against its cluster's keeper.
DUPLICATE_KINDS = ("duplicate", "near_duplicate", "conflict", "semantic_duplicate")
# The kinds decided by a similarity at or above a [filters] cutoff (the table's `limit` names which).
SIMILARITY_LIMITS = ("fuzzy_cutoff", "semantic_threshold")


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


def active_flag_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Active flags by kind, and rule flags by rule too (`rule:NAME`): what `curator status` and a run's summary show."""
    counts = {kind: n for kind, n in conn.execute(
        "SELECT kind, COUNT(*) FROM flags WHERE active = 1 GROUP BY kind ORDER BY kind")}
    for rule, n in conn.execute("SELECT json_extract(details, '$.rule'), COUNT(*) FROM flags WHERE active = 1"
                                " AND kind = 'rule' GROUP BY 1 ORDER BY 1"):
        counts[f"rule:{rule}"] = n
    return counts


def insert_flags(conn: sqlite3.Connection, rows: Iterable[tuple]) -> None:
    """Active flags from rows (pair_id, kind, score, reason, cluster_id, details as JSON text, run_id)."""
    conn.executemany("INSERT INTO flags (pair_id, kind, score, reason, cluster_id, details, run_id)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def active_scores_of_kind(conn: sqlite3.Connection, kind: str) -> list[tuple[int, float | None]]:
    """(pair_id, score) of every active flag of one kind (the judge's quality, for keeper choice)."""
    return conn.execute("SELECT pair_id, score FROM flags WHERE kind = ? AND active = 1", (kind,)).fetchall()


def active_kinds_of_pairs(conn: sqlite3.Connection, kinds: Sequence[str]) -> list[tuple[int, str]]:
    """(pair_id, kind) of every active flag of these kinds."""
    marks = ", ".join("?" * len(kinds))
    return conn.execute(f"SELECT pair_id, kind FROM flags WHERE active = 1 AND kind IN ({marks})",
                        list(kinds)).fetchall()
