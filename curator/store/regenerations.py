"""Regeneration previews: the model's new pairs for a pair or a chunk, kept apart until the reviewer chooses.

Nothing in `qa_pairs` changes when the model answers: the candidates wait in a
`regenerations` row (status preview). `keep_regeneration` then writes the chosen
candidates as new pairs and supersedes the chosen old pairs in one transaction,
with the reviewer as the actor, and only if those old pairs are still as the
reviewer saw them (else StaleDecision, nothing written). The transaction's audit
rows are recorded on the row, so one undo reverts the whole choice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from curator.errors import CuratorError
from curator.store.connection import transaction
from curator.store.pairs import add_pair, get_pair, new_lineage_id, set_status
from curator.store.review_actions import StaleDecision, UndoResult, _log_undo, check_seen
from curator.store.rows import as_dict, from_json, insert, now, to_json


def next_attempt(conn: sqlite3.Connection, chunk_id: int) -> int:
    """How many times this chunk was regenerated before, plus one (it makes each request new)."""
    return conn.execute("SELECT COUNT(*) + 1 FROM regenerations WHERE chunk_id = ?", (chunk_id,)).fetchone()[0]


def record_preview(conn: sqlite3.Connection, *, actor: str, target: str, chunk_id: int, pair_id: int | None,
                   attempt: int, old: list[dict[str, Any]], candidates: list[dict[str, Any]],
                   llm_call_id: int | None, status: str = "preview", error: str | None = None) -> int:
    with transaction(conn):
        return insert(conn, "regenerations", {
            "actor": actor, "target": target, "chunk_id": chunk_id, "pair_id": pair_id, "attempt": attempt,
            "old": old, "candidates": candidates, "llm_call_id": llm_call_id, "status": status, "error": error})


def get_regeneration(conn: sqlite3.Connection, regen_id: int) -> dict[str, Any] | None:
    row = as_dict(conn.execute("SELECT * FROM regenerations WHERE id = ?", (regen_id,)).fetchone())
    if row is not None:
        for key in ("old", "candidates", "kept", "superseded"):
            row[key] = from_json(row[key]) or []
    return row


def _open_preview(conn: sqlite3.Connection, regen_id: int) -> dict[str, Any]:
    regen = get_regeneration(conn, regen_id)
    if regen is None:
        raise CuratorError(f"there is no regeneration {regen_id}")
    if regen["status"] != "preview":
        raise StaleDecision(f"regeneration {regen_id} was already {regen['status']}; nothing was changed")
    return regen


def discard_regeneration(conn: sqlite3.Connection, regen_id: int, actor: str) -> None:
    """Keep the old pairs as they are; the candidates stay on record, unused."""
    with transaction(conn):
        _open_preview(conn, regen_id)
        conn.execute("UPDATE regenerations SET status = 'discarded', decided_at = ? WHERE id = ?", (now(), regen_id))


def keep_regeneration(conn: sqlite3.Connection, regen_id: int, actor: str, *,
                      keep: Sequence[int] | None = None, replace: Sequence[int] | None = None) -> dict[str, Any]:
    """Write the chosen candidates as new pairs and supersede the chosen old pairs; returns what changed.

    `keep`: indexes (from 0) of the candidates to keep (None: all of a chunk's; the first for a pair). `replace`: ids of the old
    pairs to supersede (None: those marked `replace` in the preview, i.e. the regenerated pair,
    or a chunk's pending unedited pairs). An old pair that changed since the preview refuses
    the whole choice (StaleDecision)."""
    with transaction(conn):
        regen = _open_preview(conn, regen_id)
        candidates = regen["candidates"]
        if keep is None:
            keep = range(min(1, len(candidates))) if regen["target"] == "pair" else range(len(candidates))
        chosen = list(dict.fromkeys(keep))
        bad = [i for i in chosen if not 0 <= i < len(candidates)]
        if bad:
            raise CuratorError(f"regeneration {regen_id} has {len(candidates)} candidate(s) (0-{len(candidates) - 1});"
                               f" there is no candidate {bad[0]}")
        seen = {o["id"]: o for o in regen["old"]}
        supersede = [o["id"] for o in regen["old"] if o.get("replace")] if replace is None else list(replace)
        unknown = [i for i in supersede if i not in seen]
        if unknown:
            raise CuratorError(f"pair {unknown[0]} is not among the pairs regeneration {regen_id} showed "
                               f"({', '.join(map(str, seen)) or 'none'})")
        for old_id in supersede:
            check_seen(conn, old_id, actor, expect_status=seen[old_id]["status"],
                       expect_revision=seen[old_id]["revision"])
        chunk = conn.execute("SELECT c.id, c.document_id, d.source_id FROM chunks c JOIN documents d"
                             " ON d.id = c.document_id WHERE c.id = ?", (regen["chunk_id"],)).fetchone()
        first = conn.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM reviews").fetchone()[0]
        why = f"regeneration {regen_id}"
        new_ids = []
        for i in chosen:
            fields = {**candidates[i], "meta": {**candidates[i].get("meta", {}), "regenerated_from": supersede,
                                                 "regeneration": regen_id}}
            # a lineage of its own, even when the model repeats an old pair word for word
            fields.setdefault("lineage_id", new_lineage_id("llm", fields["question"], fields["answer"],
                                                           f"{chunk['id']}/regeneration {regen_id}/{i}"))
            new_id = add_pair(conn, actor=actor, origin="llm", chunk_id=chunk["id"],
                              document_id=chunk["document_id"], source_id=chunk["source_id"], **fields)
            # on the reviewer's undo stack with the rest of the choice
            conn.execute("INSERT INTO reviews (pair_id, action, actor, before, after, reason)"
                         " VALUES (?, 'regenerate', ?, NULL, ?, ?)",
                         (new_id, actor, to_json({"status": "pending", "regeneration": regen_id}), why))
            new_ids.append(new_id)
        reason = f"{why}: replaced by pair(s) " + (", ".join(map(str, new_ids)) or "none")
        for old_id in supersede:
            set_status(conn, old_id, "superseded", actor, reason=reason, action="regenerate")
            conn.execute("UPDATE qa_pairs SET meta = json_set(meta, '$.superseded_by', json(?)) WHERE id = ?",
                         (to_json(new_ids), old_id))
        last = conn.execute("SELECT COALESCE(MAX(id), 0) FROM reviews").fetchone()[0]
        conn.execute("UPDATE regenerations SET status = 'kept', kept = ?, superseded = ?, first_review_id = ?,"
                     " last_review_id = ?, decided_at = ? WHERE id = ?",
                     (to_json(new_ids), to_json(supersede), first if last >= first else None,
                      last if last >= first else None, now(), regen_id))
        return {"regeneration": regen_id, "kept": new_ids, "superseded": supersede}


def undo_regeneration(conn: sqlite3.Connection, actor: str, regen: sqlite3.Row) -> UndoResult:
    """Inside the caller's transaction: the kept pairs superseded again, the old ones back to their status.

    A kept pair someone decided or edited since, or an old pair someone restored, is left as it is."""
    lo, hi = regen["first_review_id"], regen["last_review_id"]
    result = UndoResult(action="regenerate")
    why = f"undo of regeneration {regen['id']}"
    back: list[int] = []
    for new_id in from_json(regen["kept"]) or []:
        pair = get_pair(conn, new_id)
        if pair is None or pair["status"] != "pending":
            result.skipped += 1
            continue
        set_status(conn, new_id, "superseded", actor, reason=why, action="undo")
        result.pair_ids.append(new_id)
    for old_id in from_json(regen["superseded"]) or []:
        pair = get_pair(conn, old_id)
        was = conn.execute("SELECT before FROM reviews WHERE pair_id = ? AND action = 'regenerate' AND id BETWEEN"
                           " ? AND ?", (old_id, lo, hi)).fetchone()
        if pair is None or pair["status"] != "superseded" or was is None:
            result.skipped += 1
            continue
        before = from_json(was[0]) or {}
        set_status(conn, old_id, before.get("status", "pending"), actor, reason=why, action="undo")
        conn.execute("UPDATE qa_pairs SET meta = json_remove(meta, '$.superseded_by') WHERE id = ?", (old_id,))
        back.append(old_id)
    gone = list(result.pair_ids)
    if gone and back:  # where the list shows the first new pair, the first old one comes back
        result.replaced[gone[0]] = back[0]
    result.pair_ids = back + gone
    if result.pair_ids:
        undo_id = conn.execute("SELECT COALESCE(MAX(id), 0) FROM reviews").fetchone()[0]
    else:
        undo_id = _log_undo(conn, regen["pair_id"] or from_json(regen["kept"])[0], actor, lo,
                            "every pair changed since; left as they are")
    conn.execute("INSERT INTO review_undos (review_id, undo_review_id) SELECT id, ? FROM reviews"
                 " WHERE id BETWEEN ? AND ? AND actor = ?", (undo_id, lo, hi, actor))
    return result
