"""The filters as one contract: a `Filter` has a name, the flag kinds it owns, when it is on, and a
`measure` over the pool that returns its measurements (`FilterOutput`); `REGISTRY` lists them in run order.

`curator filter` (run.run_filters) only walks this registry; adding a filter means
adding an entry here and its flag kind to `curator.store.flags.FLAG_KIND_TABLE`.
Heavy modules (models, HTTP clients) are imported inside `measure`, when the filter runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from curator.errors import CuratorError
from curator.filters.clusters import KeeperInputs
from curator.filters.pair_pool import PairPool, judge_scores
from curator.filters.results import FilterOutput, Progress
from curator.filters.settings import FilterSettings
from curator.store.flags import DUPLICATE_KINDS
from curator.store.measurements import human_keepers
from curator.store.runs import record_error
from curator.workspace import Workspace


@dataclass
class RunContext:
    """What a filter may look at during a run."""

    ws: Workspace
    conn: Any               # sqlite3.Connection of the run
    pool: PairPool          # every pair not rejected nor superseded, held-out ones included
    settings: FilterSettings
    run_id: int
    progress: Progress

    @property
    def training(self) -> PairPool:
        self.pool.normalized_questions()  # once, before the subset: every filter shares it
        return self.pool.subset(self.pool.training)


class Filter(Protocol):
    name: str
    kinds: tuple[str, ...]  # the flag kinds it owns: a run replaces them wholesale

    def enabled(self, config: dict[str, Any]) -> bool: ...

    def measure(self, ctx: RunContext) -> FilterOutput: ...


def keeper_inputs(conn, pool: PairPool, human: dict[int, int]) -> KeeperInputs:
    return KeeperInputs(
        human_keeper=np.isin(pool.ids, np.fromiter(human, dtype=np.int64, count=len(human))),
        accepted=pool.status == "accepted",
        judge_quality=judge_scores(conn, pool.ids),
        evidence_score=pool.evidence_score,
        order=np.arange(len(pool)),
    )


class Dedup:
    name = "dedup"
    kinds = DUPLICATE_KINDS

    def enabled(self, config: dict[str, Any]) -> bool:
        return True

    def measure(self, ctx: RunContext) -> FilterOutput:
        from curator.filters.dedup import dedup_output, find_duplicates
        training = ctx.training
        human = human_keepers(ctx.conn)
        inputs = keeper_inputs(ctx.conn, training, human)
        embed = _semantic_encoder(ctx) if ctx.settings.semantic else None
        result = find_duplicates(training.question, training.answer, inputs, ctx.settings,
                                 normalized=training.normalized_questions(), embed=embed)
        out = dedup_output(training.ids, result, set(human), ctx.settings)
        if embed is not None:
            out.counts["semantic"] = {"embedded": embed.embedded, "candidates": result.semantic_candidates,
                                      **{k: round(result.timings[k], 2) for k in ("embed", "neighbours")
                                         if k in result.timings}}
        return out


def _semantic_encoder(ctx: RunContext):
    """The cached question encoder for semantic duplicates, or None (recorded as an error) without a model."""
    from curator.filters.semantic import EmbeddingSkipped, cached_encoder, load_embedder
    try:
        embedder = load_embedder(ctx.settings)
    except (CuratorError, ImportError, OSError) as exc:
        record_error(ctx.conn, "filter", "semantic", f"semantic duplicates skipped: {exc}", ctx.run_id)
        ctx.progress("semantic duplicates skipped (no embedding model); `curator status` says why")
        return None
    encode = cached_encoder(ctx.conn, embedder, ctx.settings.semantic_max_new)

    def embed(texts: list[str]) -> np.ndarray:
        ctx.progress(f"embedding questions ({embedder.name})")
        try:
            vectors, fresh = encode(texts)
        except EmbeddingSkipped as exc:
            record_error(ctx.conn, "filter", "semantic", str(exc), ctx.run_id)
            raise
        embed.embedded = fresh
        return vectors

    embed.embedded = 0
    return embed


class Rules:
    name = "rules"
    kinds = ("rule",)

    def enabled(self, config: dict[str, Any]) -> bool:
        return True

    def measure(self, ctx: RunContext) -> FilterOutput:
        from curator.filters.rules import rules_output
        return rules_output(ctx.pool, ctx.settings)


class Moderation:
    name = "moderation"
    kinds = ("moderation",)

    def enabled(self, config: dict[str, Any]) -> bool:
        return config["llm"]["backend"] == "openai"

    def measure(self, ctx: RunContext) -> FilterOutput:
        from curator.filters.moderation import moderation_output
        return moderation_output(ctx.ws, ctx.conn, ctx.pool, ctx.settings, ctx.run_id, ctx.progress)


class Judge:
    name = "judge"
    kinds = ("judge",)

    def enabled(self, config: dict[str, Any]) -> bool:
        return bool(config["filters"]["judge"])

    def measure(self, ctx: RunContext) -> FilterOutput:
        from curator.filters.judge import judge_output
        return judge_output(ctx.ws, ctx.conn, ctx.training, ctx.settings, ctx.run_id, ctx.progress)


class Contamination:
    name = "contamination"
    kinds = ("contamination",)

    def enabled(self, config: dict[str, Any]) -> bool:
        return True

    def measure(self, ctx: RunContext) -> FilterOutput:
        from curator.filters.contamination import (
            contamination_output,
            held_out_references,
            version_references,
        )
        refs = held_out_references(ctx.pool)
        extra, problem = version_references(ctx.conn, ctx.settings.contamination_version)
        if problem:
            record_error(ctx.conn, "filter", "contamination", problem, ctx.run_id)
        return contamination_output(ctx.pool, refs + extra, ctx.settings)


REGISTRY: dict[str, Filter] = {f.name: f for f in (Dedup(), Rules(), Moderation(), Judge(), Contamination())}
