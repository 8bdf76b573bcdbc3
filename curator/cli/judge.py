"""`curator judge calibrate` and `curator judge uncertain`: the LLM judge measured against reviewers."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from curator.cli.common import JsonOpt, current_workspace, emit_json, out
from curator.store.pairs import questions_of

judge_app = typer.Typer(help="The LLM judge against people: agreement with reviewers, a threshold that matches "
                             "them, and the review queue ordered by doubt.", no_args_is_help=True)


def _settings(ws):
    from curator.filters.settings import FilterSettings

    return FilterSettings.from_config(ws.config["filters"])


@judge_app.command("calibrate")
def calibrate_cmd(as_json: JsonOpt = False) -> None:
    """Agreement between the judge's verdicts and reviewers' accept/reject (Cohen's kappa, Scott's pi, a
    confusion table), and the quality threshold that best matches the reviewers."""
    from curator.filters.calibrate import calibrate

    ws = current_workspace()
    conn = ws.connect()
    try:
        result = calibrate(conn, _settings(ws))
    finally:
        conn.close()
    report = result.as_dict()
    if as_json:
        emit_json(report)
        return
    out.print(f"judged pairs {result.judged:,}; pairs a reviewer accepted or rejected {result.decided:,}; "
              f"both {result.both:,}")
    if not result.both:
        out.print("Nothing to compare yet: run the judge (`curator filter --only judge`) and review some of the "
                  "pairs it scored.")
        return
    table = Table(title=f"judge at judge_min_quality = {result.threshold}")
    table.add_column("reviewer \\ judge")
    table.add_column("pass", justify="right")
    table.add_column("fail", justify="right")
    for name, row in zip(("accept", "reject"), result.table):
        table.add_row(name, f"{row[0]:,}", f"{row[1]:,}")
    out.print(table)
    fmt = lambda v: "-" if v is None else f"{v:.3f}"
    out.print(f"agreement {fmt(result.scores['agreement'])}, Cohen's kappa {fmt(result.scores['cohen_kappa'])}, "
              f"Scott's pi {fmt(result.scores['scott_pi'])}")
    if result.proposed:
        p = result.proposed
        out.print(f"proposed: [bold]{escape(p['setting'])}[/] (kappa {fmt(p['cohen_kappa'])}, pi "
                  f"{fmt(p['scott_pi'])}, agreement {fmt(p['agreement'])})")


@judge_app.command("uncertain")
def uncertain_cmd(
    status: Annotated[str, typer.Option("--status", help="pending, accepted, rejected or all.")] = "pending",
    limit: Annotated[int, typer.Option("--limit", help="Show the first N (0: all).")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """The review queue, most uncertain first: pairs where the judge, similar pairs' decisions, eval_low,
    dedup conflicts and rule limits disagree or sit on a limit."""
    from curator.filters.calibrate import uncertain_first

    if status not in ("pending", "accepted", "rejected", "all"):
        raise typer.BadParameter(f"{status!r} is not one of pending, accepted, rejected, all", param_hint="--status")
    ws = current_workspace()
    conn = ws.connect()
    try:
        doubts = uncertain_first(conn, _settings(ws), status=status, limit=limit or None)
        questions = questions_of(conn, [d.pair_id for d in doubts])
    finally:
        conn.close()
    if as_json:
        emit_json({"order": "uncertain", "status": status,
                   "pairs": [{**d.as_dict(), "question": questions.get(d.pair_id)} for d in doubts]})
        return
    table = Table(title=f"{status} pairs, most uncertain first")
    for col in ("pair", "doubt", "question", "why"):
        table.add_column(col)
    for d in doubts:
        table.add_row(str(d.pair_id), f"{d.score:.2f}", escape((questions.get(d.pair_id) or "")[:60]),
                      escape("; ".join(d.signals)) or "-")
    out.print(table)
