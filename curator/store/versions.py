"""Dataset versions as recorded in the store; their files live under the workspace's versions/ folder."""

from __future__ import annotations

import sqlite3
from typing import Any

from curator.store.rows import as_dict, from_json, insert


def record_version(conn: sqlite3.Connection, version_id: str, *, parent_id: str | None, message: str, path: str,
                   pair_count: int, manifest: dict[str, Any]) -> None:
    insert(conn, "versions", {"id": version_id, "parent_id": parent_id, "message": message, "path": path,
                              "pair_count": pair_count, "manifest": manifest})


def get_version(conn: sqlite3.Connection, version_id: str) -> dict[str, Any] | None:
    row = as_dict(conn.execute("SELECT * FROM versions WHERE id = ?", (version_id,)).fetchone())
    if row:
        row["manifest"] = from_json(row["manifest"])
    return row


def list_versions(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT id, parent_id, message, pair_count, created_at, path FROM versions"
                        " ORDER BY created_at, id").fetchall()
    return [dict(r) for r in rows]


def newest_version_id(conn: sqlite3.Connection) -> str | None:
    """The id of the version created last (ties by id), or None without versions."""
    row = conn.execute("SELECT id FROM versions ORDER BY created_at DESC, id LIMIT 1").fetchone()
    return row[0] if row is not None else None


def version_ids_starting(conn: sqlite3.Connection, prefix: str) -> list[str]:
    """Recorded version ids that start with `prefix`, in id order."""
    return [r[0] for r in conn.execute("SELECT id FROM versions WHERE id LIKE ? ORDER BY id", (prefix + "%",))]

