"""What reaches the wire is what is counted (SDK retries included), and an answer over the size cap fails its call."""

from __future__ import annotations

import asyncio

import pytest

from curator.extract.stage import run_extraction

from .conftest import add_chunks, lecture, point_at, set_config
from .test_engine import call, request


def test_requests_sent_counts_the_sdks_own_retries(scripted, conn):
    scripted.queue("server_error", "rate_limit", "valid")
    outcome, stats = call(scripted, request(), conn, max_retries=3)
    assert outcome.ok
    assert stats.requests_sent == len(scripted.requests) == 3  # one call, three requests on the wire


def test_extraction_summary_counts_every_request_the_server_received(workspace, scripted):
    point_at(workspace, scripted, max_retries=2)
    add_chunks(workspace, [lecture(i, "") for i in range(4)])
    scripted.queue("server_error", "server_error", "rate_limit")  # three retries spread over the first calls
    summary = run_extraction(workspace)
    assert summary.succeeded == 4
    assert summary.requests_sent == len(scripted.requests) == 7


def test_an_answer_over_the_cap_fails_its_call_and_is_neither_stored_nor_re_sent(workspace, conn):
    from tests.support.scripted_llm import ScriptedLLM

    with ScriptedLLM(huge_bytes=300_000) as server:
        point_at(workspace, server, max_retries=0, max_response_bytes=50_000)
        set_config(workspace, "extract", repair_attempts=2)
        add_chunks(workspace, [lecture(0, "[[scripted: huge]]"), lecture(1)])
        summary = run_extraction(workspace)
        chats = [r for r in server.requests if "messages" in r["body"]]
    assert summary.succeeded == 1 and summary.errored == 1
    assert len(chats) == 2  # no repair re-ask carried the oversized answer back
    row = conn.execute("SELECT error, error_kind, response FROM llm_calls WHERE status = 'error'").fetchone()
    assert row["error_kind"] == "too_large" and row["response"] is None
    assert "max_response_bytes is 50,000" in row["error"]
    error = conn.execute("SELECT extract_error FROM chunks WHERE extract_error IS NOT NULL").fetchone()
    assert error is None or "too large" in error[0]
    largest = conn.execute("SELECT MAX(LENGTH(response)) FROM llm_calls").fetchone()[0]
    assert largest < 50_000


@pytest.mark.parametrize("declare_length", [True, False])
def test_the_cap_holds_on_the_sdks_default_transport_with_or_without_a_length(declare_length):
    """https endpoints use the SDK's HTTP transport, not the lean one: the event hooks cap a body there."""
    from curator.llm.http_guard import ResponseTooLarge, async_hooks
    from curator.llm.http_guard import http as httpx  # the HTTP library the SDK's clients are made of

    body = b"x" * 100_000

    def handler(req: httpx.Request) -> httpx.Response:
        if declare_length:
            return httpx.Response(200, content=body)

        async def chunks():
            for i in range(0, len(body), 4096):
                yield body[i:i + 4096]
        return httpx.Response(200, content=chunks())

    sent: list[int] = []

    async def go() -> bytes:
        hooks = async_hooks(10_000, lambda: sent.append(1))
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler), event_hooks=hooks) as client:
            return (await client.get("http://example.test/answer")).content
    with pytest.raises(ResponseTooLarge, match="max_response_bytes is 10,000"):
        asyncio.run(go())
    assert sent == [1]
