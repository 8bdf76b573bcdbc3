"""Base, SFT and SFT+DPO side by side on one test split: one report from the evaluations of two runs.

A DPO run made on top of an SFT run (`from_run` in its run.json) is evaluated as
any run is (base model against the run's adapter, trainer.evaluate); the SFT run
is evaluated on the same test split with the same generation settings, unless
its last evaluation already was; the two reports are joined into
runs/<dpo>/eval/comparison.json and comparison.md. Base answers come from the
same base model, prompts and settings in both, so the base column is one column.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from trainer.run import read_run, write_json

COLUMNS = (("base", "base"), ("sft", "SFT"), ("sft_dpo", "SFT+DPO"))


def _same_evaluation(report: dict[str, Any], version_id: str, generation: dict[str, Any], test_pairs: int) -> bool:
    return (report.get("version") == version_id and report.get("generation") == generation
            and report.get("test_pairs") == test_pairs)


def compare(run_dir: Path, dpo_report: dict[str, Any], options: Any, log: Callable[[str], None] = print,
            progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any] | None:
    """The three-way report of a DPO run evaluated as `dpo_report`; None when the run was not made on SFT."""
    from trainer.evaluate import evaluate

    manifest = read_run(run_dir)
    source = manifest.get("from_run")
    if manifest.get("method") != "dpo" or not source:
        return None
    sft_dir = Path(source["path"])
    existing = sft_dir / "eval" / "report.json"
    sft_report = json.loads(existing.read_text(encoding="utf-8")) if existing.exists() else None
    if sft_report is None or not _same_evaluation(sft_report, dpo_report["version"], dpo_report["generation"],
                                                  dpo_report["test_pairs"]):
        log(f"evaluating SFT run {source['id']} on the same test split")
        version_dir = Path(read_run(run_dir)["version"]["path"])
        sft_report = evaluate(sft_dir, replace(options, version_dir=version_dir), log=log, progress=progress)
    sides = {"base": dpo_report["base"], "sft": sft_report["fine_tuned"], "sft_dpo": dpo_report["fine_tuned"]}
    comparison = {"run": manifest["id"], "sft_run": source["id"], "version": dpo_report["version"],
                  "test_pairs": dpo_report["test_pairs"], "generation": dpo_report["generation"],
                  "judge": dpo_report["judge"], **sides}
    write_json(run_dir / "eval" / "comparison.json", comparison)
    (run_dir / "eval" / "comparison.md").write_text(markdown(comparison), encoding="utf-8")
    return comparison


def markdown(c: dict[str, Any]) -> str:
    def cell(side: dict[str, Any], path: tuple[str, ...]) -> str:
        value: Any = side
        for key in path:
            value = (value or {}).get(key) if isinstance(value, dict) else None
        return "-" if value is None else (f"{value:.4f}" if isinstance(value, float) else str(value))

    rows = [("SemScore mean", ("semscore", "mean")), ("SemScore median", ("semscore", "median")),
            ("exact match", ("exact_match",)), ("ROUGE-L", ("rouge_l",)),
            ("repetitive", ("error_rates", "repetitive")), ("unfinished", ("error_rates", "unfinished")),
            ("empty", ("error_rates", "empty")), ("mean new tokens", ("mean_new_tokens",))]
    if c["judge"].get("enabled"):
        rows.append(("truthfulness mean", ("truthfulness", "mean")))
    lines = [f"# Base, SFT and SFT+DPO on version {c['version']}", "",
             (f"DPO run {c['run']} on top of SFT run {c['sft_run']}; {c['test_pairs']} test pairs; generation "
              f"{json.dumps(c['generation'])}."), "",
             "| | " + " | ".join(title for _, title in COLUMNS) + " |", "|---|" + "---:|" * len(COLUMNS)]
    for label, path in rows:
        lines.append(f"| {label} | " + " | ".join(cell(c[key], path) for key, _ in COLUMNS) + " |")
    return "\n".join(lines) + "\n"
