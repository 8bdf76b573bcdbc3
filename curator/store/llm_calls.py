"""The LLM call log, which is also the cache: a call is found again by the hash of its request."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

from curator.store.rows import as_dict, insert


def request_hash(request: dict[str, Any]) -> str:
    """sha256 of the request as canonical JSON (sorted keys, no spaces), the cache key."""
    canonical = json.dumps(request, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def cached_call(conn: sqlite3.Connection, req_hash: str) -> dict[str, Any] | None:
    """The latest successful call with this request hash, if any."""
    return as_dict(conn.execute(
        "SELECT * FROM llm_calls WHERE request_hash = ? AND status = 'ok' ORDER BY id DESC LIMIT 1", (req_hash,)
    ).fetchone())


def log_call(conn: sqlite3.Connection, **fields: Any) -> int:
    return insert(conn, "llm_calls", fields)


def stored_answer(conn: sqlite3.Connection, req_hash: str) -> dict[str, Any] | None:
    """The latest answer kept for this request hash (valid or not), what the engine replays instead of asking."""
    row = conn.execute(
        "SELECT id, response, request_id FROM llm_calls WHERE request_hash = ? AND status IN ('ok', 'invalid')"
        " AND response IS NOT NULL ORDER BY id DESC LIMIT 1", (req_hash,)).fetchone()
    return dict(row) if row is not None else None


def latency_percentiles(conn: sqlite3.Connection, qs: tuple[float, ...]) -> dict[str, float | None]:
    """Latency (ms) at each quantile of the calls that have one, e.g. {"p50": 812.0}; None without calls."""
    n = conn.execute("SELECT COUNT(*) FROM llm_calls WHERE latency_ms IS NOT NULL").fetchone()[0]
    out: dict[str, float | None] = {}
    for q in qs:
        row = conn.execute("SELECT latency_ms FROM llm_calls WHERE latency_ms IS NOT NULL ORDER BY latency_ms"
                           " LIMIT 1 OFFSET ?", (min(n - 1, int(n * q)),)).fetchone() if n else None
        out[f"p{int(q * 100)}"] = round(row[0], 1) if row else None
    return out


def call_totals(conn: sqlite3.Connection) -> dict[str, Any]:
    """Calls and tokens over the whole log, calls by purpose, and the calls not ok by error kind."""
    calls, tokens_in, tokens_out, cached = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(tokens_in), 0), COALESCE(SUM(tokens_out), 0),"
        " COALESCE(SUM(cached_tokens), 0) FROM llm_calls").fetchone()
    by_purpose = {r[0]: r[1] for r in conn.execute("SELECT purpose, COUNT(*) FROM llm_calls GROUP BY purpose")}
    errors = {r[0]: r[1] for r in conn.execute(
        "SELECT COALESCE(error_kind, status), COUNT(*) FROM llm_calls WHERE status != 'ok'"
        " GROUP BY COALESCE(error_kind, status) ORDER BY 2 DESC")}
    return {"calls": calls, "tokens_in": tokens_in, "tokens_out": tokens_out, "cached_tokens": cached,
            "by_purpose": by_purpose, "errors_by_kind": errors}
