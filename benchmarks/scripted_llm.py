"""A scripted OpenAI-compatible chat server on 127.0.0.1, for tests and `curator bench extract`.

It speaks real HTTP/1.1 (keep-alive) so the official `openai` SDK talks to it exactly
as to a real endpoint, and it answers `POST /v1/chat/completions` after a fixed
`latency`, serving at most `capacity` requests at once (the rest queue), like a
saturated inference server.

What it answers is chosen per request, first from a queue (`queue("rate_limit",
"valid")`, or `POST /scripted/queue {"behaviours": [...]}` from another process),
else from a marker in the prompt such as ``[[scripted: invalid_json, valid]]``: the
n-th request carrying the same marker and prompt gets the n-th behaviour (the last
one repeats), so "invalid first, valid on the repair re-ask" is one marker.
Without either it answers `valid`: JSON that satisfies the schema the request
carries (OpenAI `json_schema`, llama.cpp `json_object` + `schema`, vLLM
`structured_outputs`), built from the chunk between ``<chunk>`` and ``</chunk>``,
with evidence quoted verbatim from it.

Behaviours: valid, invalid_json, missing_fields, prose, fence, refusal, empty,
length (cut off at max_tokens), too_many, ungrounded, not_question, echo,
rate_limit (429 + Retry-After), server_error (500), bad_request (400),
unauthorized (401 quoting the key it was sent, as some servers do), slow (answers
after `slow_s`), drop (closes the connection without answering); and, to check that
a key never leaks: leak (a valid answer quoting the key it was sent in a pair's
answer), leak_invalid (an invalid answer quoting it), leak_error (a 500 whose body
quotes it), huge (a valid answer padded past `huge_bytes`, for the response cap).

`POST /v1/moderations` answers like OpenAI's moderation endpoint: one unflagged
result per input, or, when an input carries a marker, ``unauthorized`` (401 quoting
the key), ``leak`` (a result quoting the key in a category name and in the reply's
id) or ``huge``.

Run alone: ``python -m benchmarks.scripted_llm --latency 0.2 --capacity 64``
prints its base URL on the first line and serves until stdin closes or it is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
from collections import Counter
from typing import Any, Self

from benchmarks.scripted_answers import MARKER, content_for, instance

__all__ = ["BEHAVIOURS", "ScriptedLLM", "instance", "main"]

BEHAVIOURS = ("valid", "invalid_json", "missing_fields", "prose", "fence", "refusal", "empty", "length",
              "too_many", "ungrounded", "not_question", "echo", "rate_limit", "server_error", "bad_request",
              "unauthorized", "slow", "drop", "leak", "leak_invalid", "leak_error", "huge")


class ScriptedLLM:
    """The server, run on its own event loop in a background thread (`with ScriptedLLM() as srv:`)."""

    def __init__(self, *, latency: float = 0.0, capacity: int = 64, slow_s: float = 5.0,
                 retry_after: float = 0.05, record: bool = True, port: int = 0, huge_bytes: int = 2_000_000) -> None:
        self.latency, self.capacity, self.slow_s, self.retry_after = latency, capacity, slow_s, retry_after
        self.huge_bytes = huge_bytes
        self.record = record
        self.port = port
        self.requests: list[dict[str, Any]] = []   # what arrived: headers and body, when `record`
        self.served: Counter[str] = Counter()      # behaviour -> times used
        self._queue: list[str] = []
        self._seen: Counter[str] = Counter()
        self._counter = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._ready = threading.Event()
        self._writers: set[asyncio.StreamWriter] = set()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def queue(self, *behaviours: str) -> None:
        """Answer the next requests with these behaviours, in order, whatever their prompt says."""
        for b in behaviours:
            _check_behaviour(b)
        with self._lock:
            self._queue.extend(behaviours)

    # -- running -----------------------------------------------------------------------------------
    def start(self) -> ScriptedLLM:
        self._thread = threading.Thread(target=self._run_loop, name="scripted-llm", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the scripted LLM server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            asyncio.run_coroutine_threadsafe(self.close(), self._loop).result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)

    async def close(self) -> None:
        """Stop listening and drop open connections (clients see a closed connection)."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await asyncio.sleep(0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run_loop(self) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self.open())
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            self._server.close()
            self._loop.close()

    async def open(self) -> None:
        """Listen on 127.0.0.1 (a free port unless one was given), in the running loop."""
        self._gate = asyncio.Semaphore(self.capacity)
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]

    # -- HTTP --------------------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                method, path, headers = _parse_head(head)
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                keep = await self._route(method, path, headers, body, writer)
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            return  # a client went away, or the server is shutting down: nothing to report
        finally:
            self._writers.discard(writer)
            if not writer.transport.is_closing():
                writer.close()

    async def _route(self, method: str, path: str, headers: dict[str, str], body: bytes,
                     writer: asyncio.StreamWriter) -> bool:
        path = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and path in ("/v1/models", "/models"):
            return _reply(writer, 200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]})
        if method == "GET" and path in ("/health", "/scripted/stats"):
            return _reply(writer, 200, {"served": dict(self.served), "requests": self._counter})
        if method == "POST" and path == "/scripted/queue":
            self.queue(*json.loads(body or b"{}").get("behaviours", []))
            return _reply(writer, 200, {"queued": len(self._queue)})
        if method == "POST" and path in ("/v1/chat/completions", "/chat/completions"):
            return await self._chat(headers, body, writer)
        if method == "POST" and path in ("/v1/moderations", "/moderations"):
            return self._moderation(headers, body, writer)
        return _reply(writer, 404, {"error": {"message": f"no route {method} {path}", "type": "not_found"}})

    async def _chat(self, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter) -> bool:
        request = json.loads(body)
        behaviour = self._choose(request)
        with self._lock:
            self._counter += 1
            number = self._counter
            self.served[behaviour] += 1
            if self.record:
                self.requests.append({"headers": headers, "body": request, "behaviour": behaviour})
        async with self._gate:
            if self.latency:
                await asyncio.sleep(self.latency)
            if behaviour == "slow":
                await asyncio.sleep(self.slow_s)
        if behaviour == "drop":
            writer.transport.abort()
            return False
        if behaviour == "rate_limit":
            return _reply(writer, 429, _error("rate limit reached, slow down", "rate_limit_exceeded"),
                          {"Retry-After": f"{self.retry_after:g}"})
        if behaviour == "server_error":
            return _reply(writer, 500, _error("the scripted server failed", "server_error"))
        key = headers.get("authorization", "").removeprefix("Bearer ")
        if behaviour == "unauthorized":
            return _reply(writer, 401, _error(f"Incorrect API key provided: {key}", "invalid_api_key"))
        if behaviour == "leak_error":
            return _reply(writer, 500, _error(f"upstream failed for Authorization: Bearer {key}", "server_error"))
        if behaviour == "bad_request":
            return _reply(writer, 400, _error("response_format is not supported here", "invalid_request_error"))
        content, refusal, finish = content_for(behaviour, request)
        if behaviour in ("leak", "leak_invalid", "huge"):
            content = _leaky(behaviour, content, key, self.huge_bytes)
        prompt_chars = sum(len(m.get("content") or "") for m in request.get("messages", []))
        completion_tokens = len(content or refusal or "") // 4
        return _reply(writer, 200, {
            "id": f"chatcmpl-scripted-{number}", "object": "chat.completion", "created": 0,
            "model": request.get("model", "scripted"),
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}],
            "usage": {"prompt_tokens": prompt_chars // 4, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_chars // 4 + completion_tokens,
                      "prompt_tokens_details": {"cached_tokens": 0}},
        }, {"x-request-id": f"req-scripted-{number}"})

    def _moderation(self, headers: dict[str, str], body: bytes, writer: asyncio.StreamWriter) -> bool:
        request = json.loads(body)
        inputs = request.get("input")
        inputs = [inputs] if isinstance(inputs, str) else list(inputs or [])
        found = next((m for m in (MARKER.search(str(t)) for t in inputs) if m), None)
        behaviour = found.group(1).split(",")[0].strip() if found else "valid"
        with self._lock:
            self._counter += 1
            self.served[f"moderation:{behaviour}"] += 1
            if self.record:
                self.requests.append({"headers": headers, "body": request, "behaviour": f"moderation:{behaviour}"})
        key = headers.get("authorization", "").removeprefix("Bearer ")
        if behaviour == "unauthorized":
            return _reply(writer, 401, _error(f"Incorrect API key provided: {key}", "invalid_api_key"))
        categories = {name: False for name in _MODERATION_CATEGORIES}
        scores = {name: 0.01 for name in _MODERATION_CATEGORIES}
        if behaviour == "leak":
            categories[f"echo {key}"], scores[f"echo {key}"] = True, 0.9
        result = {"flagged": behaviour == "leak", "categories": categories, "category_scores": scores,
                  "category_applied_input_types": {name: ["text"] for name in _MODERATION_CATEGORIES}}
        if behaviour == "huge":
            result["padding"] = "x" * self.huge_bytes
        return _reply(writer, 200, {"id": f"modr-{key if behaviour == 'leak' else self._counter}",
                                    "model": request.get("model", "omni-moderation-latest"),
                                    "results": [result for _ in inputs]})

    def _choose(self, request: dict[str, Any]) -> str:
        with self._lock:
            if self._queue:
                return self._queue.pop(0)
        text = "\n".join(m.get("content") or "" for m in request.get("messages", []) if m.get("role") == "user")
        found = MARKER.search(text)
        if not found:
            return "valid"
        script = [s.strip() for s in found.group(1).split(",") if s.strip()]
        first_user = next((m.get("content") or "" for m in request.get("messages", []) if m.get("role") == "user"), "")
        key = found.group(0) + "\x1f" + first_user
        with self._lock:
            n = self._seen[key]
            self._seen[key] += 1
        behaviour = script[min(n, len(script) - 1)]
        _check_behaviour(behaviour)
        return behaviour


