"""QA pairs with their revision chain, and the reviews audit log.

A pair is never deleted or overwritten: an edit adds a revision (same lineage id,
parent pointing at the old row, old row `superseded`), and every change of status
appends a review row with who, when, before and after. Callers wrap these calls in
`transaction` so a pair and its audit row are written together or not at all.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from typing import Any

from curator.store.rows import as_dict, from_json, insert, now, to_json

PAIR_STATES = ("pending", "accepted", "rejected", "superseded")
ORIGINS = ("llm", "glossary", "exam", "import")
_AUDITED = ("question", "answer", "evidence", "status", "status_reason")


def new_lineage_id(origin: str, question: str, answer: str, anchor: str | int | None) -> str:
    """A stable id for a pair and all its later revisions, from what made it (not from when)."""
    key = "\x1f".join([origin, str(anchor or ""), question, answer])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


def add_pair(conn: sqlite3.Connection, *, question: str, answer: str, origin: str, actor: str,
             **fields: Any) -> int:
    """Insert a new pair (first revision) and log its creation."""
    if origin not in ORIGINS:
        raise ValueError(f"unknown origin {origin!r}; expected one of {', '.join(ORIGINS)}")
    anchor = fields.get("chunk_id") or fields.get("document_id") or fields.get("source_id")
    fields.setdefault("lineage_id", new_lineage_id(origin, question, answer, anchor))
    pair_id = insert(conn, "qa_pairs", {"question": question, "answer": answer, "origin": origin, **fields})
    _log(conn, pair_id, "create", actor, None, _audit_view(get_pair(conn, pair_id)))
    return pair_id


def get_pair(conn: sqlite3.Connection, pair_id: int) -> dict[str, Any] | None:
    return as_dict(conn.execute("SELECT * FROM qa_pairs WHERE id = ?", (pair_id,)).fetchone())


def set_status(conn: sqlite3.Connection, pair_id: int, status: str, actor: str, *,
               reason: str | None = None, action: str | None = None) -> None:
    if status not in PAIR_STATES:
        raise ValueError(f"unknown pair status {status!r}")
    before = _require(conn, pair_id)
    conn.execute("UPDATE qa_pairs SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?",
                 (status, reason, now(), pair_id))
    _log(conn, pair_id, action or _action_for(status), actor, _audit_view(before),
         _audit_view(get_pair(conn, pair_id)), reason)


def pair_statuses(conn: sqlite3.Connection) -> list[tuple[int, str]]:
    """(id, status) of every pair, superseded revisions included."""
    return [(r[0], r[1]) for r in conn.execute("SELECT id, status FROM qa_pairs")]


def pair_counts_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    """How many pairs have each status."""
    return dict(conn.execute("SELECT status, COUNT(*) FROM qa_pairs GROUP BY status").fetchall())


def questions_of(conn: sqlite3.Connection, pair_ids: list[int]) -> dict[int, str]:
    """The question of each pair, by id."""
    if not pair_ids:
        return {}
    marks = ",".join("?" * len(pair_ids))
    return dict(conn.execute(f"SELECT id, question FROM qa_pairs WHERE id IN ({marks})", pair_ids).fetchall())


def answers_of(conn: sqlite3.Connection, pair_ids: list[int]) -> dict[int, str]:
    """The answer of each pair, by id (the review list's rows carry only the question)."""
    if not pair_ids:
        return {}
    marks = ",".join("?" * len(pair_ids))
    return dict(conn.execute(f"SELECT id, answer FROM qa_pairs WHERE id IN ({marks})", pair_ids).fetchall())


def live_pairs_of_chunk(conn: sqlite3.Connection, chunk_id: int) -> list[sqlite3.Row]:
    """A chunk's pairs that no revision replaced, oldest first (what a regeneration may replace)."""
    return conn.execute("SELECT id, status, revision, origin, question, answer FROM qa_pairs WHERE chunk_id = ?"
                        " AND status != 'superseded' ORDER BY id", (chunk_id,)).fetchall()


def revise_pair(conn: sqlite3.Connection, pair_id: int, actor: str, *, reason: str | None = None,
                action: str = "edit", **changes: Any) -> int:
    """Save an edit as a new revision; the old row stays, marked superseded and linked from the new one."""
    old = _require(conn, pair_id)
    if old["status"] == "superseded":
        raise ValueError(f"pair {pair_id} was already superseded; edit its latest revision")
    keep = {k: v for k, v in old.items() if k not in ("id", "revision", "parent_id", "created_at", "updated_at")}
    keep.update(changes)  # the new revision keeps the old status unless the change sets one
    new_id = insert(conn, "qa_pairs", {**keep, "revision": old["revision"] + 1, "parent_id": pair_id})
    conn.execute("UPDATE qa_pairs SET status = 'superseded', updated_at = ? WHERE id = ?", (now(), pair_id))
    _log(conn, pair_id, action, actor, _audit_view(old), {"superseded_by": new_id, **_audit_view(keep)}, reason)
    _log(conn, new_id, "create", actor, None, _audit_view(get_pair(conn, new_id)), reason)
    return new_id


def revision_chain(conn: sqlite3.Connection, pair_id: int) -> list[dict[str, Any]]:
    """The pair's revisions, oldest first."""
    lineage = _require(conn, pair_id)["lineage_id"]
    rows = conn.execute("SELECT * FROM qa_pairs WHERE lineage_id = ? ORDER BY revision, id", (lineage,))
    return [dict(r) for r in rows]


def history(conn: sqlite3.Connection, pair_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM reviews WHERE pair_id = ? ORDER BY id", (pair_id,)).fetchall()
    out = []
    for r in rows:
        d = dict(r)
        d["before"], d["after"] = from_json(d["before"]), from_json(d["after"])
        out.append(d)
    return out


def _require(conn: sqlite3.Connection, pair_id: int) -> dict[str, Any]:
    pair = get_pair(conn, pair_id)
    if pair is None:
        raise KeyError(f"no pair with id {pair_id}")
    return pair


def _audit_view(pair: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if pair is None else {k: pair.get(k) for k in _AUDITED}


def _action_for(status: str) -> str:
    return {"accepted": "accept", "rejected": "reject", "pending": "reset", "superseded": "supersede"}[status]


def _log(conn: sqlite3.Connection, pair_id: int, action: str, actor: str, before: Any, after: Any,
         reason: str | None = None) -> None:
    conn.execute(
        "INSERT INTO reviews (pair_id, action, actor, before, after, reason) VALUES (?, ?, ?, ?, ?, ?)",
        (pair_id, action, actor, to_json(before) if before is not None else None,
         to_json(after) if after is not None else None, reason),
    )


# what lengths are trimmed of in SQL: the same characters as curator.filters.rules.WHITESPACE
_TRIM = "' ' || char(9) || char(10) || char(13)"
_IN_BATCHES = 900  # ids per `IN (...)`: under SQLite's limit on bound parameters


def _by_ids(conn: sqlite3.Connection, select: str, ids: Sequence[int]) -> list[tuple]:
    """Rows of `select ... WHERE <column> IN (ids)` (select ends with the column and IN), batched."""
    out: list[tuple] = []
    ids = list(ids)
    for lo in range(0, len(ids), _IN_BATCHES):
        part = ids[lo:lo + _IN_BATCHES]
        out.extend(conn.execute(f"{select} ({', '.join('?' * len(part))})", part).fetchall())
    return out


def live_pair_columns(conn: sqlite3.Connection, columns: Sequence[str], *, include_held_out: bool = True
                      ) -> list[list[Any]]:
    """Columns of every pair neither superseded nor rejected, in id order, one list per column.

    Read a block at a time straight into columns, so a million pairs never exist twice
    over (as row tuples and as columns).
    """
    where = "status IN ('pending', 'accepted')" + ("" if include_held_out else " AND held_out = 0")
    cursor = conn.execute(f"SELECT {', '.join(columns)} FROM qa_pairs WHERE {where} ORDER BY id")
    cols: list[list[Any]] = [[] for _ in columns]
    while rows := cursor.fetchmany(50_000):
        for column, values in zip(cols, zip(*rows)):
            column.extend(values)
        del rows
    return cols


def evidence_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str | None]:
    return dict(_by_ids(conn, "SELECT id, evidence FROM qa_pairs WHERE id IN", ids))


def statuses_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
    return dict(_by_ids(conn, "SELECT id, status FROM qa_pairs WHERE id IN", ids))


def texts_of(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """pair id -> (question, answer)."""
    return {r[0]: (r[1], r[2]) for r in _by_ids(conn, "SELECT id, question, answer FROM qa_pairs WHERE id IN", ids)}


def pair_brief(conn: sqlite3.Connection, pair_id: int) -> dict[str, Any] | None:
    """id, status and the question's first 160 characters."""
    row = conn.execute("SELECT id, status, substr(question, 1, 160) AS question FROM qa_pairs WHERE id = ?",
                       (pair_id,)).fetchone()
    return dict(row) if row else None


def pair_ids_with_status(conn: sqlite3.Connection, status: str) -> list[int]:
    """Ids of the pairs with `status` ('all': pending, accepted and rejected), in id order."""
    if status == "all":
        rows = conn.execute("SELECT id FROM qa_pairs WHERE status IN ('pending', 'accepted', 'rejected') ORDER BY id")
    else:
        rows = conn.execute("SELECT id FROM qa_pairs WHERE status = ? ORDER BY id", (status,))
    return [r[0] for r in rows]


def pairs_outside_lengths(conn: sqlite3.Connection, statuses: Sequence[str], question: tuple[int, int],
                          answer: tuple[int, int]) -> list[tuple[int, str, str]]:
    """(id, question, answer) of the pairs with these statuses whose trimmed question or answer length
    falls outside (min, max), by id."""
    q, a = f"length(trim(question, {_TRIM}))", f"length(trim(answer, {_TRIM}))"
    marks = ", ".join("?" * len(statuses))
    return conn.execute(f"SELECT id, question, answer FROM qa_pairs WHERE status IN ({marks})"
                        f" AND ({q} < ? OR {q} > ? OR {a} < ? OR {a} > ?) ORDER BY id",
                        [*statuses, *question, *answer]).fetchall()


def document_heads(conn: sqlite3.Connection, ids: Sequence[int], chars: int) -> dict[int, str]:
    """pair id -> the first `chars` characters of the document the pair was made from."""
    return dict(_by_ids(conn, f"SELECT p.id, substr(d.content, 1, {int(chars)}) FROM qa_pairs p JOIN documents d"
                              " ON d.id = p.document_id WHERE p.id IN", ids))
