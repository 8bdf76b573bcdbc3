"""The LLM judge: a schema-validated verdict on each pair with its source chunk, stored as scores.

It goes through the extraction engine (curator.llm.engine), so calls are
concurrent within the endpoint's budget, logged in `llm_calls`, and answered from
there when asked again: a killed run resumes where it stopped, paying for nothing
twice. The verdict is {grounded, self_contained, quality 1-10, reason}; the quality
is the judge flag's score (what versions filter on), and a pair fails when the
quality is under [filters].judge_min_quality, or when it is not grounded in its
source, or not self-contained. Pairs without a source chunk (imports) are judged on
their evidence if they have one, else on the question and answer alone, and
"not grounded" is then not held against them.
"""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

from curator.errors import CuratorError
from curator.filters.pair_pool import PairPool, evidence_of
from curator.filters.results import FilterOutput, Progress, ScoreRow
from curator.filters.settings import FilterSettings
from curator.filters.verdicts import judge_fails
from curator.llm.endpoint import open_endpoint
from curator.llm.engine import StructuredEngine, StructuredRequest, run_sync
from curator.store.catalog import chunk_texts
from curator.store.measurements import current_scores_of_kind
from curator.store.pairs import document_heads
from curator.store.runs import record_error
from curator.workspace import Workspace

JUDGE_KINDS = ("judge",)
PROMPT_VERSION = "judge@1"
WINDOW = 256  # requests handed to the engine at once (it keeps its own concurrency limit)
JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "grounded": {"type": "boolean"},
        "self_contained": {"type": "boolean"},
        "quality": {"type": "integer", "minimum": 1, "maximum": 10},
        "reason": {"type": "string"},
    },
    "required": ["grounded", "self_contained", "quality", "reason"],
    "additionalProperties": False,
}
SYSTEM = (
    "You review question/answer pairs written to fine-tune an assistant for international trade, customs, "
    "logistics and supply chains. Reply with JSON only: "
    '{"grounded": true|false, "self_contained": true|false, "quality": 1-10, "reason": "..."}. '
    "grounded: the source text supports the answer (with no source text: the answer agrees with what an expert "
    "knows). self_contained: a reader without the source understands the question (it names what it asks about "
    "and does not say 'according to the text'). quality: 10 = correct, useful and clearly worded; 1 = wrong or "
    "useless. reason: one short sentence, in the language of the pair."
)
NO_SOURCE = "(no source text for this pair)"
DOCUMENT_CHARS = 8000  # a pair without a chunk is judged against the start of its document (an entry or item)


def judge_messages(question: str, answer: str, source: str | None) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM},
            {"role": "user", "content": f"<chunk>\n{source or NO_SOURCE}\n</chunk>\n\nQuestion: {question}\n"
                                        f"Answer: {answer}"}]


def _sources(conn: sqlite3.Connection, pool: PairPool) -> list[str | None]:
    """Each pair's source chunk text, else its evidence quote, else its document (the glossary entry or exam item
    it was made from, which holds the reference answer), else None: the judge always sees a reference if any."""
    texts = chunk_texts(conn, sorted({int(c) for c in pool.chunk_id.tolist() if c >= 0}))
    evidence = evidence_of(conn, pool.ids)
    sources = [texts.get(int(c)) or (ev or None) for c, ev in zip(pool.chunk_id.tolist(), evidence)]
    missing = [int(i) for i, src in zip(pool.ids.tolist(), sources) if src is None]
    documents = document_heads(conn, missing, DOCUMENT_CHARS)
    return [src or documents.get(int(i)) or None for i, src in zip(pool.ids.tolist(), sources)]


def judge_output(ws: Workspace, conn: sqlite3.Connection, pool: PairPool, settings: FilterSettings, run_id: int,
                 progress: Progress | None = None) -> FilterOutput:
    """Judge every pair of `pool`; failed calls are recorded as errors and keep the pair's earlier verdict."""
    out = FilterOutput(kinds=JUDGE_KINDS)
    sources = _sources(conn, pool)
    previous = current_scores_of_kind(conn, "judge")
    requests = [StructuredRequest(messages=judge_messages(q, a, src), schema=JUDGE_SCHEMA, schema_name="judge",
                                  purpose="judge", prompt_version=PROMPT_VERSION,
                                  chunk_id=int(c) if c >= 0 else None)
                for q, a, src, c in zip(pool.question, pool.answer, sources, pool.chunk_id.tolist())]
    with open_endpoint(ws.config["llm"], log_dir=ws.path("runs")) as endpoint:
        outcomes = run_sync(_judge_all(endpoint, conn, run_id, requests, progress))
        model = endpoint.model
    counts = {"judged": 0, "cached": 0, "failed": 0, "failing": 0}
    for k, (pid, outcome) in enumerate(zip(pool.ids.tolist(), outcomes)):
        if outcome is None:  # not asked: the run stopped before it
            if pid in previous:
                out.scores.append(ScoreRow(pid, "judge", *previous[pid]))
            continue
        if outcome.ok:
            v = outcome.data
            details = {"grounded": v["grounded"], "self_contained": v["self_contained"], "reason": v["reason"],
                       "has_source": sources[k] is not None, "model": model, "prompt_version": PROMPT_VERSION,
                       "call_id": outcome.call_id}
            out.scores.append(ScoreRow(pid, "judge", float(v["quality"]),
                                       f"judge: quality {v['quality']}/10, "
                                       f"{'grounded' if v['grounded'] else 'NOT grounded'}, "
                                       f"{'self-contained' if v['self_contained'] else 'NOT self-contained'}: "
                                       f"{v['reason']}", details))
            counts["judged"] += 1
            counts["cached"] += int(outcome.cached)
            counts["failing"] += int(judge_fails(float(v["quality"]), details, settings))
            continue
        counts["failed"] += 1
        record_error(conn, "filter", f"pair {pid}", f"judge: {outcome.error_kind or 'failed'}: "
                     f"{'; '.join(outcome.errors[:2]) or 'no valid verdict'}", run_id)
        if outcome.fatal:
            raise CuratorError(f"the judge endpoint {endpoint.base_url} refuses every request "
                               f"({outcome.error_kind}); no judge score was changed. Check [llm] in curator.toml.")
        if pid in previous:
            out.scores.append(ScoreRow(pid, "judge", *previous[pid]))
    out.counts = counts
    return out


async def _judge_all(endpoint: Any, conn: sqlite3.Connection, run_id: int, requests: list[StructuredRequest],
                     progress: Progress | None) -> list[Any]:
    outcomes: list[Any] = []
    async with StructuredEngine(endpoint, conn, run_id=run_id) as engine:
        for lo in range(0, len(requests), WINDOW):
            outcomes += await asyncio.gather(*(engine.call(r) for r in requests[lo:lo + WINDOW]))
            if progress:
                progress(f"judge: {len(outcomes)}/{len(requests)} pairs")
            if any(o.fatal for o in outcomes[lo:]):
                break
    return outcomes + [None] * (len(requests) - len(outcomes))
