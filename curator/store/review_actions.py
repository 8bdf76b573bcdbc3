"""A reviewer's decisions: accept, reject, edit, bulk over a filter, and undo of the last decision.

Each call is one transaction: the pair and its audit row are written together, so
quitting or a crash right after a key press loses nothing. Single decisions go
through `pairs.set_status` / `pairs.revise_pair`; a bulk decision writes its audit
rows with one INSERT ... SELECT (a million `set_status` calls would take minutes),
in the same shape, and records itself in `review_batches` so that one undo reverts
it. Undo reverts the reviewer's latest decision that is not undone yet, and refuses
a pair that someone changed since, rather than overwrite their decision.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field

from curator.errors import CuratorError
from curator.store.connection import transaction
from curator.store.pairs import get_pair, revise_pair, set_status
from curator.store.rows import from_json, now

UNDOABLE = ("accept", "reject", "reset", "edit")
_DECISIONS = {"accepted": "accept", "rejected": "reject", "pending": "reset"}
_BULK_CHUNK = 50_000


class NothingToUndo(CuratorError):
    pass


@dataclass
class UndoResult:
    action: str                       # what was undone: accept | reject | reset | edit | bulk accept | ...
    pair_ids: list[int] = field(default_factory=list)     # pairs whose status went back
    replaced: dict[int, int] = field(default_factory=dict)  # edit undone: the revision -> its restoring revision
    skipped: int = 0                  # pairs changed by someone since, left as they are


def decide(conn: sqlite3.Connection, pair_id: int, status: str, actor: str, *, reason: str | None = None) -> str:
    """Accept, reject or reset one pair (status accepted | rejected | pending); returns its status before."""
    if status not in _DECISIONS:
        raise ValueError(f"a reviewer sets accepted, rejected or pending, not {status!r}")
    with transaction(conn):
        current = get_pair(conn, pair_id)
        if current is None:
            raise CuratorError(f"pair {pair_id} does not exist")
        if current["status"] == "superseded":
            raise CuratorError(f"pair {pair_id} was superseded by a newer revision; review that one")
        set_status(conn, pair_id, status, actor, reason=reason)
        return current["status"]


def save_edit(conn: sqlite3.Connection, pair_id: int, actor: str, *, question: str, answer: str,
              reason: str | None = None) -> int:
    """Save an edit as a new revision (the old one stays, superseded); returns the new pair's id."""
    if not question.strip() or not answer.strip():
        raise CuratorError("an edited pair needs a question and an answer; nothing was saved")
    with transaction(conn):
        return revise_pair(conn, pair_id, actor, reason=reason, question=question, answer=answer)


