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
