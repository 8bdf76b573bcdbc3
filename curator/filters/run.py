"""`curator filter`: run the chosen filters over the workspace's pairs and store what they found.

Each filter of the registry (curator.filters.registry) computes in memory; everything is written in one transaction at the
end (`write_outputs`), inside a recorded stage run. Problems that do not stop
the run (an unreadable version file, a judge call that failed) are recorded as
errors that `curator status` shows.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

from curator.errors import CuratorError
from curator.filters.pair_pool import load_pool
from curator.filters.registry import REGISTRY, RunContext
from curator.filters.results import FilterOutput, Progress
from curator.filters.settings import FilterSettings
from curator.filters.verdicts import failing_pairs, raises_flag
from curator.store.connection import transaction
from curator.store.flags import FLAG_KINDS, active_flag_counts, insert_flags, retire_flags
from curator.store.measurements import insert_clusters, insert_scores, large_page_cache, retire_scores
from curator.store.runs import stage_run
from curator.workspace import Workspace


def moderation_state(config: dict[str, Any]) -> str:
    """What `curator status` should say about moderation under this configuration."""
    if config["llm"]["backend"] == "openai":
        return f"on (OpenAI moderation endpoint, {config['filters']['moderation_model']})"
    return "off (needs an OpenAI endpoint: [llm].backend = \"openai\")"


def chosen_filters(only: list[str] | None, config: dict[str, Any]) -> list[str]:
    """The filters a run does: those named, or every one the configuration enables (registry order)."""
    if only:
        unknown = [f for f in only if f not in REGISTRY]
        if unknown:
            raise CuratorError(f"unknown filter {', '.join(unknown)}; choose from {', '.join(REGISTRY)}.")
        if "moderation" in only and not REGISTRY["moderation"].enabled(config):
            raise CuratorError("moderation needs an OpenAI endpoint ([llm].backend = \"openai\" in curator.toml); "
                               "it is off for this workspace. Nothing was done.")
        return [f for f in REGISTRY if f in only]
    return [name for name, f in REGISTRY.items() if f.enabled(config)]


def run_filters(ws: Workspace, *, only: list[str] | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Run the filters and store their findings; returns the counts shown to the user."""
    report = progress or (lambda _text: None)
    settings = FilterSettings.from_config(ws.config["filters"])
    chosen = chosen_filters(only, ws.config)
    conn = ws.connect()
    try:
        with stage_run(conn, "filter", {"filters": chosen, "settings": asdict(settings)}) as counts:
            run_id = counts["run_id"]
            seconds: dict[str, float] = {}
            mark = time.perf_counter()
            report("reading pairs")
            pool = load_pool(conn)
            counts["pairs"] = len(pool)
            seconds["read"] = time.perf_counter() - mark
            outputs: list[FilterOutput] = []
            ctx = RunContext(ws, conn, pool, settings, run_id, report)
            for name in chosen:
                report(f"running {name}")
                mark = time.perf_counter()
                out = REGISTRY[name].measure(ctx)
                outputs.append(out)
                counts[name] = out.counts
                seconds[name] = time.perf_counter() - mark
            report("writing flags")
            mark = time.perf_counter()
            counts["written"] = write_outputs(conn, outputs, settings, run_id)
            seconds["write"] = time.perf_counter() - mark
            counts["seconds"] = {k: round(v, 2) for k, v in seconds.items()}
            # what the user is told comes from the store itself, so it equals `curator status` and `failing`
            counts["flags"] = active_flag_counts(conn)
            counts["failing"] = len(failing_pairs(conn, settings))
            return dict(counts)
    finally:
        conn.close()


def write_outputs(conn: sqlite3.Connection, outputs: Iterable[FilterOutput], settings: FilterSettings,
                  run_id: int | None) -> dict[str, int]:
    """Replace the current scores and active flags of every output's kinds with its new ones, in one transaction.

    Every measurement goes to `filter_scores`; the ones failing today's limits also
    become active flags (judge verdicts always do: the judge flag carries the quality
    score that versions filter on). A run killed at any moment leaves the previous ones
    in force.
    """
    outputs = list(outputs)
    kinds = sorted({k for o in outputs for k in o.kinds})
    unknown = set(kinds) - set(FLAG_KINDS)
    if unknown:
        raise ValueError(f"unknown flag kinds {sorted(unknown)}")
    written = {"retired": 0, "scores": 0, "flags": 0, "clusters": 0}
    with large_page_cache(conn), transaction(conn):
        if kinds:
            retire_scores(conn, kinds)
            written["retired"] = retire_flags(conn, kinds)
        keys = [(n, c.key) for n, out in enumerate(outputs) for c in out.clusters]
        ids = insert_clusters(conn, [(c.kind, c.keeper_id, c.keeper_by, run_id) for out in outputs for c in out.clusters])
        cluster_ids = dict(zip(keys, ids))
        score_rows, flag_rows = [], []
        for n, out in enumerate(outputs):
            for r in out.scores:
                cid = None if r.cluster_key is None else cluster_ids[(n, r.cluster_key)]
                row = (r.pair_id, r.kind, r.score, r.reason, cid, json.dumps(r.details, ensure_ascii=False), run_id)
                score_rows.append(row)
                if raises_flag(r.kind, r.score, r.details, settings):
                    flag_rows.append(row)
        insert_scores(conn, score_rows)
        insert_flags(conn, flag_rows)
        written.update(scores=len(score_rows), flags=len(flag_rows), clusters=len(cluster_ids))
    return written
