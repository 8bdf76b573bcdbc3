"""The pipeline's stages as the app shows them: how to run each (a `curator` command), and its state.

A stage's state is what the store says about its last run (done, failed, cancelled,
skipped, or running while its process lives), or `running` while the app's own job
for it runs, or `pending` when it never ran. Review is the human stage: it is never
run by a process; it is done when no pair waits for a decision.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from curator.errors import CuratorError

STATES = ("pending", "running", "done", "skipped", "failed", "cancelled")


@dataclass(frozen=True)
class StageSpec:
    name: str
    label: str
    about: str
    # The full command line of the stage's process; raises CuratorError when it cannot run yet.
    argv: Callable[[Any, sqlite3.Connection], list[str]] | None
    run_stages: tuple[str, ...] = ()   # the `runs.stage` names whose last run gives the state

    @property
    def runnable(self) -> bool:
        return self.argv is not None

    @property
    def recorded_as(self) -> tuple[str, ...]:
        return self.run_stages or (self.name,)


def _curator(ctx: Any, *args: str) -> list[str]:
    return [*ctx.curator_command, "--workspace", str(ctx.ws.root), *args]


def _ingest(ctx: Any, conn: sqlite3.Connection) -> list[str]:
    from curator.store.catalog import file_source_uris

    uris = file_source_uris(conn)
    if not uris:
        raise CuratorError("no files to ingest yet: add files or folders on the Sources screen (F3)")
    return _curator(ctx, "add", *uris)


def _version(ctx: Any, conn: sqlite3.Connection) -> list[str]:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return _curator(ctx, "version", "create", "--message", f"pipeline run {stamp}")


def _train(ctx: Any, conn: sqlite3.Connection) -> list[str]:
    return _curator(ctx, "train", "latest")


def _eval(ctx: Any, conn: sqlite3.Connection) -> list[str]:
    return _curator(ctx, "eval", "--last")


def default_stages() -> list[StageSpec]:
    return [
        StageSpec("ingest", "Ingest", "read the files and crawls recorded as sources (curator add)", _ingest,
                  ("ingest", "crawl")),
        StageSpec("extract", "Extract", "LLM question/answer extraction from pending chunks (curator extract)",
                  lambda ctx, conn: _curator(ctx, "extract")),
        StageSpec("filter", "Filter", "duplicates, rules, judge, contamination flags (curator filter)",
                  lambda ctx, conn: _curator(ctx, "filter")),
        StageSpec("review", "Review", "you: accept, reject, edit, regenerate (F4)", None),
        StageSpec("version", "Version", "freeze the accepted pairs into a version (curator version create)",
                  _version),
        StageSpec("train", "Train", "fine-tune on the latest version with [train] settings (curator train latest)",
                  _train),
        StageSpec("eval", "Eval", "score the last trained model before and after; flag what it still gets wrong"
                  " for review (curator eval --last)", _eval),
    ]


def stage_table(conn: sqlite3.Connection, specs: list[StageSpec], jobs: Any) -> list[dict[str, Any]]:
    """Each stage's state, last run and counts, read in one snapshot."""
    from curator.store.runs import last_run_of, mark_interrupted_runs, running_counts
    from curator.store.summary import workspace_summary

    mark_interrupted_runs(conn)
    summary = workspace_summary(conn, errors=0)
    table = []
    for spec in specs:
        last = last_run_of(conn, spec.recorded_as)
        row = {"name": spec.name, "label": spec.label, "about": spec.about, "runnable": spec.runnable,
               "last_run": dict(last) if last else None, "counts": _counts(spec.name, summary)}
        job = jobs.by_stage.get(spec.name) if jobs is not None else None
        if job is not None and job.state == "running":
            row["state"] = "running"
        elif spec.name == "review":
            pairs = summary["pairs"]
            waiting = sum(pairs.get("pending", {}).values())
            decided = sum(sum(pairs.get(s, {}).values()) for s in ("accepted", "rejected"))
            row["state"] = "done" if decided and not waiting else "running" if decided else "pending"
        else:
            row["state"] = last["status"] if last else "pending"
        runs_root = jobs.ctx.ws.path("runs") if jobs is not None and getattr(jobs, "ctx", None) is not None else None
        row["progress"] = _progress(spec.name, summary, runs_root) if row["state"] == "running" else None
        row["regenerating"] = None
        if spec.name == "extract":  # a regeneration started on the review screen (or by `curator pair`)
            regen = running_counts(conn, "regenerate")
            if regen is not None:
                counts = json.loads(regen or "{}")
                done, total = int(counts.get("done", 0)), int(counts.get("total", 1))
                row["regenerating"] = (done, total, f"regenerating: {done} / {total} chunks")
                row["counts"] += f"; {row['regenerating'][2]}"
        table.append(row)
    return table


def _progress(stage: str, s: dict[str, Any], runs_root: Any = None) -> tuple[int, int, str] | None:
    """(done, total, words) of a running stage: `n / N chunks` for extraction, `step x / y, ETA` for training."""
    if stage == "extract":
        ch = s["chunks"]
        done = ch.get("done", 0) + ch.get("failed", 0)
        total = done + ch.get("pending", 0)
        return (done, total, f"{done} / {total} chunks") if total else None
    if stage == "train" and runs_root is not None:
        from curator.tui.train_runs import last_metrics, latest_run, progress_text

        run_dir = latest_run(runs_root)
        if run_dir is None:
            return None
        last = last_metrics(run_dir)
        if isinstance(last.get("step"), int) and isinstance(last.get("total_steps"), int):
            return last["step"], last["total_steps"], progress_text(run_dir)
    return None


def _counts(stage: str, s: dict[str, Any]) -> str:
    def total(d: dict[str, int]) -> int:
        return sum(d.values())

    pairs = {status: total(by) for status, by in s["pairs"].items()}
    if stage == "ingest":
        return f"{total(s['sources'])} sources, {total(s['documents'])} documents, {total(s['chunks'])} chunks"
    if stage == "extract":
        ch = s["chunks"]
        return (f"chunks: {ch.get('done', 0)} done, {ch.get('pending', 0)} pending, {ch.get('failed', 0)} failed;"
                f" {s['llm_calls']['calls']} LLM calls")
    if stage == "filter":
        return f"{total(s['flags'])} active flags" + (f" ({_short(s['flags'])})" if s["flags"] else "")
    if stage == "review":
        return (f"{pairs.get('pending', 0)} pending, {pairs.get('accepted', 0)} accepted,"
                f" {pairs.get('rejected', 0)} rejected")
    if stage == "version":
        latest = s["versions"]["latest"]
        return f"{s['versions']['count']} versions" + (f", latest {latest['id'][:12]} ({latest['pair_count']} pairs)"
                                                       if latest else "")
    return ""


def _short(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(d.items()))
