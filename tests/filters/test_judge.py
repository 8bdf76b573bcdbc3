"""The LLM judge through the extraction engine, against the scripted OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from curator.filters.run import run_filters
from curator.filters.verdicts import failing_pairs
from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from tests.filters.conftest import active, add_pairs, set_filters, settings_of
from tests.support.scripted_llm import ScriptedLLM


@pytest.fixture
def scripted() -> Iterator[ScriptedLLM]:
    with ScriptedLLM() as server:
        yield server


def chunks(ws, texts):
    conn = ws.connect()
    try:
        with transaction(conn):
            source = add_source(conn, "file", "/corpus/lecture.txt", doc_kind="transcript")
            doc = add_document(conn, source, "/corpus/lecture.txt", "transcript", "\n".join(texts))
            return [add_chunk(conn, doc, i, t, 0, len(t), len(t) // 4) for i, t in enumerate(texts)]
    finally:
        conn.close()


@pytest.fixture
def judged_workspace(workspace, scripted):
    set_filters(workspace, "llm", base_url=scripted.base_url, backend="openai", model="scripted-model",
                max_retries=0, timeout_s=10, concurrency=4)
    ids = chunks(workspace, [
        "Under FOB the seller clears the goods for export. Risk passes when the goods are on board.",
        "The bill of lading is a receipt for the cargo. [[scripted: invalid_json]]",
        "Demurrage is charged when containers stay too long at the port. [[scripted: server_error]]",
    ])
    pairs = add_pairs(workspace, [
        {"question": "Who clears FOB goods for export?", "answer": "The seller.", "chunk_id": ids[0]},
        {"question": "What is a bill of lading?", "answer": "A receipt for the cargo.", "chunk_id": ids[1]},
        {"question": "When is demurrage charged?", "answer": "When containers stay too long.", "chunk_id": ids[2]},
        {"question": "What is a pro forma invoice?", "answer": "A preliminary invoice sent before shipment."},
    ], origin="llm")
    return workspace, pairs


def test_valid_invalid_and_failing_verdicts(judged_workspace):
    ws, ids = judged_workspace
    counts = run_filters(ws, only=["judge"])
    assert counts["judge"]["judged"] == 2 and counts["judge"]["failed"] == 2
    conn = ws.connect()
    flags = {f["pair_id"]: f for f in active(conn, "judge")}
    assert set(flags) == {ids[0], ids[3]}
    first = json.loads(flags[ids[0]]["details"])
    assert flags[ids[0]]["score"] == 8 and first["grounded"] is True and first["has_source"] is True
    assert json.loads(flags[ids[3]]["details"])["has_source"] is False  # an import: judged without a chunk
    errors = {r["location"]: r["message"] for r in conn.execute("SELECT location, message FROM errors")}
    assert "invalid" in errors[f"pair {ids[1]}"]
    assert "server" in errors[f"pair {ids[2]}"]
    assert not failing_pairs(conn, settings_of(ws))
    set_filters(ws, judge_min_quality=9)  # a stricter judge limit fails them, from the stored verdicts
    assert {r["pair_id"] for r in failing_pairs(conn, settings_of(ws))} == {ids[0], ids[3]}
    conn.close()


def test_a_second_run_answers_from_the_cache(judged_workspace, scripted):
    ws, ids = judged_workspace
    run_filters(ws, only=["judge"])
    conn = ws.connect()
    sent = conn.execute("SELECT COUNT(*) FROM llm_calls WHERE status = 'ok' AND purpose = 'judge'").fetchone()[0]
    counts = run_filters(ws, only=["judge"])
    assert counts["judge"]["cached"] == counts["judge"]["judged"] == 2
    assert conn.execute("SELECT COUNT(*) FROM llm_calls WHERE status = 'ok' AND purpose = 'judge'"
                        ).fetchone()[0] == sent
    assert {f["pair_id"] for f in active(conn, "judge")} == {ids[0], ids[3]}
    conn.close()


def test_an_endpoint_refusing_everything_stops_the_run_and_keeps_old_verdicts(judged_workspace, scripted):
    ws, _ = judged_workspace
    run_filters(ws, only=["judge"])
    conn = ws.connect()
    before = sorted(f["id"] for f in active(conn, "judge"))
    set_filters(ws, "llm", model="another-model")  # new requests: nothing cached
    scripted.queue(*["bad_request"] * 8)
    with pytest.raises(Exception, match="refuses every request"):
        run_filters(ws, only=["judge"])
    assert sorted(f["id"] for f in active(conn, "judge")) == before
    conn.close()
