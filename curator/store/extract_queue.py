"""Queries of the extraction stage: which chunks to send, claiming them, and storing one chunk's outcome atomically.

A run claims a chunk (`claim_chunks`, committed at once) before sending it: a lease
that lapses at its expiry or when the run stops running, so two runs over one
workspace never send the same chunk and a killed run's chunks go to the next run.
A chunk's pairs, its new status and its error row are written together, releasing
the claim, and only if the chunk is still in the state the run found it in, so a
chunk is never stored twice either.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from curator.store.connection import transaction
from curator.store.pairs import add_pair, set_status
from curator.store.rows import insert, redact_data, redact_text, to_json

ACTOR = "machine:extract"
# `transaction`, or GroupCommit.unit when a run groups its writes
Unit = Callable[[sqlite3.Connection], AbstractContextManager]

_CHUNK_VIEW = (
    "SELECT c.id, c.document_id, c.seq, c.text, c.extract_status, d.source_id, d.title, d.language, d.uri"
    " FROM chunks c JOIN documents d ON d.id = c.document_id"
)


def chunks_by_status(conn: sqlite3.Connection, status: str, *, limit: int | None = None,
                     chunk_ids: Sequence[int] | None = None) -> list[dict[str, Any]]:
    """Chunks in `status` (optionally only these ids), in document order."""
    sql, params = _CHUNK_VIEW + " WHERE c.extract_status = ?", [status]
    if chunk_ids:
        sql += f" AND c.id IN ({','.join('?' * len(chunk_ids))})"
        params += list(chunk_ids)
    sql += " ORDER BY c.document_id, c.seq"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    return [dict(r) for r in conn.execute(sql, params)]


def chunks_by_id(conn: sqlite3.Connection, chunk_ids: Iterable[int]) -> list[dict[str, Any]]:
    ids = list(dict.fromkeys(chunk_ids))
    if not ids:
        return []
    rows = conn.execute(_CHUNK_VIEW + f" WHERE c.id IN ({','.join('?' * len(ids))})", ids).fetchall()
    found = {r["id"]: dict(r) for r in rows}
    return [found[i] for i in ids if i in found]


def open_pairs(conn: sqlite3.Connection, chunk_id: int, statuses: Sequence[str] = ("pending",)) -> list[int]:
    """The chunk's current (not superseded) pairs in these states."""
    rows = conn.execute(
        f"SELECT id FROM qa_pairs WHERE chunk_id = ? AND status IN ({','.join('?' * len(statuses))}) ORDER BY id",
        (chunk_id, *statuses)).fetchall()
    return [r[0] for r in rows]


def claim_chunks(conn: sqlite3.Connection, wanted: Sequence[tuple[int, str]], run_id: int,
                 lease_s: float) -> set[int]:
    """Claim these (chunk id, expected status) for `run_id` until now + `lease_s`; returns the ids won.

    A chunk is won when it is still in the expected status and nobody holds a live claim on
    it: a claim is live while it has not expired and its run is still running. Committed
    before returning, so every other run sees it before this one sends anything.
    """
    won: set[int] = set()
    with transaction(conn):
        now = time.time()
        for chunk_id, status in wanted:
            row = conn.execute(
                "SELECT c.extract_status, k.run_id, k.expires_at, r.status AS run_status FROM chunks c"
                " LEFT JOIN chunk_claims k ON k.chunk_id = c.id LEFT JOIN runs r ON r.id = k.run_id"
                " WHERE c.id = ?", (chunk_id,)).fetchone()
            if row is None or row["extract_status"] != status:
                continue
            live = row["run_id"] is not None and row["run_id"] != run_id and row["expires_at"] > now \
                and row["run_status"] == "running"
            if live:
                continue
            conn.execute("INSERT OR REPLACE INTO chunk_claims (chunk_id, run_id, expires_at) VALUES (?, ?, ?)",
                         (chunk_id, run_id, now + lease_s))
            won.add(chunk_id)
    return won


def renew_claims(conn: sqlite3.Connection, run_id: int, lease_s: float) -> int:
    """Push the expiry of every claim `run_id` holds to now + `lease_s` (the run is still at work)."""
    with transaction(conn):
        return conn.execute("UPDATE chunk_claims SET expires_at = ? WHERE run_id = ?",
                            (time.time() + lease_s, run_id)).rowcount


