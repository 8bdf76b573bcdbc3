"""Two `curator extract` runs on one workspace at once: each chunk is sent once, and each run says truly what it did."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter

from curator.extract.stage import run_extraction
from curator.store.runs import start_run
from tests.support.scripted_llm import ScriptedLLM

from .conftest import add_chunks, lecture, point_at

CHUNKS = 40


def requests_per_chunk(server) -> Counter:
    counts: Counter = Counter()
    for r in server.requests:
        user = r["body"]["messages"][1]["content"]
        counts[next(i for i in range(CHUNKS) if f"Shipment {i} travels" in user)] += 1
    return counts


def test_two_runs_at_once_send_each_chunk_once(workspace, conn):
    add_chunks(workspace, [lecture(i) for i in range(CHUNKS)])
    with ScriptedLLM(latency=0.05, capacity=8) as server:
        point_at(workspace, server, concurrency=4)
        env = {**os.environ, "NO_COLOR": "1"}
        runs = [subprocess.Popen([sys.executable, "-m", "curator", "extract", "--json"], cwd=workspace.root, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outputs = [r.communicate(timeout=180) for r in runs]
        sent = requests_per_chunk(server)
    for run, (stdout, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr
    summaries = [json.loads(stdout) for stdout, _ in outputs]

    assert set(sent) == set(range(CHUNKS)) and set(sent.values()) == {1}, sent
    assert conn.execute("SELECT COUNT(*) FROM chunks WHERE extract_status = 'done'").fetchone()[0] == CHUNKS
    answered = Counter(r[0] for r in conn.execute("SELECT chunk_id FROM llm_calls WHERE status = 'ok'"))
    assert set(answered.values()) == {1}
    # each run's summary matches what reached the server from it, and the two add up
    assert sum(s["succeeded"] for s in summaries) == CHUNKS
    for s in summaries:
        assert s["requests_sent"] == s["sent"] == s["succeeded"]
        assert s["selected"] == s["succeeded"] + s["skipped"] + s["not_started"]
    assert conn.execute("SELECT COUNT(*) FROM chunk_claims").fetchone()[0] == 0  # every claim given back


def test_a_live_claim_keeps_the_chunk_from_a_second_run(workspace, conn, scripted):
    ids = add_chunks(workspace, [lecture(i) for i in range(4)])
    point_at(workspace, scripted)
    other = start_run(conn, "extract")  # a run that is still running (this very process)
    conn.execute("INSERT INTO chunk_claims (chunk_id, run_id, expires_at) VALUES (?, ?, ?)",
                 (ids[0], other, time.time() + 600))
    summary = run_extraction(workspace)
    assert summary.succeeded == 3 and summary.skipped == 1 and summary.requests_sent == 3
    assert conn.execute("SELECT extract_status FROM chunks WHERE id = ?", (ids[0],)).fetchone()[0] == "pending"


def test_a_lapsed_claim_is_taken_up(workspace, conn, scripted):
    """A killed run's claims lapse: once expired (or once its run is no longer running) the next run sends them."""
    ids = add_chunks(workspace, [lecture(i) for i in range(3)])
    point_at(workspace, scripted)
    live = start_run(conn, "extract")
    dead = start_run(conn, "extract")
    conn.execute("UPDATE runs SET status = 'failed' WHERE id = ?", (dead,))
    conn.execute("INSERT INTO chunk_claims (chunk_id, run_id, expires_at) VALUES (?, ?, ?)",
                 (ids[0], live, time.time() - 1))
    conn.execute("INSERT INTO chunk_claims (chunk_id, run_id, expires_at) VALUES (?, ?, ?)",
                 (ids[1], dead, time.time() + 600))
    summary = run_extraction(workspace)
    assert summary.succeeded == 3 and summary.skipped == 0
    assert conn.execute("SELECT COUNT(*) FROM chunks WHERE extract_status = 'done'").fetchone()[0] == 3


def test_chunks_of_a_run_killed_meanwhile_are_taken_up_in_the_same_run(workspace, conn, scripted):
    """Another run holds a chunk when this run reaches it, then is killed: this run sends it before it ends."""
    ids = add_chunks(workspace, [lecture(i) for i in range(6)])
    point_at(workspace, scripted, concurrency=1)
    holder = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        other = start_run(conn, "extract")
        conn.execute("UPDATE runs SET pid = ? WHERE id = ?", (holder.pid, other))
        conn.execute("INSERT INTO chunk_claims (chunk_id, run_id, expires_at) VALUES (?, ?, ?)",
                     (ids[0], other, time.time() + 600))

        def kill_the_holder(summary) -> None:
            if holder.poll() is None:
                assert summary.skipped == 1  # it was held when this run reached it
                holder.kill()
                holder.wait()

        summary = run_extraction(workspace, on_progress=kill_the_holder)
    finally:
        holder.kill()
        holder.wait()
    assert summary.succeeded == 6 and summary.skipped == 0 and summary.requests_sent == 6
    assert requests_per_chunk(scripted) == Counter(range(6))
    assert conn.execute("SELECT status FROM runs WHERE id = ?", (other,)).fetchone()[0] == "failed"
