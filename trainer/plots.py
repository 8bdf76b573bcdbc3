"""PNG plots of a run: the loss curve, SemScore before and after, truthfulness before and after."""

from __future__ import annotations

import json
from pathlib import Path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def read_curves(metrics_file: Path) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
    """(training loss points, validation loss points) of a run's metrics.jsonl, each as (step, loss)."""
    train, validation = [], []
    if metrics_file.exists():
        for line in metrics_file.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if "loss" in record:
                    train.append((record["step"], record["loss"]))
                if "val_loss" in record:
                    validation.append((record["step"], record["val_loss"]))
    return train, validation


def loss_curve(metrics_file: Path, out: Path, title: str) -> Path | None:
    train, validation = read_curves(metrics_file)
    if not train and not validation:
        return None
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot([p[0] for p in train], [p[1] for p in train], marker="o" if len(train) < 30 else None,
            label="training loss")
    if validation:
        ax.plot([p[0] for p in validation], [p[1] for p in validation], marker="s", color="#cc3311",
                label="validation loss")
        best = min(validation, key=lambda p: p[1])
        ax.axvline(best[0], color="#cc3311", linestyle=":", alpha=0.6, label=f"best checkpoint (step {best[0]})")
        ax.legend()
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("answer-token cross-entropy")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def semscore_histogram(before: list[float], after: list[float], out: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    bins = [i / 20 for i in range(-4, 21)]
    ax.hist(before, bins=bins, alpha=0.55, label=f"base (mean {_mean(before):.3f})")
    ax.hist(after, bins=bins, alpha=0.55, label=f"fine-tuned (mean {_mean(after):.3f})")
    ax.set_xlabel("SemScore (cosine similarity to the reference answer)")
    ax.set_ylabel("test pairs")
    ax.legend()
    ax.set_title("SemScore before and after fine-tuning")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def truthfulness_histogram(before: dict[int, int], after: dict[int, int], out: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    scores = [1, 2, 3, 4, 5]
    ax.bar([s - 0.2 for s in scores], [before.get(s, 0) for s in scores], width=0.4, label="base")
    ax.bar([s + 0.2 for s in scores], [after.get(s, 0) for s in scores], width=0.4, label="fine-tuned")
    ax.set_xticks(scores)
    ax.set_xlabel("truthfulness (LLM judge, 1 = false, 5 = fully true)")
    ax.set_ylabel("test pairs")
    ax.legend()
    ax.set_title("Truthfulness before and after fine-tuning")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")
