"""The extract stage over a workspace: lineage, every failure path, counts that add up, cache, retry, regenerate."""

from __future__ import annotations

import json
import threading

import pytest

from curator.errors import CuratorError
from curator.extract.stage import run_extraction
from curator.store.extract_queue import failed_chunks
from curator.store.pairs import history, set_status

from .conftest import add_chunks, lecture, point_at, set_config


def chunk_states(conn):
    return {r["id"]: r["extract_status"] for r in conn.execute("SELECT id, extract_status FROM chunks")}


def test_pairs_are_stored_with_full_lineage(workspace, conn, scripted):
    point_at(workspace, scripted)
    [chunk_id] = add_chunks(workspace, [lecture(1)])
    summary = run_extraction(workspace)
    assert (summary.succeeded, summary.pairs, summary.requests_sent) == (1, 2, 1) and summary.adds_up
    chunk = dict(conn.execute("SELECT * FROM chunks WHERE id = ?", (chunk_id,)).fetchone())
    pairs = [dict(r) for r in conn.execute("SELECT * FROM qa_pairs ORDER BY id")]
    call = dict(conn.execute("SELECT * FROM llm_calls").fetchone())
    for p in pairs:
        assert p["origin"] == "llm" and p["status"] == "pending"
        assert (p["chunk_id"], p["document_id"]) == (chunk_id, chunk["document_id"]) and p["source_id"]
        assert p["llm_call_id"] == call["id"] and p["model"] == "scripted-model"
        assert p["prompt_version"] == "qa-extract-en@1" and p["template"] == "qa-extract-en"
        assert p["language"] == "en" and p["question"].endswith("?")
        assert chunk["text"][p["evidence_start"]:p["evidence_end"]] == p["evidence"]
        assert p["evidence_score"] == 100
        assert json.loads(p["meta"])["request_id"] == call["request_id"]
        assert history(conn, p["id"])[0]["actor"] == "machine:extract"
    assert chunk["extract_status"] == "done"
    run = conn.execute("SELECT status, counts FROM runs WHERE stage = 'extract'").fetchone()
    assert run["status"] == "done" and json.loads(run["counts"])["pairs"] == 2


def test_korean_chunks_use_the_korean_template(workspace, conn, scripted):
    point_at(workspace, scripted)
    add_chunks(workspace, ["신용장은 은행이 대금 지급을 약속하는 장치입니다. 수출자는 은행의 신용을 믿고 선적합니다."],
               language="ko")
    run_extraction(workspace)
    assert "국제무역" in scripted.requests[0]["body"]["messages"][0]["content"]
    assert {r[0] for r in conn.execute("SELECT prompt_version FROM qa_pairs")} == {"qa-extract-ko@1"}


def test_every_failure_path_is_counted_and_nothing_is_dropped(workspace, conn, scripted):
    point_at(workspace, scripted)
    markers = ["", "[[scripted: invalid_json, valid]]", "[[scripted: too_many, valid]]",
               "[[scripted: missing_fields]]", "[[scripted: ungrounded]]", "[[scripted: refusal]]",
               "[[scripted: not_question]]", "[[scripted: echo, valid]]", "[[scripted: server_error]]",
               "[[scripted: fence]]"]
    ids = add_chunks(workspace, [lecture(i, m) for i, m in enumerate(markers)])
    s = run_extraction(workspace)
    assert s.adds_up
    assert (s.selected, s.succeeded, s.repaired, s.failed, s.errored) == (10, 5, 3, 4, 1)
    assert s.pairs == 2 * s.succeeded == conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0]
    states = chunk_states(conn)
    assert [states[i] for i in ids] == ["done", "done", "done", "failed", "failed", "failed", "failed", "done",
                                        "pending", "done"]
    failed = {f["id"]: f for f in failed_chunks(conn)}
    assert set(failed) == {ids[3], ids[4], ids[5], ids[6]}
    assert "'answer' is a required property" in failed[ids[3]]["error"] and failed[ids[3]]["raw_output"]
    assert "not found in the text" in failed[ids[4]]["error"]
    assert "refused" in failed[ids[5]]["error"] and "can't help" in failed[ids[5]]["raw_output"]
    assert "not a question" in failed[ids[6]]["error"]
    pending_error = conn.execute("SELECT extract_error FROM chunks WHERE id = ?", (ids[8],)).fetchone()[0]
    assert "HTTP 500" in pending_error and "stays pending" in pending_error
    logged = {r["location"] for r in conn.execute("SELECT location FROM errors WHERE stage = 'extract'")}
    assert len(logged) == 5 and all(loc.startswith("chunk ") for loc in logged)


