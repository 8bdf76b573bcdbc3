"""What every LLM HTTP request goes through on the wire: a count of requests really sent, and a cap on answers.

Both are httpx event hooks installed on the SDK's HTTP client, not code around the
SDK call, because the SDK retries on its own (429, 5xx, timeouts, dropped
connections) inside one `post()`: counting at the call site saw 12 requests where
the server received 48. The request hook runs once per attempt, so the count is
what reached the endpoint, and the SDK keeps doing what it does well (backoff,
Retry-After, x-should-retry). Disabling its retries and retrying ourselves would
count the same but re-implement all of that.

The response hook refuses an answer whose Content-Length is over the cap before its
body is read, and wraps the body so that a chunked answer without a length stops
at the cap: memory, the call log and a repair re-ask never hold more than
`max_response_bytes` of one answer. Compression is turned off (Accept-Encoding:
identity) so the cap counts the bytes that will be parsed, not a gzip bomb's
compressed size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai

try:  # the SDK's HTTP library: httpx2 in recent releases, httpx before
    import httpx2 as http
except ImportError:
    import httpx as http


class ResponseTooLarge(openai.OpenAIError):
    """The endpoint's answer is larger than [llm].max_response_bytes.

    An OpenAIError, because the SDK propagates those as they are, without retrying: asking
    again would pay for the same oversized answer again.
    """

    def __init__(self, limit: int, size: int | None = None) -> None:
        seen = f"{size:,} bytes" if size is not None else f"more than {limit:,} bytes"
        super().__init__(f"the endpoint's answer was too large ({seen}; [llm].max_response_bytes is {limit:,}); "
                         "it was not read, stored or re-sent")
        self.limit, self.size = limit, size


def too_large_cause(exc: BaseException | None) -> ResponseTooLarge | None:
    """The ResponseTooLarge that is, or is behind, an error (an SDK may wrap what a hook raises)."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, ResponseTooLarge):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _declared_length(response: Any) -> int | None:
    try:
        return int(response.headers.get("content-length", ""))
    except ValueError:
        return None


class _CappedAsyncStream(http.AsyncByteStream):
    def __init__(self, inner: Any, limit: int) -> None:
        self._inner, self._limit = inner, limit

    async def __aiter__(self) -> Any:
        seen = 0
        async for part in self._inner:
            seen += len(part)
            if seen > self._limit:
                raise ResponseTooLarge(self._limit)
            yield part

    async def aclose(self) -> None:
        await self._inner.aclose()


class _CappedSyncStream(http.SyncByteStream):
    def __init__(self, inner: Any, limit: int) -> None:
        self._inner, self._limit = inner, limit

    def __iter__(self) -> Any:
        seen = 0
        for part in self._inner:
            seen += len(part)
            if seen > self._limit:
                raise ResponseTooLarge(self._limit)
            yield part

    def close(self) -> None:
        self._inner.close()


def async_hooks(max_bytes: int | None, on_request: Callable[[], None] | None = None) -> dict[str, list[Any]]:
    """Event hooks for an httpx AsyncClient: count each request sent, cap each answer at `max_bytes`.

    `max_bytes` None: no response hook (the lean transport reads and caps the body itself, before any hook).
    """
    async def request(req: Any) -> None:
        req.headers["Accept-Encoding"] = "identity"
        if on_request is not None:
            on_request()

    async def response(resp: Any) -> None:
        size = _declared_length(resp)
        if size is not None and size > max_bytes:
            raise ResponseTooLarge(max_bytes, size)
        resp.stream = _CappedAsyncStream(resp.stream, max_bytes)

    return {"request": [request], "response": [response] if max_bytes is not None else []}


def sync_hooks(max_bytes: int, on_request: Callable[[], None] | None = None) -> dict[str, list[Any]]:
    """The same hooks for a synchronous httpx Client (the moderation client)."""
    def request(req: Any) -> None:
        req.headers["Accept-Encoding"] = "identity"
        if on_request is not None:
            on_request()

    def response(resp: Any) -> None:
        size = _declared_length(resp)
        if size is not None and size > max_bytes:
            raise ResponseTooLarge(max_bytes, size)
        resp.stream = _CappedSyncStream(resp.stream, max_bytes)

    return {"request": [request], "response": [response]}
