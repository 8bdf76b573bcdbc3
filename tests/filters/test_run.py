"""A filter run writes everything at its end or nothing: a run that dies leaves the previous flags intact."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from curator.filters.registry import REGISTRY
from curator.filters.run import run_filters
from curator.store.runs import mark_interrupted_runs
from curator.workspace import open_workspace
from tests.filters.conftest import active, add_pairs, set_filters
from tests.support.workspaces import make_workspace

PAIRS = [("What is a bill of lading?", "A document of title."), ("What is a bill of ladng?", "A document of title."),
         ("What is the free time at Busan port?", "Usually five days."), ("FOB?", "Free on board.")]


def snapshot(conn):
    return sorted((f["id"], f["kind"], f["pair_id"]) for f in active(conn))


def test_a_run_failing_midway_keeps_the_previous_flags_and_the_next_run_completes(workspace, monkeypatch):
    add_pairs(workspace, PAIRS)
    run_filters(workspace)
    conn = workspace.connect()
    before = snapshot(conn)
    assert {k for _, k, _ in before} == {"near_duplicate", "rule"}

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(REGISTRY["contamination"], "measure", broken)
    with pytest.raises(RuntimeError):
        run_filters(workspace)
    assert snapshot(conn) == before
    last = conn.execute("SELECT status, error FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert last["status"] == "failed" and "disk on fire" in last["error"]

    monkeypatch.undo()
    run_filters(workspace)
    after = snapshot(conn)
    assert [(k, p) for _, k, p in after] == [(k, p) for _, k, p in before]
    assert all(a[0] > b[0] for a, b in zip(after, before))  # new rows, the old ones retired
    conn.close()


@pytest.mark.slow
def test_a_killed_filter_process_leaves_the_previous_flags(tmp_path):
    make_workspace(tmp_path / "ws", 30_000)
    ws = open_workspace(tmp_path / "ws")
    set_filters(ws, semantic=False)  # kill safety, not embeddings: 30,000 questions would take minutes to embed
    run_filters(ws, only=["dedup", "rules"])
    conn = ws.connect()
    before = snapshot(conn)
    assert before
    env = {**os.environ, "CURATOR_WORKSPACE": str(ws.root)}
    proc = subprocess.Popen([sys.executable, "-m", "curator", "filter", "--only", "dedup,rules", "--json"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait for the run to have started, then kill it mid-way
        try:
            row = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'running'").fetchone()
        except sqlite3.OperationalError:
            row = (0,)
        if row[0] or proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert snapshot(conn) == before
    assert mark_interrupted_runs(conn) in (0, 1)
    run_filters(ws, only=["dedup", "rules"])
    assert len(snapshot(conn)) == len(before)
    statuses = [r[0] for r in conn.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses[-1] == "done"
    conn.close()
