"""`curator bench extract`: the extract stage against a scripted server of fixed latency and capacity.

The server runs in its own process (so its CPU is not the client's), answering
each request after `latency` seconds, at most `capacity` at once. The best any
client can do is ceil(N / capacity) x latency; `ratio` is how close the real
run gets. `client_cpu_s` is this process's CPU time for the run. The cached
figure is a second workspace holding the same chunks and a copy of the first
one's call log: every answer comes from the cache, nothing is sent. `naive_seconds`
is the seed's approach (one request after another, parsed by hand), timed on a
sample and scaled to N.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import openai

from curator.extract.prompts import builtin_template
from curator.extract.stage import run_extraction
from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from curator.workspace import Workspace, init_workspace

_SENTENCES = (
    "The exporter {i} prepares a commercial invoice listing the goods, their value and the Incoterm agreed.",
    "Customs brokers file the import declaration for shipment {i} and pay the duties assessed on it.",
    "Under FOB the risk passes to the buyer once consignment {i} is on board the vessel at the port.",
    "The issuing bank checks that the documents for credit {i} comply with the letter of credit terms.",
    "Warehouse {i} keeps safety stock sized from the variation of demand during the supplier lead time.",
    "A certificate of origin for lot {i} lets the importer claim the preferential tariff of the trade agreement.",
)


@contextmanager
def scripted_server(latency: float, capacity: int) -> Iterator[str]:
    """The scripted server in a child process; yields its base URL."""
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.scripted_llm", "--latency", str(latency),
                             "--capacity", str(capacity)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    try:
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError("the scripted server did not start")
        yield url
    finally:
        proc.stdin.close()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def chunk_text(i: int) -> str:
    return " ".join(s.format(i=i) for s in _SENTENCES[i % 3:] + _SENTENCES[: i % 3])


def make_workspace(root: Path, chunks: int, base_url: str, capacity: int) -> Workspace:
    ws = init_workspace(root)
    ws.config["llm"].update(base_url=base_url, backend="vllm", model="scripted", concurrency=capacity,
                            max_retries=2, timeout_s=60)
    conn = ws.connect()
    try:
        with transaction(conn):
            source = add_source(conn, "file", str(root / "bench.txt"), doc_kind="transcript")
            texts = [chunk_text(i) for i in range(chunks)]
            doc = add_document(conn, source, str(root / "bench.txt"), "transcript", "\n".join(texts),
                               title="benchmark lecture", language="en")
            offset = 0
            for seq, text in enumerate(texts):
                add_chunk(conn, doc, seq, text, offset, offset + len(text), len(text) // 4)
                offset += len(text) + 1
    finally:
        conn.close()
    return ws


def _timed(ws: Workspace) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = run_extraction(ws)
    return time.perf_counter() - wall, time.process_time() - cpu, summary


def _copy_calls(src: Workspace, dst: Workspace) -> None:
    conn = dst.connect()
    try:
        conn.execute("ATTACH DATABASE ? AS src", (str(src.db_path),))
        with transaction(conn):
            conn.execute("INSERT INTO llm_calls (request_hash, purpose, model, prompt_version, chunk_id, request,"
                         " response, request_id, status, error, error_kind, tokens_in, tokens_out, cached_tokens,"
                         " latency_ms) SELECT request_hash, purpose, model, prompt_version, chunk_id, request,"
                         " response, request_id, status, error, error_kind, tokens_in, tokens_out, cached_tokens,"
                         " latency_ms FROM src.llm_calls")
        conn.execute("DETACH DATABASE src")
    finally:
        conn.close()


def naive_seconds(base_url: str, chunks: int, sample: int) -> float:
    """The seed's way: one request after another, the JSON parsed by hand; timed on `sample`, scaled to `chunks`."""
    client = openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)
    template = builtin_template("en")
    start = time.perf_counter()
    for i in range(sample):
        messages = template.messages(chunk=chunk_text(i), title="benchmark lecture", max_pairs=5)
        reply = client.chat.completions.create(model="scripted", messages=messages, temperature=0.2,
                                               max_tokens=1024)
        text = reply.choices[0].message.content or ""
        try:
            json.loads(text[text.find("{"): text.rfind("}") + 1])
        except json.JSONDecodeError:
            pass
    client.close()
    return (time.perf_counter() - start) / sample * chunks


def bench_extract(*, chunks: int = 2000, latency: float = 0.2, capacity: int = 64,
                  naive_sample: int = 10) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="curator-bench-") as tmp, scripted_server(latency, capacity) as url:
        first = make_workspace(Path(tmp) / "first", chunks, url, capacity)
        seconds, cpu, summary = _timed(first)
        rerun_seconds, _, rerun = _timed(first)
        second = make_workspace(Path(tmp) / "cached", chunks, url, capacity)
        _copy_calls(first, second)
        cached_seconds, cached_cpu, cached = _timed(second)
        naive = naive_seconds(url, chunks, naive_sample)
    ideal = math.ceil(chunks / capacity) * latency
    return {
        "chunks": chunks, "seconds": round(seconds, 3), "ideal_seconds": round(ideal, 3),
        "ratio": round(seconds / ideal, 3) if ideal else None, "client_cpu_s": round(cpu, 3),
        "client_cpu_s_per_100_chunks": round(cpu / chunks * 100, 4), "naive_seconds": round(naive, 1),
        "latency_s": latency, "capacity": capacity, "succeeded": summary.succeeded, "pairs": summary.pairs,
        "requests_sent": summary.requests_sent, "failed": summary.failed, "errored": summary.errored,
        "rerun_seconds": round(rerun_seconds, 3), "rerun_requests_sent": rerun.requests_sent,
        "cached_seconds": round(cached_seconds, 3), "cached_cpu_s": round(cached_cpu, 3),
        "cached_requests_sent": cached.requests_sent, "cached_pairs": cached.pairs,
        "cpu_count": os.cpu_count(),
    }
