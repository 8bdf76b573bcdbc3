"""report.md: the evaluation as a person reads it: before/after table, errors, judge, worst answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

WORST_SHOWN = 10


def _cell(text: str, width: int = 90) -> str:
    text = " ".join((text or "").split()).replace("|", "\\|")
    return text if len(text) <= width else text[:width - 1] + "…"


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def write_markdown(report: dict[str, Any], rows: list[dict[str, Any]], out: Path) -> Path:
    base, tuned = report["base"], report["fine_tuned"]
    lines = [
        f"# Evaluation of run {report['run']}",
        "",
        f"Version `{report['version']}`, {report['test_pairs']} held-out test pairs"
        + (f" ({report['left_out_contaminated']} left out as contaminated)" if report["left_out_contaminated"]
           else "") + f"; base model `{report['base_model'].get('name')}`, template `{report['template']}`; "
        f"generation {', '.join(f'{k} {v}' for k, v in report['generation'].items())}; "
        f"embeddings `{Path(report['embedding_model']).name}`.",
        "",
        "| metric | base | fine-tuned |",
        "|---|---|---|",
        f"| SemScore mean | {_fmt(base['semscore'].get('mean'))} | {_fmt(tuned['semscore'].get('mean'))} |",
        f"| SemScore median | {_fmt(base['semscore'].get('median'))} | {_fmt(tuned['semscore'].get('median'))} |",
        f"| exact match (normalized) | {_fmt(base['exact_match'])} | {_fmt(tuned['exact_match'])} |",
        f"| ROUGE-L F1 | {_fmt(base['rouge_l'])} | {_fmt(tuned['rouge_l'])} |",
        f"| mean answer tokens | {_fmt(base['mean_new_tokens'])} | {_fmt(tuned['mean_new_tokens'])} |",
    ]
    for kind, rate in tuned["error_rates"].items():
        lines.append(f"| {kind.replace('_', ' ')} answers | {base['errors'][kind]} ({base['error_rates'][kind]:.1%})"
                     f" | {tuned['errors'][kind]} ({rate:.1%}) |")
    lines.append("")
    if report["judge"]["enabled"]:
        lines += ["## Truthfulness (LLM judge, 1-5)", "", "| score | base | fine-tuned |", "|---|---|---|"]
        for score in "12345":
            lines.append(f"| {score} | {base['truthfulness']['distribution'][score]} | "
                         f"{tuned['truthfulness']['distribution'][score]} |")
        lines += [f"| mean | {_fmt(base['truthfulness']['mean'])} | {_fmt(tuned['truthfulness']['mean'])} |", ""]
    else:
        lines += [f"Truthfulness judge: off ({report['judge'].get('reason')}).", ""]
    plots = report.get("files", {}).get("plots", {})
    lines += [f"![{name}]({file})" for name, file in plots.items()] + [""]
    lines += [f"## Flagged for review ({report['eval_low']['count']} pairs: {report['eval_low']['rule']})", ""]
    worst = sorted(rows, key=lambda r: r["fine_tuned"]["semscore"] or 0.0)[:WORST_SHOWN]
    if worst:
        lines += ["| pair | question | reference | fine-tuned answer | SemScore |", "|---|---|---|---|---|"]
        for row in worst:
            lines.append(f"| {row['pair_id']} | {_cell(row['question'], 60)} | {_cell(row['reference'], 60)} | "
                         f"{_cell(row['fine_tuned']['answer'], 60)} | {_fmt(row['fine_tuned']['semscore'])} |")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
