"""The ingest stage as one call: add the paths and record the run, as every other stage records its own.

The CLI, the app and scripts call this, so a run is recorded the same way whoever starts it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curator.ingest.add import FileReport, add_paths, summarize
from curator.store.runs import stage_run


def run_ingest(conn: sqlite3.Connection, paths: list[Path], *, kind: str | None, config: dict[str, Any],
               on_file: Callable[[FileReport], None] | None = None) -> tuple[int, list[FileReport]]:
    """Add every file under `paths` inside one recorded `ingest` run; return the run's id and the reports."""
    with stage_run(conn, "ingest", {"paths": [str(p) for p in paths], "kind": kind}) as counts:
        reports = add_paths(conn, paths, kind=kind, config=config, run_id=counts["run_id"], on_file=on_file)
        counts.update(summarize(reports))
    return counts["run_id"], reports
