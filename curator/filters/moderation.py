"""Moderation through OpenAI's moderation endpoint (`omni-moderation-latest`), in batches.

Only when the configured endpoint is OpenAI ([llm].backend = "openai"); otherwise
it is off and `curator status` says so. Each pair's question and answer are sent
as one text; the highest category score is stored, with the categories the
endpoint flagged. A pair whose text has not changed since it was last checked with
the same model is not sent again. Every batch is logged in `llm_calls` (purpose
"moderation"), and a batch already answered is read back from there, so a killed
run loses nothing it paid for. The API key is read from the environment variable
[llm].api_key_env and never stored.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from typing import Any

import openai

from curator.errors import CuratorError
from curator.filters.normalize import text_hash
from curator.filters.pair_pool import PairPool
from curator.filters.results import FilterOutput, Progress, ScoreRow
from curator.filters.settings import FilterSettings
from curator.llm.endpoint import warn_if_keyless
from curator.llm.http_guard import sync_hooks, too_large_cause
from curator.secrets import redact, redact_data, watch_env
from curator.store.connection import transaction
from curator.store.llm_calls import cached_call, log_call, request_hash
from curator.store.measurements import current_scores_of_kind
from curator.store.runs import record_error
from curator.workspace import Workspace

MODERATION_KINDS = ("moderation",)
OPENAI_URL = "https://api.openai.com/v1"


def moderation_client(llm: dict[str, Any]) -> openai.OpenAI:
    watch_env(llm["api_key_env"])
    key = os.environ.get(llm["api_key_env"])
    base_url = llm.get("base_url") or OPENAI_URL
    if not key:
        if "api.openai.com" in base_url:
            raise CuratorError(f"moderation needs an API key: set the environment variable {llm['api_key_env']} "
                               "(never in curator.toml).")
        warn_if_keyless(base_url, llm["api_key_env"])
        key = "not-needed"  # a local OpenAI-compatible endpoint without authentication
    limit = int(llm.get("max_response_bytes", 1_000_000))
    return openai.OpenAI(base_url=base_url, api_key=key, timeout=float(llm.get("timeout_s", 120)),
                         max_retries=int(llm.get("max_retries", 3)),
                         http_client=openai.DefaultHttpxClient(event_hooks=sync_hooks(limit)))


def _score_row(pair_id: int, result: dict[str, Any], model: str, digest: str) -> ScoreRow:
    scores = result.get("category_scores") or {}
    flagged_categories = sorted(k for k, v in (result.get("categories") or {}).items() if v)
    top = dict(sorted(scores.items(), key=lambda kv: -(kv[1] or 0))[:3])
    score = max((v for v in scores.values() if v is not None), default=0.0)
    if flagged_categories:
        reason = f"flagged by {model}: {', '.join(flagged_categories)}"
    else:
        best = next(iter(top), None)
        reason = f"not flagged by {model}" + (f" (highest: {best} {top[best]:.2f})" if best else "")
    return ScoreRow(pair_id, "moderation", round(float(score), 4), reason,
                    {"flagged": bool(result.get("flagged")), "categories": flagged_categories,
                     "top": {k: round(float(v), 4) for k, v in top.items()}, "model": model, "text_hash": digest})


def moderation_output(ws: Workspace, conn: sqlite3.Connection, pool: PairPool, settings: FilterSettings,
                      run_id: int, progress: Progress | None = None, *,
                      client: openai.OpenAI | None = None) -> FilterOutput:
    """Moderation scores for every pair of `pool` (held-out ones too: they are shown to people as well)."""
    llm = ws.config["llm"]
    if llm["backend"] != "openai":
        raise CuratorError("moderation needs an OpenAI endpoint ([llm].backend = \"openai\").")
    model = settings.moderation_model
    out = FilterOutput(kinds=MODERATION_KINDS)
    previous = current_scores_of_kind(conn, "moderation")
    todo: list[tuple[int, str, str]] = []
    for pid, q, a in zip(pool.ids.tolist(), pool.question, pool.answer):
        text = f"{q}\n{a}"
        digest = text_hash(text)
        old = previous.get(pid)
        if old and old[2].get("text_hash") == digest and old[2].get("model") == model:
            out.scores.append(ScoreRow(pid, "moderation", old[0], old[1], old[2]))
        else:
            todo.append((pid, text, digest))
    out.counts = {"unchanged": len(out.scores), "sent": 0, "cached": 0, "failed": 0}
    api = client or moderation_client(llm)
    size = settings.moderation_batch_size
    for start in range(0, len(todo), size):
        batch = todo[start:start + size]
        if progress:
            progress(f"moderation: {start + len(batch)}/{len(todo)} pairs")
        results = _moderate(conn, api, model, [t for _, t, _ in batch], run_id, out.counts)
        if results is None:
            out.counts["failed"] += len(batch)
            for pid, _, _ in batch:  # keep what an earlier run found rather than nothing
                if pid in previous:
                    out.scores.append(ScoreRow(pid, "moderation", *previous[pid]))
            continue
        for (pid, _, digest), result in zip(batch, results):
            out.scores.append(_score_row(pid, result, model, digest))
    out.counts["flagged"] = sum(bool(r.details.get("flagged")) for r in out.scores)
    return out


def _moderate(conn: sqlite3.Connection, api: openai.OpenAI, model: str, texts: list[str], run_id: int,
              counts: dict[str, int]) -> list[dict[str, Any]] | None:
    """The endpoint's results for one batch (from the call log when this exact batch was answered before)."""
    request = {"model": model, "input": texts}
    key = request_hash({"purpose": "moderation", **request})
    stored = cached_call(conn, key)
    if stored is not None:
        counts["cached"] += len(texts)
        return json.loads(stored["response"])["results"]
    started = time.perf_counter()
    try:
        response = api.moderations.create(model=model, input=texts)
    except openai.OpenAIError as exc:
        # the same redaction as every other LLM call: a 401 body may quote the key, a URL may carry one
        why = too_large_cause(exc)
        message = redact(f"moderation request of {len(texts)} texts failed: "
                         + (f"too_large: {why}" if why else f"{type(exc).__name__}: {exc}"))
        record_error(conn, "filter", "moderation", message, run_id)
        with transaction(conn):
            log_call(conn, request_hash=key, purpose="moderation", model=model, request=json.dumps(request),
                     status="error", error=message, run_id=run_id)
        return None
    results, problem = _results_of(response, len(texts))
    results = redact_data(results)
    if problem:
        message = f"moderation reply for {len(texts)} texts was not usable ({problem}); the pairs keep their scores"
        record_error(conn, "filter", "moderation", message, run_id)
        with transaction(conn):
            log_call(conn, request_hash=key, purpose="moderation", model=model, request=json.dumps(request),
                     status="error", error=message, run_id=run_id)
        return None
    with transaction(conn):
        log_call(conn, request_hash=key, purpose="moderation", model=model, request=json.dumps(request),
                 response=json.dumps({"results": results}), status="ok", run_id=run_id,
                 latency_ms=round((time.perf_counter() - started) * 1000, 1),
                 request_id=getattr(response, "id", None))
    counts["sent"] += len(texts)
    return results


def _results_of(response: Any, expected: int) -> tuple[list[dict[str, Any]], str | None]:
    """The reply's per-text results, or why they cannot be used: the SDK does not check a reply's shape,
    so a proxy that drops `results` or answers for fewer texts would otherwise fail deep inside, or
    score the wrong pairs."""
    raw = getattr(response, "results", None)
    if not isinstance(raw, list):
        return [], "it has no `results` list"
    results = [r.model_dump() if hasattr(r, "model_dump") else r for r in raw]
    if len(results) != expected:
        return [], f"it holds {len(results)} result(s) for {expected} text(s)"
    if not all(isinstance(r, dict) for r in results):
        return [], "a result is not an object"
    return results, None
