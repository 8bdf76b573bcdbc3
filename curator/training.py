"""Training on the workspace: version and run folders, the judge on the LLM engine, and each train and eval
recorded as a stage run (with the eval_low flags an evaluation writes back for review).

The trainer package knows nothing of the store; this module is where the two meet, so the CLI
and the app record runs the same way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from curator.errors import CuratorError
from curator.store.evaluations import write_eval_low
from curator.store.runs import stage_run
from curator.workspace import Workspace


def resolve_version(ws: Workspace, conn: sqlite3.Connection, ref: str) -> Path:
    """versions/<id>/ for a version id, unique prefix or 'latest'; a version folder given as a path is kept."""
    from curator.versions.layout import resolve_version_id, version_dir

    candidate = Path(ref).expanduser()
    if (candidate / "manifest.json").is_file():
        return candidate.resolve()
    folder = version_dir(ws, resolve_version_id(conn, ref))
    if not (folder / "manifest.json").is_file():
        raise CuratorError(f"version {folder.name} is recorded but {folder} is missing or incomplete; "
                           "`curator version verify` says more.")
    return folder


def _runs(runs_dir: Path) -> list[tuple[dict[str, Any], Path]]:
    found = []
    for file in runs_dir.glob("*/run.json") if runs_dir.is_dir() else []:
        try:
            found.append((json.loads(file.read_text(encoding="utf-8")), file.parent))
        except (OSError, json.JSONDecodeError):
            continue
    return sorted(found, key=lambda item: (item[0].get("created_at", ""), item[1].name))


def resolve_run(runs_dir: Path, ref: str, *, last: bool) -> Path:
    """runs/<id>/ for a run id or unique prefix; with `last`, the most recent finished run."""
    runs = _runs(runs_dir)
    if last:
        done = [path for manifest, path in runs if manifest.get("status") == "done"]
        if not done:
            raise CuratorError(f"no finished training run in {runs_dir}; run `curator train VERSION` first.")
        return done[-1]
    matches = [path for _, path in runs if path.name == ref] or [path for _, path in runs
                                                                  if ref and path.name.startswith(ref)]
    if not matches:
        raise CuratorError(f"no run {ref!r} in {runs_dir}; the runs there: "
                           + (", ".join(p.name for _, p in runs[-5:]) or "none"))
    if len(matches) > 1:
        raise CuratorError(f"{ref!r} matches {len(matches)} runs ({', '.join(p.name for p in matches[:5])}); "
                           "give more characters.")
    return matches[0]


class EngineJudge:
    """Truthfulness 1-5 through the extraction engine: concurrent, cached and logged in llm_calls."""

    def __init__(self, endpoint: Any, conn: sqlite3.Connection, run_id: int | None) -> None:
        self.endpoint, self.conn, self.run_id = endpoint, conn, run_id

    def __call__(self, question: str, reference: str, answer: str) -> int | None:
        return self.many([(question, reference, answer)])[0]

    def many(self, items: list[tuple[str, str, str]]) -> list[int | None]:
        import asyncio

        from curator.llm.engine import StructuredEngine, StructuredRequest, run_sync
        from trainer import judge

        async def grade_all() -> list[int | None]:
            async with StructuredEngine(self.endpoint, self.conn, run_id=self.run_id) as engine:
                outcomes = await asyncio.gather(*(engine.call(StructuredRequest(
                    messages=judge.messages(q, r, a), schema=judge.SCHEMA, schema_name="truthfulness",
                    purpose="eval", prompt_version=judge.PROMPT_VERSION)) for q, r, a in items))
            if any(o.fatal for o in outcomes):
                bad = next(o for o in outcomes if o.fatal)
                raise CuratorError(f"the judge endpoint {self.endpoint.base_url} refused the requests "
                                   f"({bad.error_kind}: {'; '.join(bad.errors)[:200]}).")
            return [judge.score_from(o.data) if o.ok else None for o in outcomes]

        return run_sync(grade_all())


def judge_for(ws: Workspace, conn: sqlite3.Connection, enabled: bool, run_id: int | None) -> tuple[Any, str]:
    """(judge or None, why it is off)."""
    if not enabled:
        return None, "the judge is off ([train].judge is false; pass --judge to turn it on)"
    llm = ws.config["llm"]
    if not llm.get("base_url"):
        return None, "no LLM endpoint is configured ([llm].base_url is empty), so the judge is off"
    from curator.llm.endpoint import warn_if_keyless
    from curator.llm.engine import Endpoint

    endpoint = Endpoint.from_config(llm)
    warn_if_keyless(endpoint.base_url, endpoint.api_key_env)
    return EngineJudge(endpoint, conn, run_id), ""


def recorded_training(conn: sqlite3.Connection, run_dir: Path, version_dir: Path, gpus: int, method: str,
                      train: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run `train` (it returns the run's manifest) inside one recorded `train` stage run."""
    with stage_run(conn, "train", {"run": run_dir.name, "version": str(version_dir), "gpus": gpus,
                                   "method": method}) as counts:
        counts["run"] = run_dir.name
        manifest = train()
        counts.update({k: manifest.get("results", {}).get(k) for k in ("steps", "tokens_per_s", "final_loss")})
    return manifest


def recorded_evaluation(ws: Workspace, conn: sqlite3.Connection, run_dir: Path, version_dir: Path | None, *,
                        settings: Any, judge: bool, embedding_model: str, limit: int,
                        log: Callable[[str], None], progress: Callable[[str, int, int], None] | None = None,
                        ) -> dict[str, Any]:
    """Evaluate a run inside one recorded `eval` stage run; flag its low pairs eval_low in the store.

    The report's eval_low.flagged_in_store says how many pairs were flagged; a DPO run on an SFT run also gets
    `comparison` (base, SFT and SFT+DPO in one report).
    """
    from trainer.evaluate import EvalOptions, evaluate

    cfg = ws.config["train"]
    with stage_run(conn, "eval", {"run": run_dir.name, "version": str(version_dir or "")}) as counts:
        scorer, reason = judge_for(ws, conn, judge, counts["run_id"])
        options = EvalOptions(version_dir=version_dir, settings=settings, judge=scorer, judge_off_reason=reason,
                              embedding_model=embedding_model, low_semscore=cfg["eval_low_semscore"],
                              low_judge=cfg["eval_low_truthfulness"], limit=limit)
        report = evaluate(run_dir, options, log=log, progress=progress)
        from trainer.compare import compare  # a DPO run on SFT: base, SFT and SFT+DPO in one report

        comparison = compare(run_dir, report, options, log=log, progress=progress)
        if comparison:
            report["comparison"] = comparison
        flagged = write_eval_low(conn, run_dir, report, counts["run_id"])
        report["eval_low"]["flagged_in_store"] = flagged
        counts.update({"test_pairs": report["test_pairs"], "eval_low": len(report["eval_low"]["pairs"]),
                       "semscore_base": report["base"]["semscore"].get("mean"),
                       "semscore_fine_tuned": report["fine_tuned"]["semscore"].get("mean")})
    return report
