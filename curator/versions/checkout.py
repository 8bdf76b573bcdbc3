"""`curator version checkout ID`: set the workspace's pair statuses back to what a version holds, for review.

Pairs in the version get the status they had in it (accepted, or pending when
the version included pending pairs). Pairs accepted now but not in the version go
back to pending, so they are looked at again, except those an active flag keeps
out of versions (the version's own filter settings): their review stands. A pair edited since the version
(its row superseded by a newer revision) cannot be un-edited by a status change:
it is listed, and its newer revision is treated like any pair outside the
version. Every change goes through the audit log (action 'checkout') in one
transaction: all of it happens or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from curator.store import transaction
from curator.store.pairs import pair_statuses, set_status
from curator.versions.query import flagged_pair_ids
from curator.versions.verify import open_version
from curator.workspace import Workspace


@dataclass
class CheckoutResult:
    version_id: str
    dry_run: bool
    changes: list[tuple[int, str, str]] = field(default_factory=list)  # (pair id, from, to)
    unchanged: int = 0
    kept_flagged: int = 0
    edited_since: list[int] = field(default_factory=list)
    missing: list[int] = field(default_factory=list)

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        by_move: dict[str, int] = {}
        for _, old, new in self.changes:
            by_move[f"{old} -> {new}"] = by_move.get(f"{old} -> {new}", 0) + 1
        changes = self.changes if limit is None else self.changes[:limit]
        return {"version": self.version_id, "dry_run": self.dry_run, "changed": len(self.changes),
                "by_change": by_move, "unchanged": self.unchanged, "kept_flagged": self.kept_flagged, "edited_since": self.edited_since,
                "missing": self.missing,
                "changes": [{"pair_id": p, "from": old, "to": new} for p, old, new in changes]}


def checkout_version(ws: Workspace, ref: str, *, actor: str, dry_run: bool = False) -> CheckoutResult:
    version = open_version(ws, ref)
    wanted = version.read(["pair_id", "status"]).rename({"status": "wanted"})
    conn = ws.connect()
    try:
        with transaction(conn):  # the plan and the changes see the same statuses
            rows = pair_statuses(conn)
            current = pl.DataFrame(rows, schema={"pair_id": pl.Int64, "status": pl.String}, orient="row")
            filters = version.manifest.get("filters", {})
            flagged = pl.Series("pair_id", flagged_pair_ids(conn, filters.get("exclude_flags", []),
                                                            filters.get("judge_min_quality", 0)), dtype=pl.Int64)
            result = _plan(version.id, wanted, current, flagged, dry_run)
            if not dry_run:
                reason = f"checkout of version {version.id}"
                for pair_id, _, new in result.changes:
                    set_status(conn, pair_id, new, actor, reason=reason, action="checkout")
    finally:
        conn.close()
    return result


def _plan(vid: str, wanted: pl.DataFrame, current: pl.DataFrame, flagged: pl.Series,
          dry_run: bool) -> CheckoutResult:
    result = CheckoutResult(version_id=vid, dry_run=dry_run)
    joined = wanted.join(current, on="pair_id", how="left")
    result.missing = joined.filter(pl.col("status").is_null())["pair_id"].to_list()
    result.edited_since = joined.filter(pl.col("status") == "superseded")["pair_id"].to_list()
    live = joined.filter(pl.col("status").is_not_null() & (pl.col("status") != "superseded"))
    moves = live.filter(pl.col("status") != pl.col("wanted"))
    result.unchanged = live.height - moves.height
    result.changes = list(moves.select("pair_id", "status", "wanted").iter_rows())
    outside = current.filter((pl.col("status") == "accepted") & ~pl.col("pair_id").is_in(wanted["pair_id"].implode()))
    kept = outside.filter(pl.col("pair_id").is_in(flagged.implode()))
    result.kept_flagged = kept.height
    outside = outside.filter(~pl.col("pair_id").is_in(flagged.implode()))
    result.changes += [(pair_id, "accepted", "pending") for pair_id in outside["pair_id"].to_list()]
    result.changes.sort()
    return result
