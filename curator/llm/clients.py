"""The SDK clients the engine sends through: one on the lean transport, or several small default pools."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

from curator.llm.calls import Endpoint
from curator.llm.http_guard import async_hooks
from curator.llm.transport import LeanTransport, lean_transport_fits


def make_clients(endpoint: Endpoint, key: str | None,
                 on_request: Callable[[], None] | None = None) -> list[openai.AsyncOpenAI]:
    """The SDK clients requests are spread over; `on_request` is called for every HTTP request sent (retries too).

    Plain-http endpoints get the lean transport (one client). Otherwise several clients each
    with a small connection pool: the default pool's bookkeeping grows with its size on every
    request, so 4 pools of 16 cost far less CPU than one pool of 64. Every client caps answers
    at [llm].max_response_bytes (see curator.llm.http_guard).
    """
    def make(http_client: Any) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(base_url=endpoint.base_url, api_key=key or "no-key", timeout=endpoint.timeout_s,
                                  max_retries=endpoint.max_retries, http_client=http_client)
    if lean_transport_fits(endpoint.base_url):
        transport = LeanTransport(max_idle=endpoint.concurrency + 8, max_body=endpoint.max_response_bytes)
        return [make(openai.DefaultAsyncHttpxClient(transport=transport, verify=False,
                                                    event_hooks=async_hooks(None, on_request)))]
    hooks = async_hooks(endpoint.max_response_bytes, on_request)
    return [make(openai.DefaultAsyncHttpxClient(limits=_limits(n), event_hooks=hooks))
            for n in _pools(endpoint.concurrency)]


def _pools(concurrency: int, per_pool: int = 16) -> list[int]:
    count = max(1, -(-concurrency // per_pool))
    return [-(-concurrency // count)] * count


def _limits(concurrency: int) -> Any:
    try:  # the SDK's HTTP client: httpx2 in recent releases, httpx before
        import httpx2 as http
    except ImportError:
        import httpx as http
    return http.Limits(max_connections=concurrency + 8, max_keepalive_connections=concurrency + 8)
