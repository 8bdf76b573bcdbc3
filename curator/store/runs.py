"""Stage runs and the per-item errors that did not stop them."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from curator.processes import process_alive
from curator.store.connection import transaction
from curator.store.rows import as_dict, insert, now, redact_data, redact_text, to_json

RUN_STATES = ("running", "done", "failed", "cancelled", "skipped")


def start_run(conn: sqlite3.Connection, stage: str, config: dict[str, Any] | None = None) -> int:
    with transaction(conn):
        return insert(conn, "runs", {"stage": stage, "status": "running", "config": config or {},
                                     "pid": os.getpid()})


def finish_run(conn: sqlite3.Connection, run_id: int, status: str, *, counts: dict[str, Any] | None = None,
               error: str | None = None) -> None:
    if status not in RUN_STATES:
        raise ValueError(f"unknown run status {status!r}")
    with transaction(conn):
        conn.execute(
            "UPDATE runs SET status = ?, counts = COALESCE(?, counts), error = ?, finished_at = ? WHERE id = ?",
            (status, to_json(redact_data(counts)) if counts is not None else None, redact_text(error), now(), run_id),
        )


def update_counts(conn: sqlite3.Connection, run_id: int, counts: dict[str, Any]) -> None:
    """A running run's counts so far (its progress, for the pipeline screen)."""
    with transaction(conn):
        conn.execute("UPDATE runs SET counts = ? WHERE id = ?", (to_json(redact_data(counts)), run_id))


def append_log(conn: sqlite3.Connection, run_id: int, line: str) -> None:
    with transaction(conn):
        conn.execute("UPDATE runs SET log = log || ? WHERE id = ?", (redact_text(line.rstrip("\n")) + "\n", run_id))


def record_error(conn: sqlite3.Connection, stage: str, location: str, message: str,
                 run_id: int | None = None) -> int:
    """Keep a per-item problem (a file, a line, a URL) where `curator status` shows it."""
    with transaction(conn):
        return insert(conn, "errors", {"run_id": run_id, "stage": stage, "location": location,
                                       "message": message})


def last_errors(conn: sqlite3.Connection, limit: int = 10) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT id, run_id, stage, location, message, created_at FROM errors ORDER BY id DESC LIMIT ?", (limit,)
    ).fetchall()
    return [redact_data(dict(r)) for r in rows]


def get_run(conn: sqlite3.Connection, run_id: int) -> dict[str, Any] | None:
    return as_dict(conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone())


def mark_interrupted_runs(conn: sqlite3.Connection) -> int:
    """Runs still 'running' whose process is gone were killed: say so instead of showing them as live."""
    rows = conn.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall()
    dead = [r["id"] for r in rows if not process_alive(r["pid"])]
    if dead:
        with transaction(conn):
            conn.executemany(
                "UPDATE runs SET status = 'failed', error = 'interrupted (the process ended without finishing)',"
                " finished_at = ? WHERE id = ? AND status = 'running'",
                [(now(), run_id) for run_id in dead],
            )
    return len(dead)


@contextmanager
def stage_run(conn: sqlite3.Connection, stage: str, config: dict[str, Any] | None = None) -> Iterator[dict]:
    """Record a stage run around a block: done on success, cancelled on Ctrl-C, failed with the error otherwise.

    The block fills the yielded dict with its counts; they are stored with the run either way.
    """
    run_id = start_run(conn, stage, config)
    counts: dict[str, Any] = {"run_id": run_id}
    try:
        yield counts
    except KeyboardInterrupt:
        finish_run(conn, run_id, "cancelled", counts=counts, error="cancelled by the user")
        raise
    except BaseException as exc:
        finish_run(conn, run_id, "failed", counts=counts, error=f"{type(exc).__name__}: {exc}")
        raise
    else:
        finish_run(conn, run_id, "done", counts=counts)