def release_claims(conn: sqlite3.Connection, run_id: int) -> None:
    """Give back whatever `run_id` still holds (chunks it claimed but did not finish)."""
    with transaction(conn):
        conn.execute("DELETE FROM chunk_claims WHERE run_id = ?", (run_id,))


def _release(conn: sqlite3.Connection, chunk_id: int, run_id: int | None) -> None:
    if run_id is not None:
        conn.execute("DELETE FROM chunk_claims WHERE chunk_id = ? AND run_id = ?", (chunk_id, run_id))


def store_pairs(conn: sqlite3.Connection, chunk: dict[str, Any], pairs: list[dict[str, Any]], *,
                expect_status: str, supersede: Sequence[int] = (), unit: Unit = transaction,
                run_id: int | None = None) -> list[int] | None:
    """Add the chunk's pairs, supersede `supersede` (regeneration) and mark the chunk done, atomically.

    Returns the new pair ids, or None when the chunk had left `expect_status` meanwhile
    (another run stored it first) and nothing was written.
    """
    with unit(conn):
        if _status(conn, chunk["id"]) != expect_status:
            return None
        new_ids = [add_pair(conn, actor=ACTOR, origin="llm", chunk_id=chunk["id"], document_id=chunk["document_id"],
                            source_id=chunk["source_id"], **pair) for pair in pairs]
        if supersede:
            _supersede(conn, supersede, new_ids)
        conn.execute("UPDATE chunks SET extract_status = 'done', extract_error = NULL WHERE id = ?", (chunk["id"],))
        _release(conn, chunk["id"], run_id)
        return new_ids


def store_failure(conn: sqlite3.Connection, chunk: dict[str, Any], message: str, *, expect_status: str,
                  new_status: str, run_id: int | None, unit: Unit = transaction) -> bool:
    """Keep why a chunk could not be extracted: its status, its error, and a row `curator status` lists."""
    with unit(conn):
        if _status(conn, chunk["id"]) != expect_status:
            return False
        conn.execute("UPDATE chunks SET extract_status = ?, extract_error = ? WHERE id = ?",
                     (new_status, redact_text(message), chunk["id"]))
        _release(conn, chunk["id"], run_id)
        insert(conn, "errors", {"run_id": run_id, "stage": "extract", "location": chunk_location(chunk),
                                "message": message})
        return True


def chunk_location(chunk: dict[str, Any]) -> str:
    return f"chunk {chunk['id']} ({chunk['uri']} #{chunk['seq']})"


def _status(conn: sqlite3.Connection, chunk_id: int) -> str | None:
    row = conn.execute("SELECT extract_status FROM chunks WHERE id = ?", (chunk_id,)).fetchone()
    return row[0] if row else None


def _supersede(conn: sqlite3.Connection, old_ids: Sequence[int], new_ids: list[int]) -> None:
    """Old pairs stay, superseded, pointing at their successors (and the successors back at them)."""
    reason = "regenerated: replaced by pair(s) " + (", ".join(map(str, new_ids)) or "none (the new answer had no pairs)")
    for old in old_ids:
        set_status(conn, old, "superseded", ACTOR, reason=reason, action="regenerate")
        conn.execute("UPDATE qa_pairs SET meta = json_set(meta, '$.superseded_by', json(?)) WHERE id = ?",
                     (to_json(new_ids), old))
    for new in new_ids:
        conn.execute("UPDATE qa_pairs SET meta = json_set(meta, '$.regenerated_from', json(?)) WHERE id = ?",
                     (to_json(list(old_ids)), new))


def failed_chunks(conn: sqlite3.Connection, limit: int | None = None) -> list[dict[str, Any]]:
    """Failed chunks with their error and the raw output of their last call, for status and review."""
    sql = (
        "SELECT c.id, c.document_id, c.seq, d.uri, c.extract_error AS error,"
        " (SELECT response FROM llm_calls WHERE chunk_id = c.id ORDER BY id DESC LIMIT 1) AS raw_output,"
        " (SELECT id FROM llm_calls WHERE chunk_id = c.id ORDER BY id DESC LIMIT 1) AS last_call_id"
        " FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.extract_status = 'failed' ORDER BY c.id"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [redact_data(dict(r)) for r in conn.execute(sql)]  # shown on screen: rows older than redaction too
