"""A reviewer's decisions: accept, reject, edit, bulk over a filter, restore, and undo of the last decision.

Each call is one transaction: the pair and its audit row are written together, so
quitting or a crash right after a key press loses nothing. Single decisions go
through `pairs.set_status` / `pairs.revise_pair`; a bulk decision writes its audit
rows with one INSERT ... SELECT (a million `set_status` calls would take minutes),
in the same shape, and records itself in `review_batches` so that one undo reverts
it. Undo reverts the reviewer's latest decision that is not undone yet, and refuses
a pair that someone changed since, rather than overwrite their decision.

Several reviewers at once: every decision may carry what the reviewer saw (the pair's
status and revision); when the pair changed since, the decision is refused with
`StaleDecision` and nothing is written, so one reviewer never silently replaces
another's decision. `protect_others=True` (the CLI's default) refuses to overwrite a
decision someone else made even without an expected status.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from curator.errors import CuratorError
from curator.store.connection import transaction
from curator.store.pairs import get_pair, revise_pair, set_status
from curator.store.rows import from_json, now

# What a reviewer can undo: decisions, edits, restores, kept regenerations and keeper choices.
# (A keeper choice is undone through curator.review.actions, which may call the filters.)
UNDOABLE = ("accept", "reject", "reset", "edit", "restore", "regenerate", "keeper")
_DECISIONS = {"accepted": "accept", "rejected": "reject", "pending": "reset"}
_BULK_CHUNK = 50_000


class NothingToUndo(CuratorError):
    pass


class StaleDecision(CuratorError):
    """The pair changed since the reviewer saw it; nothing was written."""

    exit_code = 4


@dataclass
class UndoResult:
    action: str                       # what was undone: accept | reject | reset | edit | bulk accept | ...
    pair_ids: list[int] = field(default_factory=list)     # pairs whose status went back
    replaced: dict[int, int] = field(default_factory=dict)  # edit undone: the revision -> its restoring revision
    skipped: int = 0                  # pairs changed by someone since, left as they are
    review_id: int | None = None      # the audit row (first of a batch) that was undone
    description: str = ""             # what was undone, in words ("your accept of pair 12 (back to pending)")


def last_change(conn: sqlite3.Connection, pair_id: int) -> dict[str, Any] | None:
    """The latest audit row that changed the pair (its status or its text): who, what, when."""
    row = conn.execute("SELECT id, action, actor, created_at, reason FROM reviews WHERE pair_id = ?"
                       " AND action NOT IN ('create', 'checkout') ORDER BY id DESC LIMIT 1", (pair_id,)).fetchone()
    return dict(row) if row is not None else None


def replaced_by(conn: sqlite3.Connection, pair_id: int) -> list[int]:
    """The pairs that replaced a superseded pair: its next revision, or the pairs a regeneration kept."""
    out = [r[0] for r in conn.execute("SELECT id FROM qa_pairs WHERE parent_id = ? ORDER BY id", (pair_id,))]
    meta = conn.execute("SELECT meta FROM qa_pairs WHERE id = ?", (pair_id,)).fetchone()
    later = (from_json(meta[0]) or {}).get("superseded_by") if meta is not None else None
    out += [int(i) for i in (later or []) if int(i) not in out]
    return out


def last_keeper_review(conn: sqlite3.Connection, actor: str, pair_id: int) -> int | None:
    """The id of this reviewer's newest keeper choice of this pair."""
    return conn.execute("SELECT MAX(id) FROM reviews WHERE actor = ? AND action = 'keeper' AND pair_id = ?",
                        (actor, pair_id)).fetchone()[0]


def _by_whom(change: dict[str, Any] | None) -> str:
    if change is None:
        return ""
    return f" ({change['action']} by {change['actor']} at {change['created_at'][:19].replace('T', ' ')})"


