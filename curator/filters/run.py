"""`curator filter`: run the chosen filters over the workspace's pairs and store what they found.

Each filter of the registry (curator.filters.registry) computes in memory; everything is written in one transaction at the
end (records.write_outputs), inside a recorded stage run. Problems that do not stop
the run (an unreadable version file, a judge call that failed) are recorded as
errors that `curator status` shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from curator.errors import CuratorError
from curator.filters.decisions import failing_pairs
from curator.filters.pool import load_pool
from curator.filters.records import FilterOutput, write_outputs
from curator.filters.registry import REGISTRY, RunContext
from curator.filters.settings import FilterSettings
from curator.store.flags import active_flag_counts
from curator.store.runs import stage_run
from curator.workspace import Workspace

Step = Callable[[str], None]


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


def run_filters(ws: Workspace, *, only: list[str] | None = None, step: Step | None = None) -> dict[str, Any]:
    """Run the filters and store their findings; returns the counts shown to the user."""
    say = step or (lambda _text: None)
    settings = FilterSettings.from_config(ws.config["filters"])
    chosen = chosen_filters(only, ws.config)
    conn = ws.connect()
    try:
        with stage_run(conn, "filter", {"filters": chosen, "settings": asdict(settings)}) as counts:
            run_id = counts["run_id"]
            seconds: dict[str, float] = {}
            mark = time.perf_counter()
            say("reading pairs")
            pool = load_pool(conn)
            counts["pairs"] = len(pool)
            seconds["read"] = time.perf_counter() - mark
            outputs: list[FilterOutput] = []
            ctx = RunContext(ws, conn, pool, settings, run_id, say)
            for name in chosen:
                say(f"running {name}")
                mark = time.perf_counter()
                out = REGISTRY[name].measure(ctx)
                outputs.append(out)
                counts[name] = out.counts
                seconds[name] = time.perf_counter() - mark
            say("writing flags")
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
