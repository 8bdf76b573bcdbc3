"""`curator bench llm`: how fast a user's endpoint answers extraction-shaped requests, at several concurrencies.

For each concurrency level it sends the same number of structured requests
(nothing cached, nothing stored) and reports throughput, tokens out per second,
latency percentiles and the share of answers that were valid JSON for the
schema. The suggested concurrency is the smallest level that reaches 90% of the
best throughput: beyond it, more requests in flight only add latency.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from curator.extract.extractor import ANSWER_KINDS, extraction_schema
from curator.extract.prompts import builtin_template
from curator.llm.endpoint import check_key
from curator.llm.engine import Endpoint, StructuredEngine, StructuredRequest

SAMPLE_PASSAGES = (
    ("Under FOB, the seller delivers the goods on board the vessel nominated by the buyer at the named port of "
     "shipment. The risk of loss passes when the goods are on board, and the buyer pays the main carriage."),
    ("A letter of credit is a bank's undertaking to pay the exporter against documents that comply with its "
     "terms. The issuing bank examines the documents, not the goods, so discrepancies matter."),
    ("Safety stock protects a warehouse against variation in demand and in supplier lead time. It is usually "
     "sized from the standard deviation of demand during the lead time and the service level wanted."),
    ("A certificate of origin proves where goods were made. Under a free trade agreement it lets the importer "
     "claim a preferential tariff rate, provided the rules of origin are met."),
)


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def _level(endpoint: Endpoint, count: int) -> dict[str, Any]:
    template = builtin_template("en")
    schema = extraction_schema(5)
    async with StructuredEngine(endpoint, None) as engine:
        requests = [StructuredRequest(
            messages=template.messages(chunk=SAMPLE_PASSAGES[i % len(SAMPLE_PASSAGES)], title="benchmark",
                                       max_pairs=3),
            schema=schema, schema_name="qa_extraction", purpose="bench", repair_attempts=0, use_cache=False)
            for i in range(count)]
        start = time.perf_counter()
        outcomes = await asyncio.gather(*(engine.call(r) for r in requests))
        seconds = time.perf_counter() - start
        stats = engine.stats
    answered = sum(o.ok or o.error_kind in ANSWER_KINDS for o in outcomes)
    return {
        "concurrency": endpoint.concurrency, "requests": count, "seconds": round(seconds, 3),
        "requests_per_s": round(count / seconds, 3) if seconds else 0.0,
        "tokens_out_per_s": round(stats.tokens_out / seconds, 1) if seconds else 0.0,
        "latency_ms_p50": round(_percentile(stats.latencies_ms, 0.5), 1),
        "latency_ms_p95": round(_percentile(stats.latencies_ms, 0.95), 1),
        "json_valid_rate": round(sum(o.ok for o in outcomes) / count, 3),
        "errors": sum(stats.errors.values()), "errors_by_kind": dict(stats.errors),
        "answered": answered,
    }


def measure_endpoint(*, base_url: str, model: str, backend: str = "openai", levels: list[int] | None = None,
                     requests: int = 32, max_tokens: int = 512, api_key_env: str = "OPENAI_API_KEY",
                     timeout_s: float = 120.0) -> dict[str, Any]:
    results = []
    for level in levels or [1, 2, 4, 8, 16, 32]:
        endpoint = Endpoint(base_url=base_url, model=model, backend=backend, api_key_env=api_key_env,
                            max_tokens=max_tokens, concurrency=level, timeout_s=timeout_s, max_retries=1)
        check_key(endpoint)
        results.append(asyncio.run(_level(endpoint, max(requests, level))))
    best = max(r["requests_per_s"] for r in results)
    suggested = next(r["concurrency"] for r in results if r["requests_per_s"] >= 0.9 * best)
    return {"base_url": base_url, "model": model, "backend": backend, "levels": results,
            "suggested_concurrency": suggested}
