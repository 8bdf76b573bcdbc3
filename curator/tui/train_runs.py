"""Reading a training run's folder for the train screen: the newest run, its loss curve, its evaluation.

The trainer writes runs/<id>/run.json (the manifest), metrics.jsonl (one line per
logged step, appended while it trains) and, after `curator eval`, eval/report.json
(figures before and after) with eval/answers.jsonl (per test pair).
Nothing here imports the trainer (it would load torch into the UI's process).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

RUN_FILE = "run.json"
METRICS = "metrics.jsonl"
EVAL_DIR = "eval"
_BARS = "▁▂▃▄▅▆▇█"


def training_argv(version: str, base: str, preset: str) -> list[str]:
    """`curator train VERSION --preset P [--base B]`."""
    args = ["train", version, "--preset", preset]
    return args + (["--base", base] if base else [])


def latest_run(runs_root: Path) -> Path | None:
    try:
        runs = [p.parent for p in runs_root.glob(f"*/{RUN_FILE}")]
    except OSError:
        return None
    return max(runs, key=lambda p: (p / RUN_FILE).stat().st_mtime, default=None)


def read_loss(run_dir: Path, limit: int = 2000, key: str = "loss") -> list[tuple[int, float]]:
    """(step, loss) of the logged steps; a line being written (no newline yet) is left for the next read.

    key "val_loss": the validation loss curve instead of the training loss.
    """
    try:
        text = (run_dir / METRICS).read_text(encoding="utf-8")
    except OSError:
        return []
    points = []
    for line in text.splitlines(keepends=True)[-limit:]:
        if not line.endswith("\n"):
            break
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get(key), (int, float)):
            points.append((int(record.get("step", len(points))), float(record[key])))
    return points


def read_eval(run_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The evaluation report and its per-pair rows (eval/report.json, eval/answers.jsonl), if there is one."""
    try:
        report = json.loads((run_dir / EVAL_DIR / "report.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    rows = []
    try:
        for line in (run_dir / EVAL_DIR / "answers.jsonl").read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    except OSError:
        pass
    return report, rows


def render_eval(run_dir: Path) -> Any:
    """Before/after figures (SemScore, exact match, ROUGE-L, truthfulness) and text histograms."""
    found = read_eval(run_dir)
    if found is None:
        return None
    report, rows = found
    base, tuned = report.get("base", {}), report.get("fine_tuned", {})
    table = Table(title=f"Evaluation of run {report.get('run', run_dir.name)} on {report.get('test_pairs', '?')}"
                  " test pairs", show_edge=False, expand=True)
    for col in ("measure", "base model", "fine-tuned"):
        table.add_column(col)
    table.add_row("SemScore (mean)", _figure(base.get("semscore")), _figure(tuned.get("semscore")))
    table.add_row("exact match", _figure(base.get("exact_match")), _figure(tuned.get("exact_match")))
    table.add_row("ROUGE-L", _figure(base.get("rouge_l")), _figure(tuned.get("rouge_l")))
    if "truthfulness" in tuned:
        table.add_row("truthfulness 1-5 (mean)", _figure(base.get("truthfulness")),
                      _figure(tuned.get("truthfulness")))
    parts: list[Any] = [table, Text()]
    scores = {side: [r[side]["semscore"] for r in rows if isinstance(r.get(side), dict)]
              for side in ("base", "fine_tuned")}
    if any(scores.values()):
        lo = min(min(v) for v in scores.values() if v)
        hi = max(max(v) for v in scores.values() if v)
        parts += [histogram("SemScore, base", scores["base"], lo=lo, hi=hi),
                  histogram("SemScore, fine-tuned", scores["fine_tuned"], lo=lo, hi=hi)]
    for side, label in (("base", "truthfulness, base"), ("fine_tuned", "truthfulness, fine-tuned")):
        dist = report.get(side, {}).get("truthfulness", {}).get("distribution")
        if dist:
            parts.append(histogram(label, [int(k) for k, n in dist.items() for _ in range(n)], lo=1, hi=5, bins=5))
    low = report.get("eval_low", {})
    if low:
        parts += [Text(), Text(f"{low.get('count', 0)} test pairs flagged eval_low ({low.get('rule', '')}); "
                               "ctrl+b lists them on the review screen", style="yellow")]
    return Group(*parts)


def _figure(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("mean")
    return f"{value:.4f}" if isinstance(value, float) else "" if value is None else str(value)


def histogram(title: str, scores: list[float], *, lo: float | None = None, hi: float | None = None,
              bins: int = 10) -> Text:
    """A one-line histogram of scores between lo and hi (default: their min and max)."""
    values = [float(s) for s in scores if isinstance(s, (int, float))]
    if not values:
        return Text(f"{title}: no scores", style="dim")
    lo = min(values) if lo is None else lo
    hi = max(values) if hi is None else hi
    width = (hi - lo) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / width))] += 1
    top = max(counts)
    bars = "".join(_BARS[min(len(_BARS) - 1, c * (len(_BARS) - 1) // top)] if c else " " for c in counts)
    return Text(f"{title:<24} {lo:.2f} {bars} {hi:.2f}  ({len(values)} pairs)")
