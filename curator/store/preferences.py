"""The review log read as preference evidence: edits, kept regenerations, keeper choices, reasoned rejects.

Every query returns plain rows; `curator.preferences` turns them into
(prompt, chosen, rejected) records and unpaired negatives. Only people's
decisions count: an actor named `machine:<stage>` is a pipeline stage, and a
decision that was undone (listed in `review_undos`) is no decision.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from curator.store.rows import from_json

MACHINE_PREFIX = "machine:"
_HUMAN = f"r.actor NOT LIKE '{MACHINE_PREFIX}%'"
_NOT_UNDONE = "r.id NOT IN (SELECT review_id FROM review_undos)"


def edit_events(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """A person's edits that stand: the revision before (the review's pair) and the one it made (after.superseded_by)."""
    rows = conn.execute(
        f"SELECT r.id, r.pair_id, r.actor, r.reason, r.created_at, r.before, r.after FROM reviews r"
        f" WHERE r.action = 'edit' AND {_HUMAN} AND {_NOT_UNDONE} ORDER BY r.id")
    out = []
    for row in rows:
        before, after = from_json(row["before"]) or {}, from_json(row["after"]) or {}
        if after.get("superseded_by") is None:
            continue
        out.append({"review_id": row["id"], "old_id": row["pair_id"], "new_id": int(after["superseded_by"]),
                    "actor": row["actor"], "reason": row["reason"], "at": row["created_at"],
                    "old_question": before.get("question"), "old_answer": before.get("answer"),
                    "new_question": after.get("question"), "new_answer": after.get("answer")})
    return out


def regeneration_events(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Pairs made by regenerating others, each with the pairs it replaced and who kept it, if a person did.

    A regenerated pair was kept by a person when a person accepted it (an accept not undone), or when a
    person confirmed the regeneration itself (the `regenerate` review row of the pair it replaced names a
    person rather than `machine:extract`).
    """
    # Every regeneration leaves `regenerate` review rows (on the replaced pairs, and with a reviewer's
    # confirmation on the new ones too): the pairs they name lead to the new pairs, without reading every
    # pair's meta.
    touched = [r[0] for r in conn.execute("SELECT DISTINCT pair_id FROM reviews WHERE action = 'regenerate'")]
    candidates: set[int] = set()
    for lo in range(0, len(touched), 900):
        part = touched[lo:lo + 900]
        for pid, successors in conn.execute(
                f"SELECT id, json_extract(meta, '$.superseded_by') FROM qa_pairs WHERE id IN"
                f" ({', '.join('?' * len(part))})", part):
            candidates.add(pid)
            candidates.update(int(x) for x in (from_json(successors) or []))
    wanted = sorted(candidates)
    rows = []
    for lo in range(0, len(wanted), 900):
        part = wanted[lo:lo + 900]
        rows += conn.execute(
            f"SELECT id, json_extract(meta, '$.regenerated_from') AS olds FROM qa_pairs WHERE id IN"
            f" ({', '.join('?' * len(part))}) AND json_extract(meta, '$.regenerated_from') IS NOT NULL", part).fetchall()
    rows.sort(key=lambda r: r["id"])
    out = []
    for row in rows:
        olds = [int(x) for x in (from_json(row["olds"]) or [])]
        if not olds:
            continue
        accept = conn.execute(
            f"SELECT r.id, r.actor, r.reason, r.created_at FROM reviews r WHERE r.pair_id = ? AND r.action = 'accept'"
            f" AND {_HUMAN} AND {_NOT_UNDONE} ORDER BY r.id LIMIT 1", (row["id"],)).fetchone()
        marks = ", ".join("?" * len(olds))
        confirm = conn.execute(
            f"SELECT r.id, r.actor, r.reason, r.created_at FROM reviews r WHERE r.pair_id IN ({marks})"
            f" AND r.action = 'regenerate' AND {_HUMAN} AND {_NOT_UNDONE} ORDER BY r.id LIMIT 1", olds).fetchone()
        kept = confirm or accept
        if kept is None:
            continue
        out.append({"review_id": kept["id"], "new_id": row["id"], "old_ids": olds, "actor": kept["actor"],
                    "reason": kept["reason"], "at": kept["created_at"]})
    return out


def keeper_events(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """A person's keeper choices that stand, with every pair measured as a conflict in that cluster.

    A conflict is a member asking the same question with another answer; the keeper's own conflict row (it
    carries the count) is left out, and so is the keeper.
    """
    rows = conn.execute(
        f"SELECT r.id, r.pair_id, r.actor, r.reason, r.created_at, r.before, r.after FROM reviews r"
        f" WHERE r.action = 'keeper' AND {_HUMAN} AND {_NOT_UNDONE} ORDER BY r.id").fetchall()
    out = []
    for row in rows:
        after, before = from_json(row["after"]) or {}, from_json(row["before"]) or {}
        cluster = after.get("cluster_id")
        others = [r[0] for r in conn.execute(
            "SELECT DISTINCT pair_id FROM filter_scores WHERE cluster_id = ? AND kind = 'conflict' AND pair_id != ?"
            " ORDER BY pair_id", (cluster, row["pair_id"]))]
        previous = before.get("keeper")
        if previous is not None and int(previous) != row["pair_id"] and int(previous) not in others:
            others.append(int(previous))  # the keeper it replaced: kept only if it asks the same question
        out.append({"review_id": row["id"], "keeper_id": row["pair_id"], "other_ids": others,
                    "cluster_id": cluster, "actor": row["actor"], "reason": row["reason"],
                    "at": row["created_at"]})
    return out


def reasoned_rejects(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Pairs rejected now, whose latest reject (not undone) was a person's with a reason."""
    rows = conn.execute(
        f"SELECT p.id AS pair_id, r.id AS review_id, r.actor, r.reason, r.created_at FROM qa_pairs p"
        f" JOIN reviews r ON r.id = (SELECT MAX(r2.id) FROM reviews r2 WHERE r2.pair_id = p.id"
        f" AND r2.action = 'reject' AND r2.id NOT IN (SELECT review_id FROM review_undos))"
        f" WHERE p.status = 'rejected' AND {_HUMAN} AND TRIM(COALESCE(r.reason, '')) != '' ORDER BY p.id")
    return [{"pair_id": r["pair_id"], "review_id": r["review_id"], "actor": r["actor"], "reason": r["reason"],
             "at": r["created_at"]} for r in rows]


def pairs_by_id(conn: sqlite3.Connection, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The rows preference records quote (question, answer, lineage, chunk, held-out mark, status)."""
    found: dict[int, dict[str, Any]] = {}
    wanted = sorted(set(ids))
    for lo in range(0, len(wanted), 900):
        part = wanted[lo:lo + 900]
        for row in conn.execute(
                "SELECT id, lineage_id, question, answer, chunk_id, document_id, source_id, language, held_out,"
                f" status, origin FROM qa_pairs WHERE id IN ({', '.join('?' * len(part))})", part):
            found[row["id"]] = dict(row)
    return found
