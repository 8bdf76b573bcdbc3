"""Evaluation of a run on its version's held-out test split: the base model and the fine-tuned model, side by side.

Both answer every test pair (never a training pair; pairs flagged as
contaminated are left out and counted) from the same prompt with the same
generation settings. Each answer gets SemScore, normalized exact match, ROUGE-L,
error classes and, when a judge is given, a truthfulness score 1-5. The pairs
the fine-tuned model still gets wrong are listed as `eval_low`, for the review
queue. Everything lands in runs/<id>/eval/: report.json, report.md, answers.jsonl
and the PNG plots; a new evaluation replaces the folder in one rename.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer import environment
from trainer.errors import EvalError
from trainer.formatting import Formatter
from trainer.generate import Settings, default_settings, generate
from trainer.metrics import error_classes, exact_match, rouge_l
from trainer.presets import from_dict
from trainer.report import write_markdown
from trainer.run import read_run, write_json
from trainer.version import read_version

NO_SEMSCORE = "none"  # embedding_model value that leaves SemScore out (answers.jsonl keeps every answer)
Judge = Callable[[str, str, str], "int | None"]
ERRORS = ("empty", "unfinished", "too_long", "repetitive")


@dataclass
class EvalOptions:
    version_dir: Path | None = None
    settings: Settings | None = None  # None: the run's default generation setting (settings_for_run)
    embedding_model: str = ""
    judge: Any = None  # Judge callable, optionally with .many(items) for concurrent scoring
    judge_off_reason: str = "no judge endpoint is configured"
    low_semscore: float = 0.5
    low_judge: int = 2
    limit: int = 0  # evaluate only the first N test pairs (0: all)
    device: str | None = None


def _distribution(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)
    quantile = lambda q: round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 4)
    bins = [0] * 10
    for v in values:
        bins[min(9, max(0, int(v * 10)))] += 1
    return {"count": len(values), "mean": round(statistics.fmean(values), 4),
            "median": round(statistics.median(values), 4), "p10": quantile(0.1), "p90": quantile(0.9),
            "histogram_0_to_1_by_0.1": bins}


def _judge_all(judge: Any, items: list[tuple[str, str, str]]) -> list[int | None]:
    if hasattr(judge, "many"):
        return list(judge.many(items))
    return [judge(*item) for item in items]


def _summary(rows: list[dict[str, Any]], side: str, judged: bool) -> dict[str, Any]:
    answers = [r[side] for r in rows]
    n = max(1, len(answers))
    errors = {kind: sum(kind in a["errors"] for a in answers) for kind in ERRORS}
    summary = {
        "semscore": _distribution([a["semscore"] for a in answers if a["semscore"] is not None]),
        "exact_match": round(sum(a["exact_match"] for a in answers) / n, 4),
        "rouge_l": round(statistics.fmean([a["rouge_l"] for a in answers]), 4) if answers else None,
        "errors": errors, "error_rates": {k: round(v / n, 4) for k, v in errors.items()},
        "mean_new_tokens": round(statistics.fmean([a["new_tokens"] for a in answers]), 1) if answers else None,
    }
    if judged:
        scores = [a["truthfulness"] for a in answers if a["truthfulness"] is not None]
        summary["truthfulness"] = {"distribution": {str(s): scores.count(s) for s in range(1, 6)},
                                   "mean": round(statistics.fmean(scores), 3) if scores else None,
                                   "unscored": len(answers) - len(scores)}
    return summary


def settings_for_run(run_dir: Path, *, greedy: bool = False, **explicit: Any) -> Settings:
    """The generation setting eval, chat and serve use for a run: its base model's defaults plus `explicit`."""
    manifest = read_run(run_dir)
    return default_settings(manifest.get("base_model", {}).get("path"), greedy=greedy, **explicit)


