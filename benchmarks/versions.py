"""`curator bench versions`: time create, diff, export and verify on a generated workspace of N accepted pairs.

Besides the wall-clock figures it reports the CPU seconds create used (this process and the child
process that reads the pairs) and the load average before create, so a figure taken on a busy
machine can be told apart from a slow one. `peak_rss_mb` is the larger of this process's own peak
over the whole benchmark (generating the workspace included) and the largest sum of this process's
and its children's resident memory, sampled every 0.05 s from create to verify.

The workspace is written with bulk `executemany` in large transactions (add_pair one
by one would take longer than what is measured). It looks like a real one: sources,
documents, chunks with transcript times, LLM calls, a creation and an acceptance in
the review log for every pair, and a few percent of pairs flagged so that the filter
joins do real work. The second version for the diff changes, adds and rejects pairs.
"""

from __future__ import annotations

import hashlib
import os
import random
import resource
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.processes import RssSampler
from curator.store import transaction
from curator.workspace import Workspace, init_workspace

BATCH = 50_000
_WORDS = ("incoterms", "letter of credit", "bill of lading", "customs", "tariff", "origin", "container",
          "freight", "insurance", "warehouse", "supply chain", "invoice", "clearance", "FOB", "CIF",
          "통관", "원산지", "신용장", "선하증권", "관세", "물류", "보험", "수출", "수입", "창고")
_STAMP = "2026-01-01T00:00:00.000000Z"


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(_WORDS) for _ in range(words))


def _lineage(i: int) -> str:
    return hashlib.blake2b(str(i).encode(), digest_size=12).hexdigest()


def _pair_rows(start: int, stop: int, chunks: int, docs: int, rng: random.Random) -> Iterator[tuple]:
    for i in range(start, stop):
        origin = ("llm", "llm", "llm", "glossary", "exam", "import")[i % 6]
        chunk = (i % chunks) + 1 if origin == "llm" else None
        doc = (i % docs) + 1
        yield (i + 1, _lineage(i), f"Question {i}: what does {_text(rng, 4)} mean?",
               f"Answer {i}: " + _text(rng, rng.randint(10, 40)) + ".",
               _text(rng, 6) if chunk else None, 0 if chunk else None, 40 if chunk else None,
               95.0 if chunk else None, origin, "qa-v1" if chunk else f"{origin}-template",
               "extract-v1" if chunk else None, "gemma-3-270m" if chunk else None,
               "ko" if i % 2 else "en", None if chunk else 1 + doc % 10, None if chunk else doc, chunk,
               chunk, "accepted", 1 if origin == "exam" and i % 60 == 4 else 0, _STAMP, _STAMP)