def check_seen(conn: sqlite3.Connection, pair_id: int, actor: str, *, expect_status: str | None = None,
               expect_revision: int | None = None, protect_others: bool = False) -> dict[str, Any]:
    """The pair, if it is still as the reviewer saw it; else StaleDecision naming who changed it."""
    pair = get_pair(conn, pair_id)
    if pair is None:
        raise CuratorError(f"pair {pair_id} does not exist")
    if pair["status"] == "superseded" and expect_status != "superseded":
        newer = replaced_by(conn, pair_id)
        instead = f"; its replacement is pair {', '.join(map(str, newer))}" if newer else ""
        raise StaleDecision(f"pair {pair_id} was superseded{_by_whom(last_change(conn, pair_id))}{instead}; "
                            "nothing was changed (restore it first to decide it)")
    if expect_revision is not None and pair["revision"] != expect_revision:
        raise StaleDecision(f"pair {pair_id} is revision {pair['revision']}, not revision {expect_revision} as "
                            f"you saw it; nothing was changed")
    if expect_status is not None and pair["status"] != expect_status:
        raise StaleDecision(f"pair {pair_id} is now {pair['status']}{_by_whom(last_change(conn, pair_id))}, not "
                            f"{expect_status} as you saw it; nothing was changed")
    if expect_status is None and protect_others and pair["status"] in ("accepted", "rejected"):
        change = last_change(conn, pair_id)
        if change is not None and change["actor"] != actor:
            raise StaleDecision(f"pair {pair_id} was {pair['status']}{_by_whom(change)}; nothing was changed "
                                f"(pass --expect-status {pair['status']} to decide it anyway)")
    return pair


def decide(conn: sqlite3.Connection, pair_id: int, status: str, actor: str, *, reason: str | None = None,
           expect_status: str | None = None, expect_revision: int | None = None,
           protect_others: bool = False) -> str:
    """Accept, reject or reset one pair (status accepted | rejected | pending); returns its status before.

    `expect_status` / `expect_revision`: what the reviewer saw; StaleDecision when the pair changed since."""
    if status not in _DECISIONS:
        raise ValueError(f"a reviewer sets accepted, rejected or pending, not {status!r}")
    with transaction(conn):
        current = check_seen(conn, pair_id, actor, expect_status=expect_status, expect_revision=expect_revision,
                             protect_others=protect_others)
        set_status(conn, pair_id, status, actor, reason=reason)
        return current["status"]


def save_edit(conn: sqlite3.Connection, pair_id: int, actor: str, *, question: str, answer: str,
              reason: str | None = None, expect_status: str | None = None, expect_revision: int | None = None,
              protect_others: bool = False) -> int:
    """Save an edit as a new revision (the old one stays, superseded); returns the new pair's id."""
    if not question.strip() or not answer.strip():
        raise CuratorError("an edited pair needs a question and an answer; nothing was saved")
    with transaction(conn):
        check_seen(conn, pair_id, actor, expect_status=expect_status, expect_revision=expect_revision,
                   protect_others=protect_others)
        return revise_pair(conn, pair_id, actor, reason=reason, question=question, answer=answer)


def bulk_decide(conn: sqlite3.Connection, ids: Sequence[int], status: str, actor: str, *,
                reason: str | None = None, filter_text: str = "", expect_status: str | None = None) -> int:
    """Set `status` on every current pair of `ids` that has another status; returns how many changed.

    `expect_status` (the filter's status as the reviewer saw it): pairs someone moved to another
    status since are left as they are."""
    action = _DECISIONS.get(status)
    if action not in ("accept", "reject"):
        raise ValueError(f"bulk decisions accept or reject, not {status!r}")
    with transaction(conn):
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS review_bulk_ids (id INTEGER PRIMARY KEY)")
        conn.execute("DELETE FROM temp.review_bulk_ids")
        for start in range(0, len(ids), _BULK_CHUNK):
            conn.executemany("INSERT OR IGNORE INTO temp.review_bulk_ids (id) VALUES (?)",
                             ((int(i),) for i in ids[start:start + _BULK_CHUNK]))
        seen = f" AND status = '{expect_status}'" if expect_status in ("pending", "accepted", "rejected") else ""
        target = ("FROM qa_pairs WHERE id IN (SELECT id FROM temp.review_bulk_ids)"
                  " AND status IN ('pending', 'accepted', 'rejected') AND status != ?" + seen)
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


def undo_stack(conn: sqlite3.Connection, actor: str, *, limit: int = 20) -> list[dict[str, Any]]:
    """`actor`'s actions that can still be undone, newest first: {id, action, pairs, count, at}.

    `id` is what `undo(review_id=...)` takes: the newest audit row of the action (a bulk
    decision or a regeneration counts as one action)."""
    entries: list[dict[str, Any]] = []
    below = None
    while len(entries) < limit:
        row = _top(conn, actor, below)
        if row is None:
            break
        group = _group_of(conn, row)
        kind, first = ("bulk " + group["action"], group["first_review_id"]) if group and "pair_count" in group.keys() \
            else ("regenerate", group["first_review_id"]) if group else (row["action"], row["id"])
        pairs = [r[0] for r in conn.execute("SELECT DISTINCT pair_id FROM reviews WHERE id BETWEEN ? AND ?"
                                            " AND actor = ? ORDER BY pair_id LIMIT 11", (first, row["id"], actor))]
        count = group["pair_count"] if group is not None and "pair_count" in group.keys() else len(pairs)
        entries.append({"id": row["id"], "action": kind, "pairs": pairs[:10], "count": count,
                        "at": row["created_at"], "description": _describe(kind, pairs, count)})
        below = first
    return entries


