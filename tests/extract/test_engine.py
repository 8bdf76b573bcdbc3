"""The structured-call engine against the scripted server, through the real SDK over real HTTP."""

from __future__ import annotations

import asyncio
import json

import pytest

from curator.extract.extractor import extraction_schema
from curator.llm.engine import Endpoint, StructuredEngine, StructuredRequest, _canonical
from curator.store.llm_calls import request_hash

SCHEMA = extraction_schema(5)
CHUNK = "Demurrage is charged when a container stays at the terminal too long. Detention applies outside it."


def request(marker: str = "", **kw: object) -> StructuredRequest:
    messages = [{"role": "system", "content": "Write QA pairs as JSON."},
                {"role": "user", "content": f"<chunk>\n{CHUNK} {marker}\n</chunk>"}]
    return StructuredRequest(messages=messages, schema=SCHEMA, schema_name="qa_extraction",
                             prompt_version="test@1", **kw)


def endpoint(server, backend: str = "openai", **kw: object) -> Endpoint:
    return Endpoint(base_url=server.base_url, backend=backend,
                    **{"model": "scripted-model", "max_retries": 2, "timeout_s": 10, **kw})


def call(server, req: StructuredRequest, conn=None, **kw: object):
    async def go():
        async with StructuredEngine(endpoint(server, **kw), conn) as engine:
            return await engine.call(req), engine.stats
    return asyncio.run(go())


def test_valid_answer_is_logged_with_usage(scripted, conn):
    outcome, stats = call(scripted, request(), conn)
    assert outcome.ok and not outcome.repaired and not outcome.cached
    assert outcome.data["qa_pairs"][0]["evidence"] in CHUNK
    row = dict(conn.execute("SELECT * FROM llm_calls WHERE id = ?", (outcome.call_id,)).fetchone())
    assert row["status"] == "ok" and row["purpose"] == "extract" and row["prompt_version"] == "test@1"
    assert row["request_id"].startswith("chatcmpl-scripted")
    assert row["tokens_in"] > 0 and row["tokens_out"] > 0 and row["latency_ms"] > 0
    assert json.loads(row["response"]) == outcome.data
    assert stats.requests_sent == 1


@pytest.mark.parametrize("behaviour", ["prose", "fence"])
def test_wrapped_json_is_unwrapped(scripted, behaviour):
    outcome, _ = call(scripted, request(f"[[scripted: {behaviour}]]"))
    assert outcome.ok and outcome.attempts == 1


def test_invalid_json_gets_one_repair_showing_output_and_errors(scripted, conn):
    outcome, _ = call(scripted, request("[[scripted: invalid_json, valid]]"), conn)
    assert outcome.ok and outcome.repaired and outcome.attempts == 2
    rows = conn.execute("SELECT purpose, status, error FROM llm_calls ORDER BY id").fetchall()
    assert [(r["purpose"], r["status"]) for r in rows] == [("extract", "invalid"), ("repair", "ok")]
    assert "not valid JSON" in rows[0]["error"]
    repair_messages = scripted.requests[1]["body"]["messages"]
    first_answer = scripted.requests[0]
    assert repair_messages[-2]["role"] == "assistant" and '"oops' in repair_messages[-2]["content"]
    assert "not valid JSON" in repair_messages[-1]["content"]
    assert first_answer["body"]["messages"] == repair_messages[:2]


def test_still_invalid_after_repairs_keeps_raw_output_and_errors(scripted, conn):
    outcome, _ = call(scripted, request("[[scripted: missing_fields]]", repair_attempts=2), conn)
    assert not outcome.ok and outcome.error_kind == "invalid" and outcome.attempts == 3
    assert any("'answer' is a required property" in e for e in outcome.errors)
    statuses = [r[0] for r in conn.execute("SELECT status FROM llm_calls ORDER BY id")]
    assert statuses == ["invalid", "invalid", "invalid"]
    assert outcome.raw and "question" in outcome.raw


def test_refusal_is_reported_as_refusal(scripted):
    outcome, _ = call(scripted, request("[[scripted: refusal]]"))
    assert not outcome.ok and outcome.error_kind == "refusal"
    assert "refused" in outcome.errors[0]


def test_length_cut_off_is_named(scripted):
    outcome, _ = call(scripted, request("[[scripted: length]]", repair_attempts=0))
    assert outcome.error_kind == "length" and "max_tokens" in outcome.errors[0]