def bulk_decide(conn: sqlite3.Connection, ids: Sequence[int], status: str, actor: str, *,
                reason: str | None = None, filter_text: str = "") -> int:
    """Set `status` on every current pair of `ids` that has another status; returns how many changed."""
    action = _DECISIONS.get(status)
    if action not in ("accept", "reject"):
        raise ValueError(f"bulk decisions accept or reject, not {status!r}")
    with transaction(conn):
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS review_bulk_ids (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM temp.review_bulk_ids")
        for start in range(0, len(ids), _BULK_CHUNK):
            conn.executemany("INSERT OR IGNORE INTO temp.review_bulk_ids (id) VALUES (?)",
                             ((int(i),) for i in ids[start:start + _BULK_CHUNK]))
        target = ("FROM qa_pairs WHERE id IN (SELECT id FROM temp.review_bulk_ids)"
                  " AND status IN ('pending', 'accepted', 'rejected') AND status != ?")
        batch = conn.execute("INSERT INTO review_batches (actor, action, reason, filter, pair_count)"
                             " VALUES (?, ?, ?, ?, 0)", (actor, action, reason, filter_text)).lastrowid
        first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM reviews").fetchone()[0]
        conn.execute(
            "INSERT INTO reviews (pair_id, action, actor, before, after, reason)"
            f" SELECT id, ?, ?, {_audit_json('status', 'status_reason')}, {_audit_json('?', '?')}, ? "
            + target + " ORDER BY id",
            (action, actor, status, reason, reason, status))
        last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM reviews").fetchone()[0]
        changed = conn.execute("UPDATE qa_pairs SET status = ?, status_reason = ?, updated_at = ? "
                               + target.removeprefix("FROM qa_pairs "), (status, reason, now(), status)).rowcount
        conn.execute("UPDATE review_batches SET pair_count = ?, first_review_id = ?, last_review_id = ?"
                     " WHERE id = ?", (changed, first if changed else None, last if changed else None, batch))
        conn.execute("DELETE FROM temp.review_bulk_ids")
        return changed


def _audit_json(status_expr: str, reason_expr: str) -> str:
    """The audit view `pairs` logs (question, answer, evidence, status, status_reason), built in SQL."""
    return (f"json_object('answer', answer, 'evidence', evidence, 'question', question,"
            f" 'status', {status_expr}, 'status_reason', {reason_expr})")


def undo_last(conn: sqlite3.Connection, actor: str) -> UndoResult:
    """Revert `actor`'s latest decision that is not undone yet (a bulk decision as a whole)."""
    with transaction(conn):
        marks = ",".join("?" * len(UNDOABLE))
        row = conn.execute(
            f"SELECT * FROM reviews WHERE actor = ? AND action IN ({marks})"
            " AND id NOT IN (SELECT review_id FROM review_undos) ORDER BY id DESC LIMIT 1",
            (actor, *UNDOABLE)).fetchone()
        if row is None:
            raise NothingToUndo(f"nothing to undo: {actor} has no decision left that is not undone")
        batch = conn.execute("SELECT * FROM review_batches WHERE last_review_id >= ? AND first_review_id <= ?"
                             " ORDER BY last_review_id LIMIT 1", (row["id"], row["id"])).fetchone()
        if batch is not None:
            return _undo_batch(conn, actor, batch)
        if row["action"] == "edit":
            return _undo_edit(conn, actor, row)
        return _undo_status(conn, actor, row)


def _undo_status(conn: sqlite3.Connection, actor: str, review: sqlite3.Row) -> UndoResult:
    before, after = from_json(review["before"]) or {}, from_json(review["after"]) or {}
    result = UndoResult(action=review["action"])
    pair = get_pair(conn, review["pair_id"])
    if pair is None or pair["status"] != after.get("status"):
        result.skipped = 1
        undo_id = _log_undo(conn, review["pair_id"], actor, review["id"], "changed since; left as it is")
    else:
        set_status(conn, review["pair_id"], before.get("status", "pending"), actor,
                   reason=before.get("status_reason"), action="undo")
        undo_id = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
        result.pair_ids.append(review["pair_id"])
    conn.execute("INSERT INTO review_undos (review_id, undo_review_id) VALUES (?, ?)", (review["id"], undo_id))
    return result


def _undo_edit(conn: sqlite3.Connection, actor: str, review: sqlite3.Row) -> UndoResult:
    before, after = from_json(review["before"]) or {}, from_json(review["after"]) or {}
    result = UndoResult(action="edit")
    newer = after.get("superseded_by")
    pair = get_pair(conn, newer) if newer is not None else None
    if pair is None or pair["status"] == "superseded":
        result.skipped = 1
        undo_id = _log_undo(conn, review["pair_id"], actor, review["id"], "revised again since; left as it is")
    else:
        restored = revise_pair(conn, newer, actor, action="undo", reason=f"undo of the edit of pair {review['pair_id']}",
                               question=before["question"], answer=before["answer"])
        undo_id = conn.execute("SELECT MAX(id) FROM reviews WHERE pair_id = ? AND action = 'undo'",
                               (newer,)).fetchone()[0]
        result.pair_ids.append(restored)
        result.replaced[newer] = restored
    conn.execute("INSERT INTO review_undos (review_id, undo_review_id) VALUES (?, ?)", (review["id"], undo_id))
    return result


def _undo_batch(conn: sqlite3.Connection, actor: str, batch: sqlite3.Row) -> UndoResult:
    """Each pair of the batch goes back to its status before, unless it changed since."""
    lo, hi = batch["first_review_id"], batch["last_review_id"]
    in_batch = "FROM reviews r JOIN qa_pairs p ON p.id = r.pair_id WHERE r.id BETWEEN ? AND ? AND r.actor = ?"
    revert = in_batch + " AND p.status = json_extract(r.after, '$.status')"
    result = UndoResult(action=f"bulk {batch['action']}")
    total = conn.execute(f"SELECT COUNT(*) {in_batch}", (lo, hi, actor)).fetchone()[0]
    result.pair_ids = [r[0] for r in conn.execute(f"SELECT p.id {revert} ORDER BY p.id", (lo, hi, actor))]
    result.skipped = total - len(result.pair_ids)
    first_undo = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM reviews").fetchone()[0]
    conn.execute(
        "INSERT INTO reviews (pair_id, action, actor, before, after, reason)"
        " SELECT p.id, 'undo', ?, json_object('answer', p.answer, 'evidence', p.evidence, 'question', p.question,"
        " 'status', p.status, 'status_reason', p.status_reason), json_object('answer', p.answer, 'evidence',"
        " p.evidence, 'question', p.question, 'status', json_extract(r.before, '$.status'), 'status_reason',"
        " json_extract(r.before, '$.status_reason')), ? " + revert + " ORDER BY p.id",
        (actor, f"undo of bulk {batch['action']} {batch['id']}", lo, hi, actor))
    conn.execute(
        "UPDATE qa_pairs SET (status, status_reason, updated_at) = (SELECT json_extract(r.before, '$.status'),"
        " json_extract(r.before, '$.status_reason'), ? FROM reviews r WHERE r.pair_id = qa_pairs.id"
        " AND r.id BETWEEN ? AND ?) WHERE id IN (SELECT value FROM json_each(?))",
        (now(), lo, hi, json.dumps(result.pair_ids)))
    # every audit row of the batch is marked undone, each by the undo row of its pair (or the first undo row)
    conn.execute(
        "INSERT INTO review_undos (review_id, undo_review_id) SELECT r.id, COALESCE((SELECT u.id FROM reviews u"
        " WHERE u.id >= ? AND u.pair_id = r.pair_id AND u.action = 'undo'), ?) FROM reviews r"
        " WHERE r.id BETWEEN ? AND ? AND r.actor = ?", (first_undo, first_undo, lo, hi, actor))
    return result


def _log_undo(conn: sqlite3.Connection, pair_id: int, actor: str, review_id: int, why: str) -> int:
    """An undo that changed nothing is still logged, so the log says why the pair stayed."""
    return conn.execute("INSERT INTO reviews (pair_id, action, actor, before, after, reason) VALUES (?, 'undo', ?,"
                        " NULL, NULL, ?)", (pair_id, actor, f"undo of review {review_id}: {why}")).lastrowid
