"""Stage runs and the per-item errors that did not stop them."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
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


def last_run_of(conn: sqlite3.Connection, stages: Sequence[str]) -> sqlite3.Row | None:
    """The newest run recorded under any of these stage names (the app's pipeline table)."""
    marks = ",".join("?" * len(stages))
    return conn.execute(f"SELECT id, stage, status, counts, error, started_at, finished_at FROM runs"
                        f" WHERE stage IN ({marks}) ORDER BY id DESC LIMIT 1", tuple(stages)).fetchone()


def last_run_log(conn: sqlite3.Connection, stages: Sequence[str]) -> sqlite3.Row | None:
    """The id and log of the newest run with a log under any of these stage names."""
    marks = ",".join("?" * len(stages))
    return conn.execute(f"SELECT id, log FROM runs WHERE stage IN ({marks}) AND log != ''"
                        " ORDER BY id DESC LIMIT 1", tuple(stages)).fetchone()


def running_counts(conn: sqlite3.Connection, stage: str) -> str | None:
    """The counts (JSON text) of the newest run of this stage still marked running, None when none is."""
    row = conn.execute("SELECT counts FROM runs WHERE stage = ? AND status = 'running'"
                       " ORDER BY id DESC LIMIT 1", (stage,)).fetchone()
    return None if row is None else row[0]


def stage_ever_done(conn: sqlite3.Connection, stage: str) -> bool:
    return conn.execute("SELECT 1 FROM runs WHERE stage = ? AND status = 'done' LIMIT 1",
                        (stage,)).fetchone() is not None


def runs_of_process(conn: sqlite3.Connection, pid: int, since: str) -> list[int]:
    """The runs a process recorded since a moment (the app's job for that process)."""
    rows = conn.execute("SELECT id FROM runs WHERE pid = ? AND started_at >= ? ORDER BY id", (pid, since)).fetchall()
    return [r["id"] for r in rows]


def cancel_running(conn: sqlite3.Connection, run_ids: Iterable[int], error: str) -> None:
    """Mark these runs cancelled when still running (a process killed before it could say so)."""
    with transaction(conn):
        conn.executemany("UPDATE runs SET status = 'cancelled', error = ?"
                         " WHERE id = ? AND status = 'running'", [(error, run_id) for run_id in run_ids])


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
