"""Small helpers shared by the query modules."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any

from curator.secrets import redact, redact_data

# Columns that hold request, response, error or config text: whatever is inserted there goes through
# curator.secrets.redact (keys, URL credentials, auth headers). The UPDATEs of such columns do it too.
REDACTED_COLUMNS = {
    "llm_calls": frozenset({"request", "response", "error", "request_id"}),
    "errors": frozenset({"location", "message"}),
    "runs": frozenset({"config", "counts", "error", "log"}),
}


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def from_json(text: str | None) -> Any:
    return json.loads(text) if text else None


def redact_text(text: str | None) -> str | None:
    """For the UPDATEs of the columns in REDACTED_COLUMNS (and chunks.extract_error)."""
    return redact(text)


def as_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


def insert(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> int:
    """INSERT one row from a dict (dict/list values stored as JSON); returns its rowid."""
    secret_columns = REDACTED_COLUMNS.get(table)
    if secret_columns:
        values = {k: (redact_data(v) if k in secret_columns else v) for k, v in values.items()}
    cols = list(values)
    params = [to_json(v) if isinstance(v, (dict, list)) else v for v in values.values()]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    return conn.execute(sql, params).lastrowid
