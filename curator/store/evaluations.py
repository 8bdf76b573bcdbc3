"""eval_low flags: test pairs the fine-tuned model still answers badly, sent back to review.

An evaluation reads pairs from a version, but the store may have moved on since:
a pair can have been revised (its row superseded by a new revision of the same
lineage). A flag goes to the current revision of the pair's lineage, else to the
pair row itself. In one transaction, the eval_low flags of every evaluated pair
are retired and the new ones written, so a pair the model now answers well
loses its old flag and a killed write leaves the previous flags in force.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from curator.store.connection import transaction
from curator.store.flags import add_flag

KIND = "eval_low"


def current_pair_id(conn: sqlite3.Connection, pair_id: int | None, lineage_id: str | None) -> int | None:
    if lineage_id:
        row = conn.execute("SELECT id FROM qa_pairs WHERE lineage_id = ? AND status != 'superseded' "
                           "ORDER BY id DESC LIMIT 1", (lineage_id,)).fetchone()
        if row:
            return int(row[0])
    if pair_id is not None and conn.execute("SELECT 1 FROM qa_pairs WHERE id = ?", (pair_id,)).fetchone():
        return int(pair_id)
    return None


def write_eval_low(conn: sqlite3.Connection, run_dir: Path, report: dict[str, Any], run_id: int | None) -> int:
    """Flag the report's eval_low pairs; return how many flags were written."""
    evaluated = []
    answers = run_dir / "eval" / report["files"]["answers"]
    for line in answers.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            evaluated.append((row.get("pair_id"), row.get("lineage_id")))
    low = {(p["pair_id"], p["lineage_id"]): p for p in report["eval_low"]["pairs"]}
    written = 0
    with transaction(conn):
        targets = {key: current_pair_id(conn, *key) for key in evaluated}
        ids = sorted({t for t in targets.values() if t is not None})
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            conn.execute(f"UPDATE flags SET active = 0 WHERE kind = ? AND active = 1 AND pair_id IN "
                         f"({', '.join('?' * len(part))})", [KIND, *part])
        for key, entry in low.items():
            target = targets.get(key) or current_pair_id(conn, *key)
            if target is None:
                continue
            add_flag(conn, target, KIND, score=entry["score"], reason=entry["reason"], run_id=run_id,
                     details={"training_run": report["run"], "version": report["version"],
                              "truthfulness": entry.get("truthfulness"), "version_pair_id": key[0]})
            written += 1
    return written