def _check_behaviour(name: str) -> None:
    if name not in BEHAVIOURS:
        raise ValueError(f"unknown scripted behaviour {name!r}; known: {', '.join(BEHAVIOURS)}")


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return method, path, headers


def _reply(writer: asyncio.StreamWriter, status: int, doc: dict[str, Any],
           extra: dict[str, str] | None = None) -> bool:
    body = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 429: "Too Many Requests",
              500: "Internal Server Error"}[status]
    head = [f"HTTP/1.1 {status} {reason}", "Content-Type: application/json", f"Content-Length: {len(body)}",
            "Connection: keep-alive", *(f"{k}: {v}" for k, v in (extra or {}).items())]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    return True


_MODERATION_CATEGORIES = ("harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                          "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent", "sexual",
                          "sexual/minors", "violence", "violence/graphic")


def _leaky(behaviour: str, content: str, key: str, huge_bytes: int) -> str:
    """A valid answer quoting the key (leak), an invalid one quoting it, or one padded past `huge_bytes`."""
    doc = json.loads(content)
    pairs = doc.get("qa_pairs") if isinstance(doc, dict) else None
    if behaviour == "huge":
        return json.dumps(doc) + " " * huge_bytes
    if behaviour == "leak_invalid":
        return f"I cannot answer that, my key is {key} {{"
    if pairs:
        pairs[0]["answer"] = f"{pairs[0]['answer']} (served with key {key})"
    elif isinstance(doc, dict):  # another schema (a judge's verdict): quote it in the first string
        for name, value in doc.items():
            if isinstance(value, str):
                doc[name] = f"{value} (served with key {key})"
                break
    return json.dumps(doc, ensure_ascii=False)


def _error(message: str, code: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": code, "code": code}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a scripted OpenAI-compatible chat endpoint on 127.0.0.1.")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds each request takes")
    parser.add_argument("--capacity", type=int, default=64, help="requests served at once; the rest queue")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args(argv)
    server = ScriptedLLM(latency=args.latency, capacity=args.capacity, port=args.port, record=False)

    async def serve() -> None:
        await server.open()
        sys.stdout.write(server.base_url + "\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # serve until whoever started us closes stdin
        await server.close()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