def _describe(kind: str, pairs: list[int], count: int) -> str:
    if kind.startswith("bulk"):
        return f"your {kind} of {count:,} pair(s)"
    if kind == "keeper":
        return f"your choice of pair {pairs[0]} as a cluster's keeper"
    if kind == "regenerate":
        return f"your regeneration (pairs {', '.join(map(str, pairs))})"
    return f"your {kind} of pair {pairs[0]}" if pairs else f"your {kind}"


def _top(conn: sqlite3.Connection, actor: str, below: int | None = None) -> sqlite3.Row | None:
    marks = ",".join("?" * len(UNDOABLE))
    return conn.execute(
        f"SELECT * FROM reviews WHERE actor = ? AND action IN ({marks}) AND id < ?"
        " AND id NOT IN (SELECT review_id FROM review_undos) ORDER BY id DESC LIMIT 1",
        (actor, *UNDOABLE, below if below is not None else 1 << 62)).fetchone()


def _group_of(conn: sqlite3.Connection, row: sqlite3.Row) -> sqlite3.Row | None:
    """The bulk decision or kept regeneration an audit row belongs to, if any."""
    for table in ("review_batches", "regenerations"):
        found = conn.execute(f"SELECT * FROM {table} WHERE last_review_id >= ? AND first_review_id <= ?"
                             " ORDER BY last_review_id LIMIT 1", (row["id"], row["id"])).fetchone()
        if found is not None:
            return found
    return None


def next_undo(conn: sqlite3.Connection, actor: str, review_id: int | None = None) -> sqlite3.Row:
    """The audit row `undo` would revert: the latest of `actor`'s, or `review_id` (checked to be theirs)."""
    if review_id is None:
        row = _top(conn, actor)
        if row is None:
            raise NothingToUndo(f"nothing to undo: {actor} has no decision left that is not undone")
        return row
    row = conn.execute("SELECT * FROM reviews WHERE id = ?", (review_id,)).fetchone()
    if row is None or row["actor"] != actor or row["action"] not in UNDOABLE:
        raise NothingToUndo(f"action {review_id} is not one of {actor}'s decisions; `curator pair undo --list` "
                            "lists them")
    if conn.execute("SELECT 1 FROM review_undos WHERE review_id = ?", (review_id,)).fetchone():
        raise NothingToUndo(f"action {review_id} was already undone")
    return row


def undo_last(conn: sqlite3.Connection, actor: str, *, review_id: int | None = None,
              keeper: Callable[[sqlite3.Row], int] | None = None) -> UndoResult:
    """Revert `actor`'s latest action that is not undone yet (a bulk decision or a regeneration as a whole),
    or the action `review_id`.

    A keeper choice needs `keeper(review_row) -> id of the audit row that put the old keeper back`
    (the filters re-score the cluster: curator.review.actions passes it)."""
    row = next_undo(conn, actor, review_id)
    if row["action"] == "keeper" and _group_of(conn, row) is None:
        return _undo_keeper(conn, actor, row, keeper)
    with transaction(conn):
        row = next_undo(conn, actor, row["id"])  # again, inside the write lock
        group = _group_of(conn, row)
        if group is not None and "pair_count" in group.keys():
            result = _undo_batch(conn, actor, group)
        elif group is not None:
            from curator.store.regenerations import undo_regeneration
            result = undo_regeneration(conn, actor, group)
        elif row["action"] in ("edit", "restore") and "superseded_by" in (from_json(row["after"]) or {}):
            result = _undo_edit(conn, actor, row)
        else:
            result = _undo_status(conn, actor, row)
        result.review_id = row["id"]
        result.description = _undo_words(result)
        return result


def _undo_words(result: UndoResult) -> str:
    pairs = ", ".join(map(str, result.pair_ids[:10])) + (" …" if len(result.pair_ids) > 10 else "")
    words = f"undid your {result.action}" + (f" of pair {pairs}" if len(result.pair_ids) == 1 else
                                              f" of {len(result.pair_ids):,} pairs ({pairs})" if result.pair_ids
                                              else "")
    if result.skipped:
        words += f"; {result.skipped} pair(s) changed by someone since were left as they are"
    return words