def test_running_again_sends_nothing_for_done_chunks(workspace, conn, scripted):
    point_at(workspace, scripted)
    add_chunks(workspace, [lecture(i) for i in range(3)])
    run_extraction(workspace)
    again = run_extraction(workspace)
    assert again.selected == 0 and again.requests_sent == 0
    assert len(scripted.requests) == 3
    assert conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0] == 6


def test_pending_chunk_with_a_stored_answer_is_not_sent_again(workspace, conn, scripted):
    point_at(workspace, scripted)
    [chunk_id] = add_chunks(workspace, [lecture(1)])
    run_extraction(workspace)
    # as after a crash between storing the answer and storing the pairs
    conn.execute("UPDATE qa_pairs SET status = 'rejected'")
    conn.execute("UPDATE chunks SET extract_status = 'pending' WHERE id = ?", (chunk_id,))
    again = run_extraction(workspace)
    assert again.succeeded == 1 and again.from_cache == 1 and again.requests_sent == 0
    assert len(scripted.requests) == 1


def test_retry_failed_sends_failed_chunks_again_past_the_cache(workspace, conn, scripted):
    point_at(workspace, scripted)
    [chunk_id] = add_chunks(workspace, [lecture(1, "[[scripted: missing_fields, missing_fields, valid]]")])
    first = run_extraction(workspace)
    assert first.failed == 1 and chunk_states(conn)[chunk_id] == "failed"
    assert run_extraction(workspace).selected == 0  # plain runs leave failed chunks alone
    retry = run_extraction(workspace, retry_failed=True)
    assert (retry.selected, retry.succeeded, retry.pairs) == (1, 1, 2)
    assert chunk_states(conn)[chunk_id] == "done"
    assert conn.execute("SELECT extract_error FROM chunks").fetchone()[0] is None


def test_regenerate_supersedes_pending_pairs_and_keeps_decisions(workspace, conn, scripted):
    point_at(workspace, scripted)
    [chunk_id, other_chunk] = add_chunks(workspace, [lecture(1), lecture(2)])
    run_extraction(workspace)
    kept, replaced = [r[0] for r in conn.execute("SELECT id FROM qa_pairs WHERE chunk_id = ? ORDER BY id",
                                                 (chunk_id,))]
    set_status(conn, kept, "accepted", "alice")
    untouched = {r["id"]: r["status"] for r in conn.execute("SELECT id, status FROM qa_pairs WHERE chunk_id = ?",
                                                             (other_chunk,))}
    sent_before = len(scripted.requests)
    s = run_extraction(workspace, regenerate=[chunk_id])
    assert (s.succeeded, s.superseded, s.pairs) == (1, 1, 2) and s.requests_sent == 1
    assert len(scripted.requests) == sent_before + 1
    rows = {r["id"]: dict(r) for r in conn.execute("SELECT * FROM qa_pairs")}
    assert rows[kept]["status"] == "accepted"
    assert rows[replaced]["status"] == "superseded"
    successors = json.loads(rows[replaced]["meta"])["superseded_by"]
    assert len(successors) == 2 and all(rows[n]["status"] == "pending" for n in successors)
    assert all(json.loads(rows[n]["meta"])["regenerated_from"] == [replaced] for n in successors)
    assert history(conn, replaced)[-1]["action"] == "regenerate"
    assert {i: rows[i]["status"] for i in untouched} == untouched


def test_regenerate_one_pair_supersedes_only_that_pair(workspace, conn, scripted):
    point_at(workspace, scripted)
    add_chunks(workspace, [lecture(1)])
    run_extraction(workspace)
    first, second = [r[0] for r in conn.execute("SELECT id FROM qa_pairs ORDER BY id")]
    set_status(conn, first, "accepted", "alice")
    s = run_extraction(workspace, regenerate_pairs=[first])
    assert s.superseded == 1
    states = {r["id"]: r["status"] for r in conn.execute("SELECT id, status FROM qa_pairs")}
    assert states[first] == "superseded" and states[second] == "pending"
    with pytest.raises(CuratorError, match="already superseded"):
        run_extraction(workspace, regenerate_pairs=[first])


