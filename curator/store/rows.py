"""Small helpers shared by the query modules."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def from_json(text: str | None) -> Any:
    return json.loads(text) if text else None


def as_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return dict(row) if row is not None else None


def insert(conn: sqlite3.Connection, table: str, values: dict[str, Any]) -> int:
    """INSERT one row from a dict (dict/list values stored as JSON); returns its rowid."""
    cols = list(values)
    params = [to_json(v) if isinstance(v, (dict, list)) else v for v in values.values()]
    sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
    return conn.execute(sql, params).lastrowid
