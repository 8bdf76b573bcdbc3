"""The structured-call engine: ask an OpenAI-compatible endpoint for JSON that a schema accepts.

Every LLM stage uses it (extraction, the filters' judge, the trainer's judge), so
they share one behaviour: concurrency, rate budgets, retries, the cache, logging,
validation and repair re-asks.

Public API
----------
``Endpoint.from_config(ws.config["llm"], base_url=None)``
    Frozen endpoint settings (base URL, model, backend, temperature, max tokens,
    concurrency, budgets, timeout, retries). The API key is never held here: the
    engine reads the environment variable named by ``api_key_env``.

``StructuredRequest(messages, schema, schema_name="answer", purpose="extract",
prompt_version=None, chunk_id=None, check=None, repair_attempts=1,
use_cache=True, params=None, repair_message=None)``
    One logical call. ``check(document) -> list[str]`` adds semantic checks after
    jsonschema (an empty list means valid). ``params`` are extra sampling
    parameters (e.g. ``{"seed": 2}``) sent and hashed with the request.
    ``repair_message`` is a template with ``{{errors}}`` for the re-ask.

``async with StructuredEngine(endpoint, conn, run_id=None, unit=transaction) as engine:``
``    outcome = await engine.call(request)``
    ``conn`` (a workspace connection, or None for no log and no cache) receives
    one ``llm_calls`` row per request actually sent, committed as soon as the
    answer arrives (``unit``: how a row is written atomically; a run may pass
    ``GroupCommit.unit`` to share commits). A request whose hash is already stored
    with an answer is not sent again: the stored answer is re-validated instead.

``CallOutcome``: ``ok``, ``data`` (the valid document), ``call_id`` (the row of
the answer used), ``call_ids``, ``attempts``, ``sent`` (requests not answered
from the cache), ``repaired``, ``cached``, ``raw``,
``errors``, ``error_kind`` (None, ``invalid``, ``refusal``, ``length``,
``rate_limit``, ``timeout``, ``connection``, ``server``, ``auth``,
``bad_request``, ``not_found``, ``http_NNN``), ``request_id``, ``fatal`` (True
when every later call would fail the same way: stop the run).

``engine.stats``: requests sent, cache hits, tokens, latencies, errors by kind.

``engine.stop_sending()``: requests not yet sent raise ``EngineStopped`` instead
(in-flight ones finish and are recorded); used for a clean Ctrl-C.

``run_sync(coro)`` runs a coroutine from synchronous code (a CLI command).

Cancellation (Ctrl-C) is safe at any await: a row is written in one short
transaction with no await inside, so an abandoned request leaves nothing behind.

Example (a judge over pairs; `open_endpoint` starts the bundled model when no
endpoint is configured)::

    from curator.llm.endpoint import open_endpoint

    async def judge(conn, endpoint, prompts):
        async with StructuredEngine(endpoint, conn) as engine:
            return await asyncio.gather(*(engine.call(StructuredRequest(
                messages=m, schema=JUDGE_SCHEMA, schema_name="judge", purpose="judge",
                prompt_version="judge@1")) for m in prompts))

    with open_endpoint(ws.config["llm"]) as endpoint:
        outcomes = run_sync(judge(conn, endpoint, prompts))
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import openai

from curator.llm.backends import structured_kwargs, with_schema_in_prompt
from curator.llm.calls import (
    DEFAULT_REPAIR,
    FATAL_KINDS,
    BadResponse,
    CallOutcome,
    Endpoint,
    EngineStats,
    EngineStopped,
    StructuredRequest,
    answer_kind,
    describe_error,
    error_kind,
)
from curator.llm.clients import make_clients
from curator.llm.http_guard import ResponseTooLarge
from curator.llm.parsing import parse_answer, validator_for
from curator.llm.ratelimit import RateBudget
from curator.secrets import redact, watch_env
from curator.store.connection import transaction
from curator.store.llm_calls import log_call, stored_answer

__all__ = ["DEFAULT_REPAIR", "FATAL_KINDS", "BadResponse", "CallOutcome", "Endpoint", "EngineStats", "EngineStopped",
           "StructuredEngine", "StructuredRequest", "error_kind", "run_sync"]


@dataclass
class _SchemaInfo:
    schema: dict[str, Any]
    name: str
    sha256: str
    validator: Any
    shape_json: str  # the body members asking the backend for this schema, without braces


def _canonical(value: Any) -> str:
    """Canonical JSON, as curator.store.llm_calls.request_hash makes it."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