def test_429_is_retried_after_retry_after(scripted, conn):
    outcome, _ = call(scripted, request("[[scripted: rate_limit, valid]]"), conn)
    assert outcome.ok
    assert [r["behaviour"] for r in scripted.requests] == ["rate_limit", "valid"]
    assert conn.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0] == 1


def test_dropped_connection_is_retried(scripted):
    outcome, _ = call(scripted, request("[[scripted: drop, valid]]"))
    assert outcome.ok
    assert scripted.served["drop"] == 1


def test_persistent_500_is_an_endpoint_error(scripted, conn):
    outcome, stats = call(scripted, request("[[scripted: server_error]]"), conn, max_retries=1)
    assert not outcome.ok and outcome.error_kind == "server" and not outcome.fatal
    assert scripted.served["server_error"] == 2  # the first try and the SDK's one retry
    row = conn.execute("SELECT status, error_kind, response FROM llm_calls").fetchone()
    assert (row["status"], row["error_kind"], row["response"]) == ("error", "server", None)
    assert stats.errors["server"] == 1


def test_slow_answer_times_out(scripted):
    outcome, _ = call(scripted, request("[[scripted: slow]]"), timeout_s=0.5, max_retries=0)
    assert outcome.error_kind == "timeout"


def test_bad_request_is_fatal(scripted):
    outcome, _ = call(scripted, request("[[scripted: bad_request]]"))
    assert outcome.error_kind == "bad_request" and outcome.fatal


def test_stored_answer_is_not_sent_again(scripted, conn):
    first, _ = call(scripted, request(), conn)
    second, stats = call(scripted, request(), conn)
    assert second.ok and second.cached and second.sent == 0 and second.call_id == first.call_id
    assert len(scripted.requests) == 1 and stats.cache_hits == 1


def test_cache_can_be_bypassed(scripted, conn):
    call(scripted, request(), conn)
    again, _ = call(scripted, request(use_cache=False), conn)
    assert again.ok and not again.cached and len(scripted.requests) == 2


def test_cache_key_covers_model_and_prompt_version(scripted, conn):
    call(scripted, request(), conn)
    call(scripted, request(), conn, model="another-model")
    other = request()
    other.prompt_version = "test@2"
    call(scripted, other, conn)
    assert len(scripted.requests) == 3


def test_request_hash_is_canonical_json_of_the_request(scripted, conn):
    call(scripted, request(), conn)
    row = conn.execute("SELECT request, request_hash FROM llm_calls").fetchone()
    stored = json.loads(row["request"])
    assert set(stored) == {"backend", "messages", "model", "params", "prompt_version", "schema_name",
                           "schema_sha256"}
    assert row["request"] == _canonical(stored)
    assert request_hash(stored) == row["request_hash"]


@pytest.mark.parametrize("backend", ["openai", "vllm", "llamacpp", "ollama", "generic"])
def test_structured_output_is_asked_the_way_each_backend_wants(scripted, backend):
    outcome, _ = call(scripted, request(), backend=backend)
    body = scripted.requests[0]["body"]
    fmt = body.get("response_format")
    if backend == "openai":
        assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
        assert "maxItems" not in json.dumps(fmt)  # strict mode refuses it; jsonschema checks it afterwards
    elif backend == "vllm":
        assert fmt is None and body["structured_outputs"]["json"]["properties"]["qa_pairs"]["maxItems"] == 5
    elif backend == "llamacpp":
        assert fmt["type"] == "json_object" and "qa_pairs" in fmt["schema"]["properties"]
    elif backend == "ollama":
        assert fmt["type"] == "json_schema" and "strict" not in fmt["json_schema"]
    else:
        assert fmt is None and "structured_outputs" not in body
        assert "JSON Schema" in body["messages"][0]["content"]
    assert outcome.ok  # the answer was valid for every shape (generic: the default extraction answer)


def test_stop_sending_refuses_new_requests(scripted):
    from curator.llm.engine import EngineStopped

    async def go():
        async with StructuredEngine(endpoint(scripted), None) as engine:
            engine.stop_sending()
            await engine.call(request())

    with pytest.raises(EngineStopped):
        asyncio.run(go())
    assert scripted.requests == []
