"""Undo across every kind of review action, keeper choices included (they re-score a cluster).

`undo(conn, actor, settings)` is what the app's `u` and `curator pair undo` call: the
store's undo for decisions, edits, restores and regenerations, and `set_keeper` back to
the old keeper for a keeper choice.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from curator.errors import CuratorError
from curator.store.connection import transaction
from curator.store.review_actions import UndoResult, _log_undo, last_keeper_review, undo_last
from curator.store.rows import from_json


def undo(conn: sqlite3.Connection, actor: str, filter_config: dict[str, Any] | None = None, *,
         review_id: int | None = None) -> UndoResult:
    """Undo `actor`'s latest action (or the action `review_id`); the result says what was undone."""

    def keeper(row: sqlite3.Row) -> int:
        from curator.filters.keeper import set_keeper
        from curator.filters.settings import FilterSettings

        before = from_json(row["before"]) or {}
        old = before.get("keeper")
        if old is None:
            raise CuratorError(f"cluster {before.get('cluster_id')} had no keeper before; choose one instead")
        settings = FilterSettings.from_config(filter_config or {})
        done = set_keeper(conn, old, actor, settings, cluster_id=before.get("cluster_id"),
                          reason=f"undo of review {row['id']}")
        if not done["changed"]:  # someone made it the keeper again meanwhile: log the undo, change nothing
            with transaction(conn):
                return _log_undo(conn, row["pair_id"], actor, row["id"], f"pair {old} is the keeper already")
        return last_keeper_review(conn, actor, old)
    return undo_last(conn, actor, review_id=review_id, keeper=keeper)
