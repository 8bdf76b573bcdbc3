"""The crawl frontier: every URL a crawl found, its state, and what it became.

A row is written in the same transaction as the page's document and the links
found on it, so a crawl killed at any moment resumes from exactly the URLs that
are still 'queued': nothing stored is fetched again, nothing found is lost.
Statuses: queued | fetched | unchanged (a 304 on --refresh) | skipped (robots,
noindex, content type) | error.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from curator.store.rows import as_dict, now, to_json

DONE_STATES = ("fetched", "unchanged", "error")
# Links found but left for later by the crawl's limits: a run with higher limits queues them again.
BEYOND_DEPTH = "beyond max_depth"
BEYOND_PAGES = "beyond max_pages"


def find_crawl_source(conn: sqlite3.Connection, seed: str) -> dict[str, Any] | None:
    return as_dict(conn.execute("SELECT * FROM sources WHERE kind = 'crawl' AND uri = ? ORDER BY id LIMIT 1",
                                (seed,)).fetchone())


def update_source_meta(conn: sqlite3.Connection, source_id: int, changes: dict[str, Any]) -> None:
    """Merge `changes` into a source's meta (the crawl keeps its scope and sitemap state there)."""
    conn.execute("UPDATE sources SET meta = json_patch(meta, ?) WHERE id = ?", (to_json(changes), source_id))


def frontier_row(conn: sqlite3.Connection, url: str) -> dict[str, Any] | None:
    return as_dict(conn.execute("SELECT * FROM crawl_frontier WHERE url = ?", (url,)).fetchone())


def enqueue(conn: sqlite3.Connection, source_id: int, items: Iterable[tuple[str, str, int]],
            room: int | None = None, status: str = "queued", reason: str | None = None) -> list[tuple[str, str, int]]:
    """Add (url, fetch_url, depth) rows not yet known; at most `room` of them. Returns those added."""
    added = []
    for url, fetch_url, depth in items:
        if room is not None and len(added) >= room:
            break
        cur = conn.execute(
            "INSERT OR IGNORE INTO crawl_frontier (url, fetch_url, source_id, depth, status, reason)"
            " VALUES (?, ?, ?, ?, ?, ?)", (url, fetch_url, source_id, depth, status, reason))
        if cur.rowcount:
            added.append((url, fetch_url, depth))
    return added


def mark(conn: sqlite3.Connection, url: str, status: str, *, run_id: int | None, reason: str | None = None,
         document_id: int | None = None, http_status: int | None = None, etag: str | None = None,
         last_modified: str | None = None) -> None:
    """Record what became of a URL. Validators and the document are kept when the new values are None."""
    conn.execute(
        "UPDATE crawl_frontier SET status = ?, reason = ?, run_id = ?, fetched_at = ?,"
        " http_status = COALESCE(?, http_status), document_id = COALESCE(?, document_id),"
        " etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified) WHERE url = ?",
        (status, reason, run_id, now(), http_status, document_id, etag, last_modified, url))


def mark_alias(conn: sqlite3.Connection, url: str, source_id: int, depth: int, document_id: int,
               run_id: int | None) -> None:
    """A redirect target whose content is already stored under another URL: never fetch it on its own."""
    conn.execute(
        "INSERT INTO crawl_frontier (url, fetch_url, source_id, depth, status, reason, document_id, run_id,"
        " fetched_at) VALUES (?, ?, ?, ?, 'fetched', 'redirect target', ?, ?, ?)"
        " ON CONFLICT(url) DO UPDATE SET status = 'fetched', reason = 'redirect target',"
        " document_id = excluded.document_id, run_id = excluded.run_id, fetched_at = excluded.fetched_at"
        " WHERE crawl_frontier.status = 'queued'",
        (url, url, source_id, depth, document_id, run_id, now()))


def queued(conn: sqlite3.Connection, source_id: int) -> list[dict[str, Any]]:
    """The URLs still to fetch, shallowest first, in the order they were found."""
    rows = conn.execute("SELECT url, fetch_url, depth, etag, last_modified, document_id FROM crawl_frontier"
                        " WHERE source_id = ? AND status = 'queued' ORDER BY depth, rowid", (source_id,))
    return [dict(r) for r in rows]


def release_limited(conn: sqlite3.Connection, source_id: int, max_depth: int, room: int) -> int:
    """Queue links that earlier, lower limits left aside, shallowest first, as far as the limits now allow."""
    cur = conn.execute(
        "UPDATE crawl_frontier SET status = 'queued', reason = NULL WHERE rowid IN (SELECT rowid FROM crawl_frontier"
        " WHERE source_id = ? AND status = 'skipped' AND reason IN (?, ?) AND depth <= ? ORDER BY depth, rowid"
        " LIMIT ?)", (source_id, BEYOND_DEPTH, BEYOND_PAGES, max_depth, max(room, 0)))
    return cur.rowcount


def frontier_urls(conn: sqlite3.Connection, source_id: int) -> set[str]:
    return {r[0] for r in conn.execute("SELECT url FROM crawl_frontier WHERE source_id = ?", (source_id,))}


def requeue_for_refresh(conn: sqlite3.Connection, source_id: int) -> int:
    """--refresh: every page handled before is asked for again (conditionally where validators are known)."""
    cur = conn.execute("UPDATE crawl_frontier SET status = 'queued', reason = 'refresh' WHERE source_id = ?"
                       " AND status IN ('fetched', 'unchanged', 'error') AND COALESCE(reason, '') != 'redirect target'",
                       (source_id,))
    return cur.rowcount


def pages_counted(conn: sqlite3.Connection, source_id: int) -> int:
    """Rows that count against max_pages: everything but what robots.txt or the content type ruled out."""
    return conn.execute("SELECT COUNT(*) FROM crawl_frontier WHERE source_id = ? AND status != 'skipped'",
                        (source_id,)).fetchone()[0]


def frontier_counts(conn: sqlite3.Connection, source_id: int) -> dict[str, int]:
    rows = conn.execute("SELECT status, COUNT(*) FROM crawl_frontier WHERE source_id = ? GROUP BY status",
                        (source_id,)).fetchall()
    return {status: n for status, n in rows}


def run_problems(conn: sqlite3.Connection, run_id: int, limit: int = 50) -> list[dict[str, Any]]:
    """URLs a run could not fetch or skipped, with the reason, for the command's report."""
    rows = conn.execute("SELECT url, status, reason, http_status FROM crawl_frontier WHERE run_id = ?"
                        " AND status IN ('error', 'skipped') ORDER BY rowid LIMIT ?", (run_id, limit))
    return [dict(r) for r in rows]


def retire_replaced_document(conn: sqlite3.Connection, old_document: int, url: str, new_document: int) -> int:
    """A page whose text changed: the old copy's chunks still waiting for extraction are retired, with why.

    Only when no other URL of the frontier still shows the old text (then it is still current
    there). Chunks already extracted keep their pairs; 'pending' and 'failed' become 'skipped',
    so extraction never sends both the old and the new text of one page. Returns how many.
    """
    elsewhere = conn.execute("SELECT 1 FROM crawl_frontier WHERE document_id = ? AND url != ? LIMIT 1",
                             (old_document, url)).fetchone()
    if elsewhere:
        return 0
    reason = f"retired: {url} changed; its new text is document {new_document}"
    return conn.execute("UPDATE chunks SET extract_status = 'skipped', extract_error = ? WHERE document_id = ?"
                        " AND extract_status IN ('pending', 'failed')", (reason, old_document)).rowcount