@dataclass
class _Answer:
    raw: str | None
    refusal: str | None
    finish: str | None
    request_id: str | None
    tokens_in: int | None
    tokens_out: int | None
    cached_tokens: int | None
    latency_ms: float


class StructuredEngine:
    def __init__(self, endpoint: Endpoint, conn: Any = None, *, run_id: int | None = None,
                 client: openai.AsyncOpenAI | None = None, unit: Callable[..., Any] = transaction) -> None:
        if not endpoint.base_url:
            raise ValueError("the endpoint has no base URL; start the local model or set [llm].base_url")
        self.endpoint, self.conn, self.run_id, self._unit = endpoint, conn, run_id, unit
        watch_env(endpoint.api_key_env)  # its value is blanked out of everything stored, logged or raised
        self._key = os.environ.get(endpoint.api_key_env) or None
        # requests_sent counts what reached the wire, SDK retries included: our clients count in an httpx hook
        # (curator.llm.http_guard); a client handed in by a caller is counted once per call instead.
        self._count_per_call = client is not None
        self._clients = [client] if client is not None else make_clients(endpoint, self._key, self._sent_one)
        self._turn = 0
        self._gate = asyncio.Semaphore(endpoint.concurrency)
        self._budget = RateBudget(endpoint.requests_per_minute, endpoint.tokens_per_minute)
        self.stats = EngineStats()
        self._stopped = False
        self._schemas: dict[int, _SchemaInfo] = {}

    def stop_sending(self) -> None:
        self._stopped = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for client in self._clients:
            await client.close()

    def _sent_one(self) -> None:
        self.stats.requests_sent += 1

    def redact(self, text: str) -> str:
        """`text` with the API key (and any other secret, see curator.secrets) blanked out."""
        text = redact(text) or text
        return text.replace(self._key, "[redacted]") if self._key and len(self._key) >= 4 else text

    async def call(self, req: StructuredRequest) -> CallOutcome:
        """Send (or find in the cache) one structured request, re-asking with the errors while it is invalid."""
        outcome = CallOutcome(ok=False)
        messages = list(req.messages)
        for attempt in range(req.repair_attempts + 1):
            purpose = req.purpose if attempt == 0 else "repair"
            info = self._schema_info(req)
            messages_json = _canonical(messages)
            canonical = self._canonical_request(messages_json, req, info)
            key = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
            outcome.attempts = attempt + 1
            stored = self._stored_answer(key) if req.use_cache else None
            if stored is not None:
                self.stats.cache_hits += 1
                call_id, raw, request_id = stored["id"], stored["response"], stored["request_id"]
                refusal, finish = None, None
                outcome.cached = True
            else:
                outcome.sent += 1
                try:
                    answer = await self._send(messages, messages_json, req, info)
                except (openai.APIError, BadResponse, ResponseTooLarge) as exc:
                    return self._failed(outcome, exc, canonical, key, purpose, req)
                outcome.cached = False
                # an answer quoting the key is redacted before it is parsed: the pairs, the call log, the
                # repair re-ask and the screen all get the same blanked text
                answer.raw, answer.refusal = self._redact_answer(answer.raw), self._redact_answer(answer.refusal)
                raw, refusal, finish, request_id = answer.raw, answer.refusal, answer.finish, answer.request_id
            data, errors = self._judge(raw, refusal, finish, req, info)
            if stored is None:
                call_id = self._log(canonical, key, purpose, req, answer, "invalid" if errors else "ok",
                                    "; ".join(errors) or None, answer_kind(errors, refusal, finish))
            if call_id is not None:
                outcome.call_ids.append(call_id)
            outcome.call_id, outcome.raw, outcome.request_id = call_id, raw if raw is not None else refusal, request_id
            if not errors:
                outcome.ok, outcome.data, outcome.errors, outcome.error_kind = True, data, [], None
                outcome.repaired = attempt > 0
                return outcome
            outcome.errors, outcome.error_kind = errors, answer_kind(errors, refusal, finish)
            messages = [*messages, {"role": "assistant", "content": raw if raw is not None else (refusal or "")},
                        {"role": "user", "content": (req.repair_message or DEFAULT_REPAIR).replace(
                            "{{errors}}", "\n".join(f"- {e}" for e in errors))}]
        return outcome

    # -- pieces -------------------------------------------------------------------------------------
    def _schema_info(self, req: StructuredRequest) -> _SchemaInfo:
        """Per schema, computed once: its hash, its validator, and the JSON that asks the backend for it."""
        known = self._schemas.get(id(req.schema))
        if known is not None and known.schema is req.schema and known.name == req.schema_name:
            return known
        shape = structured_kwargs(self.endpoint.backend, req.schema, req.schema_name)
        shape.update(shape.pop("extra_body", {}))
        info = _SchemaInfo(schema=req.schema, name=req.schema_name,
                           sha256=hashlib.sha256(_canonical(req.schema).encode("utf-8")).hexdigest(),
                           validator=validator_for(req.schema),
                           shape_json=json.dumps(shape, ensure_ascii=False)[1:-1])
        if len(self._schemas) > 256:  # per-chunk schemas (grammar-guided) come and go
            self._schemas.clear()
        self._schemas[id(req.schema)] = info
        return info

    def _canonical_request(self, messages_json: str, req: StructuredRequest, info: _SchemaInfo) -> str:
        """The request as canonical JSON (sorted keys, no spaces): hashed as the cache key, stored as the request.

        It is exactly `_canonical` of {backend, messages, model, params, prompt_version, schema_name,
        schema_sha256}, assembled from pieces so the messages are serialized once per call. Never
        headers, never the key.
        """
        ep = self.endpoint
        params = {"temperature": ep.temperature, "max_tokens": ep.max_tokens, **(req.params or {})}
        return (f'{{"backend":{_canonical(ep.backend)},"messages":{messages_json},"model":{_canonical(ep.model)},'
                f'"params":{_canonical(params)},"prompt_version":{_canonical(req.prompt_version)},'
                f'"schema_name":{_canonical(req.schema_name)},"schema_sha256":"{info.sha256}"}}')

    def _stored_answer(self, key: str) -> dict[str, Any] | None:
        if self.conn is None:
            return None
        return stored_answer(self.conn, key)

    async def _send(self, messages: list[dict[str, Any]], messages_json: str, req: StructuredRequest,
                    info: _SchemaInfo) -> _Answer:
        """POST the chat completion through the SDK client (its retries, backoff, Retry-After and timeout).

        The body is built and read as plain JSON: the typed `chat.completions.create` spends
        about 2 ms of CPU per call transforming and re-validating the parameters, more than
        the rest of the extraction of a chunk.
        """
        ep = self.endpoint
        if ep.backend == "generic":
            messages_json = _canonical(with_schema_in_prompt(messages, req.schema))
        scalars = json.dumps({"model": ep.model, "temperature": ep.temperature, "max_tokens": ep.max_tokens,
                              **(req.params or {})}, ensure_ascii=False)[1:-1]
        parts = [scalars, f'"messages":{messages_json}'] + ([info.shape_json] if info.shape_json else [])
        payload = ("{" + ",".join(parts) + "}").encode("utf-8")
        estimate = len(payload) // 4 + ep.max_tokens
        async with self._gate:
            if self._stopped:
                raise EngineStopped()
            reserved = await self._budget.acquire(estimate)
            if self._count_per_call:
                self.stats.requests_sent += 1
            self._turn += 1
            client = self._clients[self._turn % len(self._clients)]
            start = time.perf_counter()
            content = await client.post("/chat/completions", cast_to=bytes, content=payload)
            latency = (time.perf_counter() - start) * 1000
        if len(content) > ep.max_response_bytes:  # a client handed in without the cap, or a compressed answer
            raise ResponseTooLarge(ep.max_response_bytes, len(content))
        try:
            completion = json.loads(content)
            choice = (completion.get("choices") or [{}])[0]
            message = choice.get("message") or {}
        except (ValueError, AttributeError, TypeError) as exc:
            raise BadResponse(f"the endpoint answered 200 with a body that is not a chat completion: "
                              f"{self.redact(repr(content[:200]))}") from exc
        usage = completion.get("usage") or {}
        tokens_in, tokens_out = usage.get("prompt_tokens"), usage.get("completion_tokens")
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        self._budget.settle(reserved, (tokens_in or 0) + (tokens_out or 0) if usage else reserved)
        self.stats.tokens_in += tokens_in or 0
        self.stats.tokens_out += tokens_out or 0
        self.stats.cached_tokens += cached or 0
        self.stats.latencies_ms.append(latency)
        return _Answer(raw=message.get("content"), refusal=message.get("refusal"),
                       finish=choice.get("finish_reason"), request_id=completion.get("id"),
                       tokens_in=tokens_in, tokens_out=tokens_out, cached_tokens=cached, latency_ms=latency)

    def _redact_answer(self, text: str | None) -> str | None:
        return self.redact(text) if text else text

    def _judge(self, raw: str | None, refusal: str | None, finish: str | None,
               req: StructuredRequest, info: _SchemaInfo) -> tuple[Any, list[str]]:
        if raw is None and refusal:
            return None, [f"the model refused: {refusal}"]
        data, errors = parse_answer(raw, req.schema, req.check, validator=info.validator)
        if errors and finish == "length":
            errors = [f"the answer was cut off at max_tokens ({self.endpoint.max_tokens})", *errors]
        return data, errors

    def _log(self, canonical: str, key: str, purpose: str, req: StructuredRequest, answer: _Answer | None,
             status: str, error: str | None, kind: str | None) -> int | None:
        if self.conn is None:
            return None
        fields: dict[str, Any] = {
            "request_hash": key, "purpose": purpose, "model": self.endpoint.model,
            # request and error are redacted by the store as it inserts them (curator.store.rows.REDACTED_COLUMNS)
            "prompt_version": req.prompt_version, "chunk_id": req.chunk_id, "request": canonical,
            "status": status, "error": error, "error_kind": kind,
            "run_id": self.run_id}
        if answer is not None:
            fields.update(response=answer.raw if answer.raw is not None else answer.refusal,
                          request_id=answer.request_id, tokens_in=answer.tokens_in, tokens_out=answer.tokens_out,
                          cached_tokens=answer.cached_tokens, latency_ms=round(answer.latency_ms, 2))
        with self._unit(self.conn):
            return log_call(self.conn, **fields)

    def _failed(self, outcome: CallOutcome, exc: Exception, canonical: str, key: str, purpose: str,
                req: StructuredRequest) -> CallOutcome:
        kind = error_kind(exc)
        message = self.redact(f"{kind}: {describe_error(exc)}")
        self.stats.errors[kind] += 1
        call_id = self._log(canonical, key, purpose, req, None, "error", message, kind)
        if call_id is not None:
            outcome.call_ids.append(call_id)
        outcome.call_id, outcome.errors, outcome.error_kind = call_id, [message], kind
        return outcome


def run_sync(coro: Any) -> Any:
    """Run an engine coroutine from synchronous code."""
    return asyncio.run(coro)
