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


def training_argv(version: str, base: str, preset: str, *, dpo_from: str | None = None) -> list[str]:
    """`curator train VERSION --preset P [--base B]`, or with `dpo_from` a DPO run on that SFT run's adapter."""
    args = ["train", version, "--preset", preset]
    if dpo_from:
        return args + ["--method", "dpo", "--from", dpo_from]
    return args + (["--base", base] if base else [])


def latest_run(runs_root: Path) -> Path | None:
    try:
        runs = [p.parent for p in runs_root.glob(f"*/{RUN_FILE}")]
    except OSError:
        return None
    return max(runs, key=lambda p: (p / RUN_FILE).stat().st_mtime, default=None)


def list_runs(runs_root: Path, limit: int = 50) -> list[dict[str, Any]]:
    """The runs, newest first: id, folder, status from run.json (done, running, cancelled, failed, planned),
    and the last logged step of total steps."""
    try:
        found = [p.parent for p in runs_root.glob(f"*/{RUN_FILE}")]
    except OSError:
        return []
    found.sort(key=lambda p: (p / RUN_FILE).stat().st_mtime, reverse=True)
    runs = []
    for run_dir in found[:limit]:
        try:
            manifest = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            manifest = {}
        last = last_metrics(run_dir)
        runs.append({"id": run_dir.name, "dir": run_dir, "status": manifest.get("status", "unknown"),
                     "error": manifest.get("error"), "step": last.get("step"), "total_steps": last.get("total_steps"),
                     "evaluated": (run_dir / EVAL_DIR / "report.json").is_file()})
    return runs


def last_metrics(run_dir: Path) -> dict[str, Any]:
    """The last complete line of metrics.jsonl (reads only the file's end)."""
    try:
        with open(run_dir / METRICS, "rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            fh.seek(max(0, size - 8192))
            tail = fh.read().decode("utf-8", "replace")
    except OSError:
        return {}
    for line in reversed(tail.splitlines(keepends=True)):
        if line.endswith("\n"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and "step" in record:
                return record
    return {}


def progress_text(run_dir: Path) -> str:
    """`step 12 / 40, ETA 01:32` from the last logged step (its elapsed time gives the pace)."""
    last = last_metrics(run_dir)
    step, total, elapsed = last.get("step"), last.get("total_steps"), last.get("elapsed_s")
    if not isinstance(step, int) or not isinstance(total, int) or total <= 0:
        return "no step logged yet"
    text = f"step {step} / {total}"
    if isinstance(elapsed, (int, float)) and step > 0 and step < total:
        left = int(elapsed / step * (total - step))
        text += f", ETA {left // 60:02d}:{left % 60:02d}"
    return text


def run_label(run: dict[str, Any]) -> str:
    """One line of the run chooser: id, status, steps, evaluated."""
    steps = f"  step {run['step']}/{run['total_steps']}" if run.get("step") is not None else ""
    done = "  evaluated" if run.get("evaluated") else ""
    return f"{run['id']}  {run['status']}{steps}{done}"


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
