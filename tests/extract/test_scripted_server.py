"""The scripted server itself: schema-shaped answers, scripts by marker and by queue, HTTP-level behaviours."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.scripted_llm import ScriptedLLM, instance

JUDGE = {"type": "object", "required": ["grounded", "self_contained", "quality", "reason"], "properties": {
    "grounded": {"type": "boolean"}, "self_contained": {"type": "boolean"},
    "quality": {"type": "integer", "minimum": 1, "maximum": 10}, "reason": {"type": "string"}}}


def chat(server, content, **body):
    return httpx.post(server.base_url + "/chat/completions", timeout=10, json={
        "model": "m", "messages": [{"role": "user", "content": content}], **body})


def test_answers_any_schema_it_is_given(scripted):
    reply = chat(scripted, "<chunk>The pair to judge.</chunk>",
                 response_format={"type": "json_schema", "json_schema": {"name": "judge", "schema": JUDGE}})
    doc = json.loads(reply.json()["choices"][0]["message"]["content"])
    assert doc == {"grounded": True, "self_contained": True, "quality": 8, "reason": "scripted answer"}
    assert reply.headers["x-request-id"].startswith("req-scripted-")


def test_extraction_answers_quote_the_chunk():
    chunk = "Incoterms split costs. FOB ends at the ship's rail. CIF adds insurance."
    doc = instance(None, chunk)
    assert len(doc["qa_pairs"]) == 2
    assert all(p["evidence"] in chunk and p["question"].endswith("?") for p in doc["qa_pairs"])


def test_marker_scripts_successive_answers_and_the_queue_comes_first(scripted):
    marker = "<chunk>Text. [[scripted: rate_limit, server_error, valid]]</chunk>"
    codes = [chat(scripted, marker).status_code for _ in range(4)]
    assert codes == [429, 500, 200, 200]
    scripted.queue("bad_request")
    assert chat(scripted, marker).status_code == 400
    assert chat(scripted, marker).status_code == 200


def test_rate_limit_says_when_to_come_back(scripted):
    reply = chat(scripted, "[[scripted: rate_limit]]")
    assert reply.status_code == 429 and float(reply.headers["retry-after"]) > 0


def test_dropped_connection_gives_no_response(scripted):
    with pytest.raises(httpx.RemoteProtocolError):
        chat(scripted, "[[scripted: drop]]")


def test_unknown_behaviour_is_refused():
    with pytest.raises(ValueError, match="unknown scripted behaviour"):
        ScriptedLLM().queue("teleport")
