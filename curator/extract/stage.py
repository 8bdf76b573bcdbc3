"""The extract stage as one call: choose the chunks, open the endpoint, run, record the run.

`run_extraction(ws, ...)` is what `curator extract` and the TUI call. It sends
nothing (and starts no local model) when no chunk needs work, so running it again
after a finished run is free. Ctrl-C once: no new request is sent, in-flight ones
are recorded, the run is kept as cancelled; twice: in-flight ones are abandoned
(nothing of theirs is stored, so the next run sends them again). Writes are grouped
(GroupCommit): a kill -9 loses at most the last quarter second of answers, which the
next run sends again; nothing is ever half-stored.

Runs at once share the work: each claims chunks in the store just before sending
them (a lease of [extract] claim_lease_s seconds, renewed while the run works,
given back when it ends), so a chunk is sent by one run only; a killed run's claims
lapse when its process is found gone or its lease expires, and the next run takes
them up.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

from curator.errors import ConfigError, CuratorError
from curator.extract.extractor import Extractor, ExtractSettings, ExtractSummary, Job
from curator.extract.prompts import TemplateChooser
from curator.llm.endpoint import open_endpoint
from curator.llm.engine import Endpoint, StructuredEngine
from curator.secrets import credentials_problem
from curator.store.catalog import get_chunk
from curator.store.extract_queue import (
    chunks_by_id,
    chunks_by_status,
    open_pairs,
    release_claims,
    renew_claims,
)
from curator.store.group_commit import GroupCommit
from curator.store.pairs import get_pair
from curator.store.runs import finish_run, mark_interrupted_runs, start_run
from curator.workspace import Workspace


def plan_jobs(conn: Any, *, retry_failed: bool = False, regenerate: Sequence[int] = (),
              regenerate_pairs: Sequence[int] = (), only: Sequence[int] = (), limit: int | None = None) -> list[Job]:
    """The chunks this run works on.

    Default: pending chunks (optionally only `only`). `retry_failed`: failed chunks, sent
    again past the cache. `regenerate`: these chunks, past the cache, their pending pairs
    superseded by the new ones (accepted and rejected pairs keep the reviewer's
    decision). `regenerate_pairs`: these pairs superseded, whatever their state, by new
    pairs from their chunks.
    """
    if regenerate or regenerate_pairs:
        chosen: dict[int, list[int]] = {cid: open_pairs(conn, cid) for cid in regenerate}
        for pair_id in regenerate_pairs:
            row = get_pair(conn, pair_id)
            if row is None or row["chunk_id"] is None:
                raise CuratorError(f"pair {pair_id} does not exist or was not extracted from a chunk")
            if row["origin"] != "llm":  # a template made it: sending its chunk to the LLM replaces curated work
                raise CuratorError(f"pair {pair_id} was made by a template ({row['origin']}), not by the LLM: there "
                                   "is nothing to regenerate, and nothing was changed")
            if row["status"] == "superseded":
                raise CuratorError(f"pair {pair_id} was already superseded; regenerate its latest revision")
            chosen.setdefault(row["chunk_id"], [])
            if pair_id not in chosen[row["chunk_id"]]:
                chosen[row["chunk_id"]].append(pair_id)
        chunks = chunks_by_id(conn, chosen)
        skipped = [c["id"] for c in chunks if c["extract_status"] == "skipped"]
        if skipped:
            why = get_chunk(conn, skipped[0])["extract_error"]
            if why:  # retired (its page changed, its file was read as another kind): its text is not current
                raise CuratorError(f"chunk {skipped[0]} is not extracted any more ({why}); nothing was changed")
            raise CuratorError(f"chunk {skipped[0]} was made into pairs by a template (glossary, exam or QA file), "
                               "not by the LLM: there is nothing to regenerate, and nothing was changed")
        missing = set(chosen) - {c["id"] for c in chunks}
        if missing:
            raise CuratorError(f"no chunk with id {', '.join(map(str, sorted(missing)))}")
        return [Job(chunk=c, use_cache=False, supersede=chosen[c["id"]], regenerate=True) for c in chunks]
    if retry_failed:
        return [Job(chunk=c, use_cache=False) for c in chunks_by_status(conn, "failed", limit=limit, chunk_ids=only)]
    return [Job(chunk=c) for c in chunks_by_status(conn, "pending", limit=limit, chunk_ids=only)]


def run_extraction(ws: Workspace, *, retry_failed: bool = False, regenerate: Sequence[int] = (),
                   regenerate_pairs: Sequence[int] = (), only: Sequence[int] = (), limit: int | None = None,
                   base_url: str | None = None, on_start: Callable[[int, Endpoint], None] | None = None,
                   on_progress: Callable[[ExtractSummary], None] | None = None,
                   cancel: threading.Event | None = None, **endpoint_overrides: Any) -> ExtractSummary:
    """Extract pairs from the chosen chunks; returns the summary (also stored as the run's counts)."""
    if base_url:  # refused even when nothing is pending: a key typed into --base-url is a mistake to say now
        problem = credentials_problem(base_url, ws.config["llm"]["api_key_env"], "--base-url")
        if problem:
            raise ConfigError(problem)
    mode = "regenerate" if (regenerate or regenerate_pairs) else "retry-failed" if retry_failed else "pending"
    settings = ExtractSettings.from_config(ws.config["extract"])
    chooser = TemplateChooser(ws.config["extract"].get("prompt", ""), ws.root)
    conn = ws.connect()
    try:
        mark_interrupted_runs(conn)
        jobs = plan_jobs(conn, retry_failed=retry_failed, regenerate=regenerate,
                         regenerate_pairs=regenerate_pairs, only=only, limit=limit)
        if not jobs:
            return ExtractSummary(mode=mode)
        with open_endpoint(ws.config["llm"], base_url=base_url, log_dir=ws.root / ".curator",
                           **endpoint_overrides) as endpoint:
            if on_start is not None:
                on_start(len(jobs), endpoint)
            run_id = start_run(conn, "extract", {"mode": mode, "base_url": endpoint.base_url,
                                                 "model": endpoint.model, "backend": endpoint.backend,
                                                 "concurrency": endpoint.concurrency, **settings.__dict__})
            summary = ExtractSummary(mode=mode, selected=len(jobs))
            try:
                summary = asyncio.run(_drive(conn, endpoint, settings, chooser, jobs, run_id, mode, on_progress,
                                             cancel))
            finally:
                state = "done" if summary.stopped is None else \
                    "cancelled" if summary.stopped.startswith("interrupted") else "failed"
                finish_run(conn, run_id, state, counts=summary.as_dict(), error=summary.stopped)
        return summary
    finally:
        conn.close()


async def _drive(conn: Any, endpoint: Endpoint, settings: ExtractSettings, chooser: TemplateChooser,
                 jobs: list[Job], run_id: int, mode: str, on_progress: Any,
                 cancel: threading.Event | None) -> ExtractSummary:
    group = GroupCommit(conn)
    async with StructuredEngine(endpoint, conn, run_id=run_id, unit=group.unit) as engine:
        extractor = Extractor(conn, engine, settings, chooser, run_id=run_id, on_progress=on_progress, mode=mode,
                              cancel=cancel, unit=group.unit, flush=group.commit)
        main = asyncio.current_task()
        presses = 0

        def interrupt() -> None:
            nonlocal presses
            presses += 1
            extractor.stop("interrupted by the user (Ctrl-C)")
            if presses > 1:  # a second Ctrl-C abandons what is in flight
                main.cancel()

        loop = asyncio.get_running_loop()
        handled = _install_sigint(loop, interrupt)
        watcher = asyncio.create_task(_watch(cancel, extractor)) if cancel is not None else None
        ticker = asyncio.create_task(_commit_on_time(group))
        renewer = asyncio.create_task(_renew_claims(conn, group, run_id, settings.claim_lease_s))
        try:
            return await extractor.run(jobs)
        except asyncio.CancelledError:
            return extractor.summary
        finally:
            ticker.cancel()
            renewer.cancel()
            group.commit()  # every finished unit is kept, whatever stopped the run
            release_claims(conn, run_id)  # chunks claimed but not finished go back to whoever runs next
            if watcher is not None:
                watcher.cancel()
            if handled:
                loop.remove_signal_handler(signal.SIGINT)


def _install_sigint(loop: asyncio.AbstractEventLoop, handler: Callable[[], None]) -> bool:
    if threading.current_thread() is not threading.main_thread():
        return False  # the TUI runs us in a worker thread and stops us through `cancel`
    try:
        loop.add_signal_handler(signal.SIGINT, handler)
    except (NotImplementedError, RuntimeError, ValueError):
        return False
    return True


async def _commit_on_time(group: GroupCommit) -> None:
    """Commit an open group once it is old enough, even while no new unit arrives."""
    while True:
        await asyncio.sleep(group.interval / 2)
        if group.due():
            group.commit()


async def _renew_claims(conn: Any, group: GroupCommit, run_id: int, lease_s: float) -> None:
    """Keep this run's claims alive while it works (a third of the lease apart, so one late tick is harmless)."""
    while True:
        await asyncio.sleep(max(lease_s / 3, 0.05))
        group.commit()
        renew_claims(conn, run_id, lease_s)


async def _watch(cancel: threading.Event, extractor: Extractor) -> None:
    while not cancel.is_set():
        await asyncio.sleep(0.2)
    extractor.stop("interrupted (cancelled from the interface)")