def test_failed_regeneration_keeps_the_old_pairs(workspace, conn, scripted):
    point_at(workspace, scripted)
    [chunk_id] = add_chunks(workspace, [lecture(1)])
    run_extraction(workspace)
    scripted.queue("missing_fields", "missing_fields")
    s = run_extraction(workspace, regenerate=[chunk_id])
    assert s.failed == 1 and s.superseded == 0
    assert chunk_states(conn)[chunk_id] == "done"
    assert {r[0] for r in conn.execute("SELECT status FROM qa_pairs")} == {"pending"}


def test_stop_keeps_what_was_answered_and_the_next_run_completes(workspace, conn, scripted):
    point_at(workspace, scripted, concurrency=1)
    ids = add_chunks(workspace, [lecture(i) for i in range(8)])
    cancel = threading.Event()

    def after_two(summary):
        if summary.succeeded >= 2:
            cancel.set()

    first = run_extraction(workspace, on_progress=after_two, cancel=cancel)
    assert first.stopped and first.stopped.startswith("interrupted") and first.adds_up
    assert first.not_started > 0 and first.succeeded >= 2
    run = conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    assert run["status"] == "cancelled"
    second = run_extraction(workspace)
    assert second.succeeded == 8 - first.succeeded
    assert all(chunk_states(conn)[i] == "done" for i in ids)
    per_chunk = [r[0] for r in conn.execute("SELECT COUNT(*) FROM qa_pairs GROUP BY chunk_id")]
    assert per_chunk == [2] * 8
    assert len(scripted.requests) == 8


def test_endpoint_failing_in_a_row_stops_the_run_and_keeps_chunks_pending(workspace, conn, scripted):
    point_at(workspace, scripted, concurrency=1, max_retries=0)
    set_config(workspace, "extract", stop_after_errors=2)
    add_chunks(workspace, [lecture(i, "[[scripted: server_error]]") for i in range(6)])
    s = run_extraction(workspace)
    assert s.stopped and "failed 2 times in a row" in s.stopped and s.adds_up
    assert s.errored == 2 and s.not_started == 4
    assert set(chunk_states(conn).values()) == {"pending"}
    assert conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0] == "failed"


def test_a_request_the_server_refuses_stops_at_once(workspace, scripted):
    point_at(workspace, scripted, concurrency=1)
    add_chunks(workspace, [lecture(i, "[[scripted: bad_request]]") for i in range(4)])
    s = run_extraction(workspace)
    assert s.errored == 1 and s.not_started == 3 and "refused the request" in s.stopped


def test_no_endpoint_and_no_local_model_says_what_to_install(workspace, monkeypatch):
    from curator.llm import local

    add_chunks(workspace, [lecture(1)])
    monkeypatch.setattr(local.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CuratorError, match=r"curator\[local\]"):
        run_extraction(workspace)


def test_nothing_pending_starts_no_local_model(workspace, monkeypatch):
    from curator.llm import local

    monkeypatch.setattr(local.LocalModelServer, "start", lambda self: pytest.fail("started a server"))
    assert run_extraction(workspace).selected == 0


def test_the_model_reads_the_chunk_without_markdown_escapes_and_evidence_points_into_the_stored_text(
        workspace, conn, scripted):
    # A page stored as trafilatura's Markdown escapes identifiers (set\_usage); the model must read and quote
    # set_usage, and the evidence offsets must still select the passage in the stored chunk.
    point_at(workspace, scripted)
    stored = ("Shipment 1 is booked with `set_usage()` and set\\_usage(). The seller clears export customs for "
              "shipment 1. Risk passes to the buyer when cargo 1 is on board the vessel.")
    [chunk_id] = add_chunks(workspace, [stored])
    run_extraction(workspace)
    sent = scripted.requests[0]["body"]["messages"][-1]["content"]
    assert "set_usage(). The seller" in sent and "set\\_usage" not in sent and "`set_usage()`" in sent
    pairs = [dict(r) for r in conn.execute("SELECT * FROM qa_pairs ORDER BY id")]
    assert pairs
    for p in pairs:
        assert "\\" not in p["evidence"]
        assert stored[p["evidence_start"]:p["evidence_end"]].replace("\\_", "_") == p["evidence"]
