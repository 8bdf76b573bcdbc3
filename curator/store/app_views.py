"""What the app's sources and pipeline screens read: sources with their document counts, a source's
documents, and the per-file or per-URL problems of ingestion and crawling. Bounded by `limit`."""

from __future__ import annotations

import sqlite3
from typing import Any


def sources_overview(conn: sqlite3.Connection, *, limit: int = 2000) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT s.id, s.kind, s.uri, s.doc_kind, s.status, s.error, s.created_at,"
        " (SELECT COUNT(*) FROM documents d WHERE d.source_id = s.id) AS documents,"
        " (SELECT COUNT(*) FROM qa_pairs p WHERE p.source_id = s.id AND p.status != 'superseded') AS pairs"
        " FROM sources s ORDER BY s.id LIMIT ?", (limit,)).fetchall()
    return [dict(r) for r in rows]


def source_documents(conn: sqlite3.Connection, source_id: int, *, limit: int = 500) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT d.id, d.kind, d.uri, d.title, d.language, length(d.content) AS chars,"
        " (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunks"
        " FROM documents d WHERE d.source_id = ? ORDER BY d.id LIMIT ?", (source_id, limit)).fetchall()
    return [dict(r) for r in rows]


def source_problems(conn: sqlite3.Connection, source_id: int | None, *, limit: int = 300) -> list[dict[str, Any]]:
    """Ingest and crawl errors, newest first; for a crawl source also the URLs its frontier gave up on."""
    problems = [dict(r) for r in conn.execute(
        "SELECT created_at AS at, stage, location, message FROM errors WHERE stage IN ('ingest', 'crawl')"
        " ORDER BY id DESC LIMIT ?", (limit,))]
    if source_id is not None:
        problems = [dict(r) for r in conn.execute(
            "SELECT COALESCE(fetched_at, '') AS at, 'crawl' AS stage, url AS location,"
            " status || COALESCE(': ' || reason, '') AS message FROM crawl_frontier"
            " WHERE source_id = ? AND status IN ('error', 'skipped') ORDER BY fetched_at DESC LIMIT ?",
            (source_id, limit))] + problems
    return problems[:limit]