def _undo_keeper(conn: sqlite3.Connection, actor: str, row: sqlite3.Row,
                 keeper: Callable[[sqlite3.Row], int] | None) -> UndoResult:
    if keeper is None:
        raise CuratorError("the last action is a keeper choice: undo it with `curator pair undo` or the app")
    before = from_json(row["before"]) or {}
    undo_id = keeper(row)
    with transaction(conn):
        # the audit row that put the old keeper back is itself an undo: it points at itself, so it is
        # not on the stack
        conn.execute("INSERT INTO review_undos (review_id, undo_review_id) VALUES (?, ?)", (row["id"], undo_id))
        conn.execute("INSERT OR IGNORE INTO review_undos (review_id, undo_review_id) VALUES (?, ?)",
                     (undo_id, undo_id))
    result = UndoResult(action="keeper", pair_ids=[p for p in (before.get("keeper"), row["pair_id"]) if p],
                        review_id=row["id"])
    result.description = (f"undid your choice of pair {row['pair_id']} as keeper of cluster "
                          f"{before.get('cluster_id')}: pair {before.get('keeper')} is its keeper again")
    return result


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
    result = UndoResult(action=review["action"])
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


@dataclass
class RestoreResult:
    pair_id: int                      # the superseded pair asked for
    current_id: int                   # the pair that now holds its text (itself, or a new revision)
    status: str                       # the status it came back with
    replaced_by: list[int]            # what had replaced it (left as they are)
    description: str = ""


def restore(conn: sqlite3.Connection, pair_id: int, actor: str, *, reason: str | None = None) -> RestoreResult:
    """Bring a superseded pair back, with the status it had when it was superseded.

    Superseded by an edit (its lineage has a current revision): a new revision of the lineage
    with this pair's text, the current one superseded, as an edit would. Superseded by a
    regeneration (or nothing current in its lineage): the pair itself becomes current again;
    the pairs that replaced it stay as they are (reject them if they should go). One undo
    reverts it."""
    with transaction(conn):
        pair = get_pair(conn, pair_id)
        if pair is None:
            raise CuratorError(f"pair {pair_id} does not exist")
        if pair["status"] != "superseded":
            raise CuratorError(f"pair {pair_id} is {pair['status']}, not superseded: there is nothing to restore")
        newer = replaced_by(conn, pair_id)
        was = conn.execute("SELECT before FROM reviews WHERE pair_id = ? AND action NOT IN ('create', 'undo')"
                           " AND json_extract(before, '$.status') != 'superseded' ORDER BY id DESC LIMIT 1",
                           (pair_id,)).fetchone()
        status = (from_json(was[0]) or {}).get("status", "pending") if was is not None else "pending"
        # replaced by a later revision (an edit): the lineage's current revision takes this text back
        edited = conn.execute("SELECT 1 FROM qa_pairs WHERE parent_id = ?", (pair_id,)).fetchone() is not None
        current = conn.execute("SELECT id FROM qa_pairs WHERE lineage_id = ? AND status != 'superseded'"
                               " ORDER BY revision DESC, id DESC LIMIT 1", (pair["lineage_id"],)).fetchone() \
            if edited else None
        why = reason or f"restore of pair {pair_id}"
        if current is not None:
            new_id = revise_pair(conn, current[0], actor, action="restore", reason=why, question=pair["question"],
                                 answer=pair["answer"], evidence=pair["evidence"], status=status)
            words = (f"restored pair {pair_id} as pair {new_id} (a new revision of its lineage; pair {current[0]}"
                     " is superseded, and can be restored in turn)")
        else:
            set_status(conn, pair_id, status, actor, reason=why, action="restore")
            new_id = pair_id
            words = f"restored pair {pair_id} ({status})" + (
                f"; pair(s) {', '.join(map(str, newer))} that replaced it stay as they are" if newer else "")
        return RestoreResult(pair_id, new_id, status, newer, words)


def _log_undo(conn: sqlite3.Connection, pair_id: int, actor: str, review_id: int, why: str) -> int:
    """An undo that changed nothing is still logged, so the log says why the pair stayed."""
    return conn.execute("INSERT INTO reviews (pair_id, action, actor, before, after, reason) VALUES (?, 'undo', ?,"
                        " NULL, NULL, ?)", (pair_id, actor, f"undo of review {review_id}: {why}")).lastrowid