def evaluate(run_dir: Path, options: EvalOptions, log: Callable[[str], None] = print,
             progress: Callable[[str, int, int], None] | None = None) -> dict[str, Any]:
    import torch

    from trainer.model import load_trained
    from trainer.semscore import SemScorer

    began = time.perf_counter()
    manifest = read_run(run_dir)
    if manifest.get("status") != "done":
        raise EvalError(f"run {manifest['id']} has not finished training (status {manifest.get('status')}).")
    hyper = from_dict(manifest["hyperparameters"])
    version = read_version(Path(options.version_dir or manifest["version"]["path"]), hyper.context_field)
    contaminated = [e for e in version.test if e.contaminated]
    test = [e for e in version.test if not e.contaminated]
    if options.limit:
        test = test[:options.limit]
    if not test:
        raise EvalError(f"version {version.id} has no test pairs to evaluate on.")
    device = options.device or ("cuda" if torch.cuda.is_available() else "cpu")
    settings = options.settings or settings_for_run(run_dir)
    # Generation runs on the bf16 base, not the 4-bit one training used: dequantizing every weight at every
    # decoding step costs more than the rest of the step. The adapter applies as it does in a merged model.
    model, tokenizer, _ = load_trained(run_dir, device=device, quantize=False)
    formatter = Formatter(tokenizer, manifest["template"], hyper.system or None)
    answers = {}
    timings: dict[str, float] = {"load_s": round(time.perf_counter() - began, 2)}
    for side, use_adapter in (("base", False), ("fine_tuned", True)):
        log(f"generating {len(test)} {side.replace('_', '-')} answers on {device}")
        tick = (lambda n, s=side: progress(s, n, len(test))) if progress else None
        started = time.perf_counter()
        answers[side] = generate(model, formatter, test, settings, use_adapter=use_adapter, progress=tick)
        timings[f"generate_{side}_s"] = round(time.perf_counter() - started, 2)
    del model
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    references = [e.answer for e in test]
    started = time.perf_counter()
    if options.embedding_model == NO_SEMSCORE:  # a machine without the embedding model: score the answers later
        semscores: dict[str, list[float | None]] = {side: [None] * len(test) for side in answers}
        embedding_name = NO_SEMSCORE
    else:
        log("scoring answers with SemScore")
        scorer = SemScorer(options.embedding_model, device=device)
        semscores = {side: scorer.scores([g.text for g in answers[side]], references) for side in answers}
        embedding_name = scorer.name
    timings["semscore_s"] = round(time.perf_counter() - started, 2)
    judged = options.judge is not None
    truth: dict[str, list[int | None]] = {side: [None] * len(test) for side in answers}
    if judged:
        log(f"asking the judge about {2 * len(test)} answers")
        for side, generated in answers.items():
            truth[side] = _judge_all(options.judge, [(e.question, e.answer, g.text) for e, g in
                                                     zip(test, generated)])
    rows = []
    for i, example in enumerate(test):
        row = {"pair_id": example.pair_id, "lineage_id": example.lineage_id, "question": example.question,
               "reference": example.answer}
        for side in answers:
            g = answers[side][i]
            row[side] = {"answer": g.text, "new_tokens": g.new_tokens, "semscore": semscores[side][i],
                         "exact_match": exact_match(g.text, example.answer),
                         "rouge_l": round(rouge_l(g.text, example.answer), 4),
                         "errors": error_classes(g.text, example.answer, g.hit_limit),
                         "truthfulness": truth[side][i]}
        rows.append(row)
    low = _eval_low(rows, options)
    timings["total_s"] = round(time.perf_counter() - began, 2)
    report = {
        "run": manifest["id"], "created_at": environment.now(), "version": version.id,
        "trained_on_version": manifest["version"].get("id"), "test_pairs": len(test),
        "left_out_contaminated": len(contaminated), "base_model": manifest["base_model"],
        "template": manifest["template"], "generation": settings.as_dict(),
        "embedding_model": embedding_name, "device": device, "timings": timings,
        "judge": {"enabled": judged, **({} if judged else {"reason": options.judge_off_reason})},
        "base": _summary(rows, "base", judged), "fine_tuned": _summary(rows, "fine_tuned", judged),
        "eval_low": {"rule": f"fine-tuned SemScore < {options.low_semscore}"
                             + (f" or truthfulness <= {options.low_judge}" if judged else ""),
                     "count": len(low), "pairs": low},
    }
    _write(run_dir, report, rows)
    return report


def _eval_low(rows: list[dict[str, Any]], options: EvalOptions) -> list[dict[str, Any]]:
    """Test pairs the fine-tuned model still gets wrong: low SemScore, or a low truthfulness score."""
    low = []
    for row in rows:
        tuned = row["fine_tuned"]
        reasons = []
        if tuned["semscore"] is not None and tuned["semscore"] < options.low_semscore:
            reasons.append(f"SemScore {tuned['semscore']:.2f} < {options.low_semscore}")
        if tuned["truthfulness"] is not None and tuned["truthfulness"] <= options.low_judge:
            reasons.append(f"truthfulness {tuned['truthfulness']} <= {options.low_judge}")
        if not reasons:
            continue
        if tuned["errors"]:
            reasons.append("answer " + ", ".join(tuned["errors"]))
        low.append({"pair_id": row["pair_id"], "lineage_id": row["lineage_id"], "score": tuned["semscore"],
                    "truthfulness": tuned["truthfulness"], "reason": "; ".join(reasons)})
    return low


def _write(run_dir: Path, report: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    from trainer.plots import semscore_histogram, truthfulness_histogram

    target = run_dir / "eval"
    tmp = run_dir / f".eval-tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    with open(tmp / "answers.jsonl", "w", encoding="utf-8") as fh:
        fh.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    plots = {"semscore": "semscore.png"}
    semscore_histogram([r["base"]["semscore"] for r in rows if r["base"]["semscore"] is not None],
                       [r["fine_tuned"]["semscore"] for r in rows if r["fine_tuned"]["semscore"] is not None],
                       tmp / plots["semscore"])
    if report["judge"]["enabled"]:
        plots["truthfulness"] = "truthfulness.png"
        dist = {side: {int(k): v for k, v in report[side]["truthfulness"]["distribution"].items()}
                for side in ("base", "fine_tuned")}
        truthfulness_histogram(dist["base"], dist["fine_tuned"], tmp / plots["truthfulness"])
    report["files"] = {"answers": "answers.jsonl", "markdown": "report.md", "plots": plots}
    write_json(tmp / "report.json", report)
    write_markdown(report, rows, tmp / "report.md")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