def generate_workspace(root: Path, n_pairs: int, *, seed: int = 7) -> Workspace:
    """A fresh workspace at `root` holding `n_pairs` accepted pairs with full lineage."""
    ws = init_workspace(root)
    conn = ws.connect()
    rng = random.Random(seed)
    n_docs = max(1, n_pairs // 40)
    n_chunks = max(1, n_pairs // 4)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        with transaction(conn):
            conn.executemany("INSERT INTO sources (id, kind, uri, doc_kind) VALUES (?, 'file', ?, 'document')",
                             [(s, f"/data/bench/source-{s}.txt") for s in range(1, 11)])
            conn.executemany(
                "INSERT INTO documents (id, source_id, uri, kind, content, content_hash) VALUES (?, ?, ?, ?, ?, ?)",
                [(d, 1 + d % 10, f"/data/bench/source-{1 + d % 10}.txt#doc-{d}",
                  "transcript" if d % 3 == 0 else "text", "(bench)", f"{d:064x}") for d in range(1, n_docs + 1)])
        for lo in range(0, n_chunks, BATCH):
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO chunks (id, document_id, seq, text, char_start, char_end, time_start, time_end,"
                    " token_estimate, extract_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 100, 'done')",
                    [(c, 1 + c % n_docs, c, _text(rng, 60), c * 10, c * 10 + 400,
                      float(c) if (1 + c % n_docs) % 3 == 0 else None,
                      float(c) + 90 if (1 + c % n_docs) % 3 == 0 else None)
                     for c in range(lo + 1, min(lo + BATCH, n_chunks) + 1)])
                conn.executemany(
                    "INSERT INTO llm_calls (id, request_hash, purpose, model, prompt_version, chunk_id, request,"
                    " status, tokens_in, tokens_out) VALUES (?, ?, 'extract', 'gemma-3-270m', 'extract-v1', ?,"
                    " '{}', 'ok', 500, 200)",
                    [(c, f"{c:064x}", c) for c in range(lo + 1, min(lo + BATCH, n_chunks) + 1)])
        for lo in range(0, n_pairs, BATCH):
            hi = min(lo + BATCH, n_pairs)
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO qa_pairs (id, lineage_id, question, answer, evidence, evidence_start, evidence_end,"
                    " evidence_score, origin, template, prompt_version, model, language, source_id, document_id,"
                    " chunk_id, llm_call_id, status, held_out, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    _pair_rows(lo, hi, n_chunks, n_docs, rng))
                conn.executemany(
                    "INSERT INTO reviews (pair_id, action, actor, created_at) VALUES (?, ?, ?, ?)",
                    [row for p in range(lo + 1, hi + 1)
                     for row in ((p, "create", "machine:bench", _STAMP), (p, "accept", f"reviewer{p % 3}", _STAMP))])
                conn.executemany(
                    "INSERT INTO flags (pair_id, kind, score, reason) VALUES (?, ?, ?, 'bench')",
                    [(p, "near_duplicate" if p % 100 else "judge", 0.9 if p % 100 else float(p // 100 % 10 + 1))
                     for p in range(lo + 1, hi + 1) if p % 50 == 0])
    finally:
        conn.close()
    return ws


def change_some_pairs(ws: Workspace, n_pairs: int, *, seed: int = 11) -> dict[str, int]:
    """Edit, reject and add about 1% of pairs each, as a day of review would, straight in the store."""
    rng = random.Random(seed)
    step = 100
    conn = ws.connect()
    try:
        with transaction(conn):
            edited = conn.execute(
                "INSERT INTO qa_pairs (lineage_id, revision, parent_id, question, answer, evidence, evidence_start,"
                " evidence_end, evidence_score, origin, template, prompt_version, model, language, source_id,"
                " document_id, chunk_id, llm_call_id, status, held_out)"
                " SELECT lineage_id, revision + 1, id, question, answer || ' (revised)', evidence, evidence_start,"
                " evidence_end, evidence_score, origin, template, prompt_version, model, language, source_id,"
                " document_id, chunk_id, llm_call_id, status, held_out FROM qa_pairs"
                " WHERE id <= ? AND id % ? = 1", (n_pairs, step)).rowcount
            conn.execute("UPDATE qa_pairs SET status = 'superseded' WHERE id <= ? AND id % ? = 1", (n_pairs, step))
            rejected = conn.execute("UPDATE qa_pairs SET status = 'rejected' WHERE id <= ? AND id % ? = 2",
                                    (n_pairs, step)).rowcount
            added = max(1, n_pairs // step)
            conn.executemany(
                "INSERT INTO qa_pairs (lineage_id, question, answer, origin, template, language, source_id,"
                " document_id, status) VALUES (?, ?, ?, 'import', 'import', 'en', 1, 1, 'accepted')",
                [(_lineage(10**12 + k), f"New question {k} about {_text(rng, 3)}?", "New answer " + _text(rng, 15))
                 for k in range(added)])
    finally:
        conn.close()
    return {"edited": edited, "rejected": rejected, "added": added}


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children: what the work cost, whatever else ran."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_versions_bench(n_pairs: int, *, workdir: Path | None = None, keep: bool = False) -> dict[str, Any]:
    """Generate a workspace, then time version create, diff, export (jsonl) and verify."""
    from curator.versions import create_version, diff_versions, export_version, verify_version

    base = Path(tempfile.mkdtemp(prefix="curator-bench-versions-", dir=workdir))
    try:
        t0 = time.perf_counter()
        ws = generate_workspace(base / "ws", n_pairs)
        generate_s = time.perf_counter() - t0

        load = os.getloadavg()[0]
        together = RssSampler(exclude=set(), interval=0.05)
        together.start()
        t0, cpu0 = time.perf_counter(), _cpu_s()
        first = create_version(ws, message="bench: first")
        create_s, create_cpu_s = time.perf_counter() - t0, _cpu_s() - cpu0

        changes = change_some_pairs(ws, n_pairs)
        second = create_version(ws, message="bench: second")

        t0 = time.perf_counter()
        diff = diff_versions(ws, first.id, second.id)
        diff_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        export_version(ws, second.id, "jsonl", out=base / "export")
        export_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        report = verify_version(ws, second.id)
        verify_s = time.perf_counter() - t0
        together.stop()
        if not report.ok:
            raise RuntimeError(f"verify failed on a fresh version: {report.problems}")
        return {
            "pairs": n_pairs,
            "create_s": round(create_s, 2),
            "diff_s": round(diff_s, 2),
            "export_jsonl_s": round(export_s, 2),
            "verify_s": round(verify_s, 2),
            "peak_rss_mb": max(_peak_rss_mb(), round(together.peak / 2**20, 1)),
            "create_cpu_s": round(create_cpu_s, 2),
            "load_average_before": round(load, 2),
            "generate_s": round(generate_s, 2),
            "version_pairs": first.pair_count,
            "diff_counts": diff.counts,
            "changes_made": changes,
        }
    finally:
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
