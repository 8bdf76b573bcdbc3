"""Extracting QA pairs from chunks: one structured call per chunk, its pairs stored with full lineage.

`Extractor.run(jobs)` works through the jobs with a pool of workers sharing one
engine. Each chunk ends in exactly one of: succeeded (pairs stored, chunk done),
failed (still invalid after the repair re-asks: chunk failed, raw output kept in
its call rows), errored (the endpoint did not answer: chunk stays as it was, so a
later run resumes it), skipped (another run holds its claim, or stored it meanwhile:
nothing was sent for it) or not started (the run stopped first). `ExtractSummary`
counts them so that they add up to the chunks selected.

With a `claims` lease, chunks are claimed in the store a few at a time just before
they are sent (store.extraction.claim_chunks), so concurrent runs split the work
instead of each sending everything.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from curator.extract.checks import ExtractionCheck
from curator.extract.guided import guided_schema
from curator.extract.prompts import TemplateChooser
from curator.ingest.model_text import ModelText, model_text
from curator.llm.engine import CallOutcome, EngineStopped, StructuredEngine, StructuredRequest
from curator.schemas import load_schema
from curator.store.connection import transaction
from curator.store.extract_queue import chunk_location, claim_chunks, store_failure, store_pairs
from curator.store.runs import mark_interrupted_runs

ANSWER_KINDS = ("invalid", "refusal", "length")  # the model answered, badly; anything else is the endpoint's fault


@dataclass(frozen=True)
class ExtractSettings:
    max_pairs: int = 5
    repair_attempts: int = 1
    evidence_cutoff: float = 85.0
    stop_after_errors: int = 10
    grammar_guided: bool = True
    claim_lease_s: float = 300.0   # how long a claim on a chunk lasts unless its run renews it

    @classmethod
    def from_config(cls, extract: dict[str, Any]) -> ExtractSettings:
        return cls(max_pairs=extract.get("max_pairs_per_chunk", 5), repair_attempts=extract.get("repair_attempts", 1),
                   evidence_cutoff=float(extract.get("evidence_cutoff", 85)),
                   stop_after_errors=extract.get("stop_after_errors", 10),
                   grammar_guided=extract.get("grammar_guided", True),
                   claim_lease_s=float(extract.get("claim_lease_s", 300)))


@dataclass
class Job:
    chunk: dict[str, Any]
    use_cache: bool = True
    supersede: list[int] = field(default_factory=list)   # pairs the new ones replace (regeneration)
    regenerate: bool = False


@dataclass
class ExtractSummary:
    mode: str = "pending"
    selected: int = 0
    sent: int = 0            # chunks that got an answer or an endpoint error
    succeeded: int = 0
    repaired: int = 0        # of the succeeded, those that needed a repair re-ask
    failed: int = 0
    errored: int = 0
    skipped: int = 0         # another run held or stored it: nothing sent for it here
    not_started: int = 0
    from_cache: int = 0      # of the succeeded and failed, those answered from stored calls only
    pairs: int = 0
    superseded: int = 0
    requests_sent: int = 0
    cache_hits: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cached_tokens: int = 0
    latency_ms_p50: float | None = None
    latency_ms_p95: float | None = None
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def adds_up(self) -> bool:
        return (self.selected == self.succeeded + self.failed + self.errored + self.skipped + self.not_started
                and self.sent == self.succeeded + self.failed + self.errored)


def extraction_schema(max_pairs: int) -> dict[str, Any]:
    """schemas/extraction.schema.json with the pair limit, so grammar-constrained servers stop in time."""
    schema = copy.deepcopy(load_schema("extraction"))
    schema["properties"]["qa_pairs"]["maxItems"] = max_pairs
    return schema


class Extractor:
    def __init__(self, conn: Any, engine: StructuredEngine, settings: ExtractSettings, chooser: TemplateChooser, *,
                 run_id: int | None = None, on_progress: Callable[[ExtractSummary], None] | None = None,
                 mode: str = "pending", cancel: Any = None, unit: Any = transaction,
                 flush: Callable[[], None] | None = None) -> None:
        self.conn, self.engine, self.settings, self.chooser = conn, engine, settings, chooser
        self.cancel = cancel  # a threading.Event set from another thread (the TUI) to stop the run
        self.unit = unit      # how one chunk's outcome is written atomically
        self.run_id, self.on_progress = run_id, on_progress
        self.schema = extraction_schema(settings.max_pairs)
        self.summary = ExtractSummary(mode=mode)
        self._errors_in_a_row = 0
        self._queue: deque[Job] = deque()
        self._claimed: deque[Job] = deque()
        self._held: list[Job] = []   # jobs another run had claimed when this run reached them
        self._held_retried = False
        # claims are committed on their own, after whatever the unit has open (GroupCommit)
        self._flush = flush or (lambda: None)

    def stop(self, reason: str) -> None:
        """Start no new chunk and send no new request; what is in flight is recorded as it arrives."""
        if self.summary.stopped is None:
            self.summary.stopped = reason
        self.engine.stop_sending()

    async def run(self, jobs: list[Job], workers: int | None = None) -> ExtractSummary:
        started = time.perf_counter()
        self._queue = deque(jobs)
        self.summary.selected = len(jobs)
        count = min(len(jobs), workers or self.engine.endpoint.concurrency * 2)
        tasks = [asyncio.create_task(self._worker()) for _ in range(count)]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.stop(self.summary.stopped or "cancelled")
        finally:
            self._finish(started)
        return self.summary

    def _finish(self, started: float) -> None:
        s, stats = self.summary, self.engine.stats
        s.not_started = s.selected - s.succeeded - s.failed - s.errored - s.skipped
        s.requests_sent, s.cache_hits = stats.requests_sent, stats.cache_hits
        s.tokens_in, s.tokens_out, s.cached_tokens = stats.tokens_in, stats.tokens_out, stats.cached_tokens
        s.errors_by_kind = dict(stats.errors)
        lat = sorted(stats.latencies_ms)
        if lat:
            s.latency_ms_p50 = round(lat[len(lat) // 2], 1)
            s.latency_ms_p95 = round(lat[min(len(lat) - 1, int(len(lat) * 0.95))], 1)
        s.seconds = round(time.perf_counter() - started, 3)

    async def _worker(self) -> None:
        while self.summary.stopped is None:
            if self.cancel is not None and self.cancel.is_set():
                self.stop("interrupted (cancelled from the interface)")
                return
            job = self._next_job()
            if job is None:
                return
            try:
                await self._one(job)
            except EngineStopped:
                return
            if self.on_progress is not None:
                self.on_progress(self.summary)

    def _next_job(self) -> Job | None:
        """The next job this run holds a claim on, claiming a few more when none is left."""
        while not self._claimed and self._queue:
            take = max(1, self.engine.endpoint.concurrency)
            batch = [self._queue.popleft() for _ in range(min(take, len(self._queue)))]
            if self.run_id is None:  # no run row to hold claims (library use without a run)
                self._claimed.extend(batch)
                continue
            self._flush()
            won = claim_chunks(self.conn, [(j.chunk["id"], j.chunk["extract_status"]) for j in batch], self.run_id,
                               self.settings.claim_lease_s)
            for j in batch:
                if j.chunk["id"] in won:
                    self._claimed.append(j)
                else:
                    self._held.append(j)
                    self.summary.skipped += 1
        if not self._claimed and self._held and not self._held_retried:
            # Once, when everything else is handed out: a run that held some of these and has died
            # meanwhile is marked ended now, which lets go of its claims, so this run takes them up.
            self._held_retried = True
            self._flush()
            mark_interrupted_runs(self.conn)
            self.summary.skipped -= len(self._held)
            self._queue.extend(self._held)
            self._held = []
            return self._next_job()
        return self._claimed.popleft() if self._claimed else None

    def _schema_for(self, text: str) -> dict[str, Any]:
        if self.settings.grammar_guided and self.engine.endpoint.backend == "llamacpp":
            return guided_schema(self.schema, text)
        return self.schema

    async def _one(self, job: Job) -> None:
        chunk = job.chunk
        # The model reads the chunk without Markdown escapes and permalink marks (docs/ingest.md); evidence
        # offsets are mapped back to the stored text when the pairs are stored.
        view = model_text(chunk["text"])
        template, language = self.chooser.for_text(view.text, chunk["language"])
        check = ExtractionCheck(view.text, max_pairs=self.settings.max_pairs,
                                evidence_cutoff=self.settings.evidence_cutoff)
        request = StructuredRequest(
            messages=template.messages(chunk=view.text, title=chunk["title"] or chunk["uri"],
                                       max_pairs=self.settings.max_pairs),
            schema=self._schema_for(view.text), schema_name="qa_extraction", purpose="extract",
            prompt_version=template.prompt_version, chunk_id=chunk["id"], check=check,
            repair_attempts=self.settings.repair_attempts, use_cache=job.use_cache,
            repair_message=template.repair)
        outcome = await self.engine.call(request)
        if outcome.ok:
            self._stored(job, outcome, check, template.name, template.prompt_version, language, view)
        elif outcome.error_kind in ANSWER_KINDS:
            self._invalid(job, outcome)
        else:
            self._endpoint_error(job, outcome)

    def _stored(self, job: Job, outcome: CallOutcome, check: ExtractionCheck, template: str, prompt_version: str,
                language: str, view: ModelText) -> None:
        pairs = []
        for item, grounding in zip(outcome.data.get("qa_pairs", []), check.groundings):
            pairs.append({
                "question": item["question"].strip(), "answer": item["answer"].strip(),
                "evidence": item["evidence"].strip(), "evidence_start": _in_stored(view, grounding.start),
                "evidence_end": _in_stored(view, grounding.end), "evidence_score": grounding.score, "llm_call_id": outcome.call_id,
                "prompt_version": prompt_version, "template": template, "model": self.engine.endpoint.model,
                "language": language,
                "meta": {"request_id": outcome.request_id, "repaired": outcome.repaired, "calls": outcome.call_ids}})
        new_ids = store_pairs(self.conn, job.chunk, pairs, expect_status=job.chunk["extract_status"],
                              supersede=job.supersede, unit=self.unit, run_id=self.run_id)
        s = self.summary
        if new_ids is None:
            s.skipped += 1
            return
        self._errors_in_a_row = 0
        s.sent += 1
        s.succeeded += 1
        s.repaired += outcome.repaired
        s.from_cache += outcome.sent == 0
        s.pairs += len(new_ids)
        s.superseded += len(job.supersede)

    def _invalid(self, job: Job, outcome: CallOutcome) -> None:
        status = job.chunk["extract_status"]
        message = (f"{outcome.error_kind} answer after {outcome.attempts} attempt(s): " + "; ".join(outcome.errors)
                   + (f" (raw output in llm_calls row {outcome.call_id})" if outcome.call_id else ""))
        # a regenerated chunk keeps its old pairs and its 'done' state; the error still shows
        new_status = "done" if status == "done" else "failed"
        if store_failure(self.conn, job.chunk, message, expect_status=status, new_status=new_status,
                         run_id=self.run_id, unit=self.unit):
            self._errors_in_a_row = 0
            self.summary.sent += 1
            self.summary.failed += 1
            self.summary.from_cache += outcome.sent == 0
        else:
            self.summary.skipped += 1

    def _endpoint_error(self, job: Job, outcome: CallOutcome) -> None:
        status = job.chunk["extract_status"]
        message = "; ".join(outcome.errors) + " (the chunk stays " + status + "; run `curator extract` again)"
        store_failure(self.conn, job.chunk, message, expect_status=status, new_status=status, run_id=self.run_id,
                      unit=self.unit)
        self.summary.sent += 1
        self.summary.errored += 1
        self._errors_in_a_row += 1
        if outcome.fatal:
            self.stop(f"the endpoint refused the request ({outcome.errors[0]}); check [llm] in curator.toml "
                      "(base_url, model, backend) and the API key variable")
        elif self._errors_in_a_row >= self.settings.stop_after_errors:
            self.stop(f"the endpoint failed {self._errors_in_a_row} times in a row (last at "
                      f"{chunk_location(job.chunk)}: {outcome.errors[0]}); pending chunks are kept, run "
                      "`curator extract` again when it answers")


def _in_stored(view: ModelText, offset: int | None) -> int | None:
    """An evidence offset in the text the model read, as an offset in the stored chunk text."""
    return None if offset is None else view.source_offset(offset)
