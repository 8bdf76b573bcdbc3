"""The counts `curator status` shows, per stage, in one read transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from curator.store.runs import last_errors


def _grouped(conn: sqlite3.Connection, sql: str) -> dict[str, int]:
    return {str(k): v for k, v in conn.execute(sql).fetchall()}


def workspace_summary(conn: sqlite3.Connection, *, errors: int = 10) -> dict[str, Any]:
    conn.execute("BEGIN")  # one snapshot, so the counts agree with each other
    try:
        pairs_by = conn.execute(
            "SELECT status, origin, COUNT(*) FROM qa_pairs GROUP BY status, origin ORDER BY status, origin"
        ).fetchall()
        pairs: dict[str, dict[str, int]] = {}
        for status, origin, n in pairs_by:
            pairs.setdefault(status, {})[origin] = n
        last_runs = conn.execute(
            "SELECT r.stage, r.id, r.status, r.started_at, r.finished_at, r.error FROM runs r"
            " JOIN (SELECT stage, MAX(id) AS id FROM runs GROUP BY stage) m ON m.id = r.id ORDER BY r.stage"
        ).fetchall()
        latest_version = conn.execute(
            "SELECT id, message, pair_count, created_at FROM versions ORDER BY created_at DESC, id LIMIT 1"
        ).fetchone()
        return {
            "sources": _grouped(conn, "SELECT kind, COUNT(*) FROM sources GROUP BY kind"),
            "sources_with_errors": conn.execute("SELECT COUNT(*) FROM sources WHERE status = 'error'").fetchone()[0],
            "documents": _grouped(conn, "SELECT kind, COUNT(*) FROM documents GROUP BY kind"),
            "chunks": _grouped(conn, "SELECT extract_status, COUNT(*) FROM chunks GROUP BY extract_status"),
            "pairs": pairs,
            "flags": _grouped(conn, "SELECT kind, COUNT(*) FROM flags WHERE active = 1 GROUP BY kind"),
            "versions": {
                "count": conn.execute("SELECT COUNT(*) FROM versions").fetchone()[0],
                "latest": dict(latest_version) if latest_version else None,
            },
            "runs": {
                "by_status": _grouped(conn, "SELECT status, COUNT(*) FROM runs GROUP BY status"),
                "last_per_stage": [dict(r) for r in last_runs],
            },
            "llm_calls": dict(conn.execute(
                "SELECT COUNT(*) AS calls, COALESCE(SUM(tokens_in), 0) AS tokens_in,"
                " COALESCE(SUM(tokens_out), 0) AS tokens_out,"
                " COALESCE(SUM(status != 'ok'), 0) AS failed FROM llm_calls"
            ).fetchone()),
            "last_errors": last_errors(conn, errors),
        }
    finally:
        conn.execute("COMMIT")
