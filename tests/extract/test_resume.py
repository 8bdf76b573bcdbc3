"""kill -9 in the middle of `curator extract`, run it again: it completes, re-sends no stored answer, duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

from curator.extract.stage import run_extraction
from curator.workspace import init_workspace
from tests.support.scripted_llm import ScriptedLLM

from .conftest import add_chunks, lecture, point_at

CHUNKS = 12


def pairs_by_chunk_seq(conn):
    rows = conn.execute("SELECT c.seq, p.question, p.answer, p.evidence FROM qa_pairs p"
                        " JOIN chunks c ON c.id = p.chunk_id WHERE p.status != 'superseded' ORDER BY c.seq, p.id")
    return [tuple(r) for r in rows]


def requests_per_chunk(server):
    counts = Counter()
    for r in server.requests:
        user = r["body"]["messages"][1]["content"]
        counts[next(i for i in range(CHUNKS) if f"Shipment {i} travels" in user)] += 1
    return counts


def test_kill_and_resume(tmp_path, workspace, conn):
    texts = [lecture(i) for i in range(CHUNKS)]
    with ScriptedLLM(latency=0.15, capacity=2) as server:
        point_at(workspace, server, concurrency=2)
        add_chunks(workspace, texts)
        env = {**os.environ, "NO_COLOR": "1"}
        child = subprocess.Popen([sys.executable, "-m", "curator", "extract", "--json"], cwd=workspace.root,
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while conn.execute("SELECT COUNT(*) FROM chunks WHERE extract_status = 'done'").fetchone()[0] < 3:
            assert child.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline, "the run made no progress"
            time.sleep(0.05)
        child.kill()
        child.wait()
        answered_before = {r[0] for r in conn.execute("SELECT DISTINCT chunk_id FROM llm_calls WHERE status = 'ok'")}
        done_before = conn.execute("SELECT COUNT(*) FROM chunks WHERE extract_status = 'done'").fetchone()[0]
        assert done_before < CHUNKS

        again = subprocess.run([sys.executable, "-m", "curator", "extract", "--json"], cwd=workspace.root, env=env,
                               capture_output=True, text=True, timeout=120, check=False)
        assert again.returncode == 0, again.stderr
        sent = requests_per_chunk(server)

    states = Counter(r[0] for r in conn.execute("SELECT extract_status FROM chunks"))
    assert states == {"done": CHUNKS}
    chunk_seq = {r[0]: r[1] for r in conn.execute("SELECT id, seq FROM chunks")}
    for chunk_id in answered_before:
        assert sent[chunk_seq[chunk_id]] == 1, f"chunk {chunk_id} was answered before the kill and sent again"
    per_chunk = Counter(r[0] for r in conn.execute("SELECT chunk_id FROM qa_pairs"))
    assert set(per_chunk.values()) == {2}
    killed = conn.execute("SELECT status, error FROM runs WHERE stage = 'extract' ORDER BY id").fetchall()
    assert killed[0]["status"] == "failed" and "interrupted" in killed[0]["error"]

    # the same chunks extracted without interruption give the same pairs
    with ScriptedLLM() as server:
        reference = init_workspace(tmp_path / "reference")
        point_at(reference, server)
        add_chunks(reference, texts)
        run_extraction(reference)
        ref_conn = reference.connect()
        try:
            assert pairs_by_chunk_seq(conn) == pairs_by_chunk_seq(ref_conn)
        finally:
            ref_conn.close()


def test_ctrl_c_records_what_is_in_flight_and_stops_cleanly(workspace, conn):
    with ScriptedLLM(latency=0.2, capacity=2) as server:
        point_at(workspace, server, concurrency=2)
        add_chunks(workspace, [lecture(i) for i in range(CHUNKS)])
        child = subprocess.Popen([sys.executable, "-m", "curator", "extract", "--json"], cwd=workspace.root,
                                 env={**os.environ, "NO_COLOR": "1"}, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + 60
        while conn.execute("SELECT COUNT(*) FROM chunks WHERE extract_status = 'done'").fetchone()[0] < 2:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=60)
        sent_before_restart = len(server.requests)
    assert child.returncode == 130
    summary = json.loads(out)
    assert summary["stopped"].startswith("interrupted") and summary["not_started"] > 0
    assert summary["selected"] == (summary["succeeded"] + summary["failed"] + summary["errored"]
                                   + summary["skipped"] + summary["not_started"])
    # every request that was sent got its answer recorded: nothing in flight was lost
    assert conn.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0] == sent_before_restart
    done = conn.execute("SELECT COUNT(*) FROM chunks WHERE extract_status = 'done'").fetchone()[0]
    assert done == summary["succeeded"]
    assert conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0] == 2 * done
    run = conn.execute("SELECT status FROM runs WHERE stage = 'extract' ORDER BY id DESC LIMIT 1").fetchone()
    assert run["status"] == "cancelled"
