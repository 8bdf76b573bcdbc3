"""`curator filter`: run the chosen filters over the workspace's pairs and store what they found.

Each filter computes in memory; everything is written in one transaction at the
end (records.write_outputs), inside a recorded stage run. Problems that do not stop
the run (an unreadable version file, a judge call that failed) are recorded as
errors that `curator status` shows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

import numpy as np

from curator.errors import CuratorError
from curator.filters import FILTERS
from curator.filters.clusters import KeeperInputs
from curator.filters.contamination import contamination_output, held_out_references, version_references
from curator.filters.dedup import dedup_output, find_duplicates
from curator.filters.pool import PairPool, human_keepers, judge_scores, load_pool
from curator.filters.records import FilterOutput, write_outputs
from curator.filters.rules import rules_output
from curator.filters.settings import FilterSettings
from curator.filters.decisions import failing_pairs
from curator.store.flags import active_flag_counts
from curator.store.runs import record_error, stage_run
from curator.workspace import Workspace

Step = Callable[[str], None]


def moderation_state(config: dict[str, Any]) -> str:
    """What `curator status` should say about moderation under this configuration."""
    if config["llm"]["backend"] == "openai":
        return f"on (OpenAI moderation endpoint, {config['filters']['moderation_model']})"
    return "off (needs an OpenAI endpoint: [llm].backend = \"openai\")"


def chosen_filters(only: list[str] | None, config: dict[str, Any]) -> list[str]:
    """The filters a run does: those named, or every one the configuration enables."""
    if only:
        unknown = [f for f in only if f not in FILTERS]
        if unknown:
            raise CuratorError(f"unknown filter {', '.join(unknown)}; choose from {', '.join(FILTERS)}.")
        if "moderation" in only and config["llm"]["backend"] != "openai":
            raise CuratorError("moderation needs an OpenAI endpoint ([llm].backend = \"openai\" in curator.toml); "
                               "it is off for this workspace. Nothing was done.")
        return [f for f in FILTERS if f in only]
    chosen = ["dedup", "rules", "contamination"]
    if config["llm"]["backend"] == "openai":
        chosen.append("moderation")
    if config["filters"]["judge"]:
        chosen.append("judge")
    return [f for f in FILTERS if f in chosen]


def keeper_inputs(conn, pool: PairPool, human: dict[int, int]) -> KeeperInputs:
    return KeeperInputs(
        human_keeper=np.isin(pool.ids, np.fromiter(human, dtype=np.int64, count=len(human))),
        accepted=pool.status == "accepted",
        judge_quality=judge_scores(conn, pool.ids),
        evidence_score=pool.evidence_score,
        order=np.arange(len(pool)),
    )


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
            for name in chosen:
                say(f"running {name}")
                mark = time.perf_counter()
                for out in _run_one(name, ws, conn, pool, settings, run_id, say):
                    outputs.append(out)
                    counts["semantic" if "semantic_duplicate" in out.kinds else name] = out.counts
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


def _run_one(name: str, ws: Workspace, conn, pool: PairPool, settings: FilterSettings, run_id: int,
             say: Step) -> list[FilterOutput]:
    pool.normalized_questions()  # once, before the subset: every filter shares it
    training = pool.subset(pool.training)
    if name == "dedup":
        human = human_keepers(conn)
        inputs = keeper_inputs(conn, training, human)
        result = find_duplicates(training.question, training.answer, inputs, settings,
                                 normalized=training.normalized_questions())
        outputs = [dedup_output(training.ids, result, set(human), settings)]
        if settings.semantic:
            from curator.filters.semantic import semantic_output
            outputs.append(semantic_output(training, result, inputs, settings, say))
        return outputs
    if name == "rules":
        return [rules_output(pool, settings)]
    if name == "contamination":
        refs = held_out_references(pool)
        extra, problem = version_references(conn, settings.contamination_version)
        if problem:
            record_error(conn, "filter", "contamination", problem, run_id)
        return [contamination_output(pool, refs + extra, settings)]
    if name == "moderation":
        from curator.filters.moderation import moderation_output
        return [moderation_output(ws, conn, pool, settings, run_id, say)]
    if name == "judge":
        from curator.filters.judge import judge_output
        return [judge_output(ws, conn, training, settings, run_id, say)]
    return []
