"""`curator filter` (flags for duplicates, rules, moderation, judge, contamination) and `curator bench dedup`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from curator.cli.common import JsonOpt, current_workspace, emit_json, err, out
from curator.errors import CuratorError
from curator.filters import FILTERS

filter_app = typer.Typer(
    help="Flag duplicates, rule violations, moderation hits, judge scores and contamination (nothing is deleted).",
    no_args_is_help=False, invoke_without_command=True)  # mounted as `curator filter` by app.py


def _deprecated(old: str, new: str, as_json: bool) -> None:
    if not as_json:
        err.print(f"[yellow]`curator filter {old}` is deprecated: use `curator filter {new}`.[/]")
    else:
        err.print(f"`curator filter {old}` is deprecated: use `curator filter {new}`.")


@filter_app.callback()
def filter_(
    ctx: typer.Context,
    only: Annotated[str | None, typer.Option(
        "--only", help=f"Comma-separated filters to run: {', '.join(FILTERS)}. Default: dedup (with semantic "
        "duplicates), rules and contamination, plus moderation with an OpenAI endpoint and the judge when "
        "[filters].judge is on.", show_default=False)] = None,
    explain: Annotated[int | None, typer.Option(
        "--explain", metavar="PAIR", help="Deprecated: `curator filter explain PAIR`.", show_default=False,
        hidden=True)] = None,
    failing: Annotated[bool, typer.Option("--failing", help="Deprecated: `curator filter failing`.",
                                          hidden=True)] = False,
    include_accepted: Annotated[bool, typer.Option("--include-accepted", hidden=True)] = False,
    redecide_: Annotated[bool, typer.Option("--redecide", help="Deprecated: `curator filter redecide`.",
                                            hidden=True)] = False,
    keep: Annotated[int | None, typer.Option("--keep", metavar="PAIR", help="Deprecated: `curator filter keep PAIR`.",
                                             show_default=False, hidden=True)] = None,
    cluster: Annotated[int | None, typer.Option("--cluster", hidden=True, show_default=False)] = None,
    limit: Annotated[int, typer.Option("--limit", hidden=True)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Flag duplicates, rule violations, moderation hits, judge scores and contamination (nothing is deleted).

    `curator filter` runs the filters. Every filter stores what it measured; whether a pair fails is decided
    from those scores and the limits in curator.toml, so a moved limit re-decides at once (`failing`,
    `redecide`). A killed run leaves the previous flags intact. Sub-commands: explain, keep, failing, redecide.
    """
    if ctx.invoked_subcommand is not None:
        return
    if sum(x is not None and x is not False for x in (explain, keep, failing or None, redecide_ or None)) > 1:
        raise CuratorError("use one of --explain, --keep, --failing and --redecide at a time.")
    if explain is not None:
        _deprecated("--explain PAIR", "explain PAIR", as_json)
        return explain_cmd(explain, as_json)
    if keep is not None:
        _deprecated("--keep PAIR", "keep PAIR", as_json)
        return keep_cmd(keep, cluster, as_json)
    if failing:
        _deprecated("--failing", "failing", as_json)
        return failing_cmd(include_accepted, limit, as_json)
    if redecide_:
        _deprecated("--redecide", "redecide", as_json)
        return redecide_cmd(as_json)
    from curator.filters.run import run_filters

    ws = current_workspace()
    names = [x.strip() for x in only.split(",") if x.strip()] if only else None
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=out,
                  transient=True, disable=as_json) as progress:
        task = progress.add_task("filtering", total=None)
        counts = run_filters(ws, only=names, progress=lambda text: progress.update(task, description=text))
    emit_json(counts) if as_json else _render_counts(counts)


@filter_app.command("explain")
def explain_cmd(
    pair: Annotated[int, typer.Argument(metavar="PAIR", help="The pair to explain.")],
    as_json: JsonOpt = False,
) -> None:
    """Every measurement, flag, reason and duplicate cluster of PAIR, with today's decision for each; runs nothing."""
    from curator.filters.explain import explain_pair
    from curator.filters.settings import FilterSettings

    ws = current_workspace()
    conn = ws.connect()
    try:
        report = explain_pair(conn, pair, FilterSettings.from_config(ws.config["filters"]))
    finally:
        conn.close()
    emit_json(report) if as_json else _render_explain(report)


@filter_app.command("keep")
def keep_cmd(
    pair: Annotated[int, typer.Argument(metavar="PAIR", help="The pair to keep.")],
    cluster: Annotated[int | None, typer.Option(
        "--cluster", help="The cluster, when the pair is in several.", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Make PAIR the keeper of its duplicate cluster (a human choice, logged and kept by later runs)."""
    from curator.filters.keeper import set_keeper
    from curator.filters.settings import FilterSettings

    ws = current_workspace()
    conn = ws.connect()
    try:
        result = set_keeper(conn, pair, ws.reviewer, FilterSettings.from_config(ws.config["filters"]),
                            cluster_id=cluster)
    finally:
        conn.close()
    if as_json:
        emit_json(result)
    elif result["changed"]:
        out.print(f"pair {pair} is now the keeper of cluster {result['cluster_id']} "
                  f"(was {result['previous_keeper']}); {len(result['members'])} member(s) re-measured.")
    else:
        out.print(f"pair {pair} already is the keeper of cluster {result['cluster_id']}.")


@filter_app.command("failing")
def failing_cmd(
    include_accepted: Annotated[bool, typer.Option("--include-accepted", help="List accepted pairs too.")] = False,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many pairs (0: all).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """The pending pairs that today's filter limits (curator.toml) fail, from the stored scores (instant: nothing recomputed)."""
    from curator.filters.settings import FilterSettings
    from curator.filters.verdicts import failing_pairs

    ws = current_workspace()
    conn = ws.connect()
    try:
        rows = failing_pairs(conn, FilterSettings.from_config(ws.config["filters"]),
                             include_accepted=include_accepted)
    finally:
        conn.close()
    if as_json:
        emit_json({"count": len(rows), "pairs": rows[:limit] if limit else rows})
    else:
        _render_failing(rows, limit)


@filter_app.command("redecide")
def redecide_cmd(as_json: JsonOpt = False) -> None:
    """Re-derive the active flags from the stored scores under today's limits (after editing a cutoff)."""
    from curator.filters.settings import FilterSettings
    from curator.filters.verdicts import redecide

    ws = current_workspace()
    conn = ws.connect()
    try:
        counts = redecide(conn, FilterSettings.from_config(ws.config["filters"]))
    finally:
        conn.close()
    emit_json({"redecided": counts}) if as_json else out.print(f"flags re-derived: {counts}")


def _render_counts(counts: dict[str, Any]) -> None:
    out.print(f"filtered {counts.get('pairs', 0)} pairs (run {counts.get('run_id')})")
    flags = counts.get("flags", {})
    kinds = ", ".join(f"{k} {v:,}" for k, v in flags.items() if not k.startswith("rule:")) or "none"
    rules = ", ".join(f"{k[5:]} {v:,}" for k, v in flags.items() if k.startswith("rule:"))
    out.print(f"  active flags: {escape(kinds)}" + (f" (rules: {escape(rules)})" if rules else ""))
    out.print(f"  {counts.get('failing', 0):,} pending pair(s) fail today's limits: `curator filter failing` lists "
              "them, `curator filter explain PAIR` says why.")
    written = counts.get("written", {})
    out.print(f"  stored {written.get('scores', 0)} measurements ({written.get('retired', 0)} earlier flags retired).")


def _render_failing(rows: list[dict[str, Any]], limit: int) -> None:
    table = Table("pair", "status", "why", show_lines=False)
    for row in rows[:limit] if limit else rows:
        why = "; ".join(f"{r['kind']}: {r['reason']}" for r in row["reasons"])
        table.add_row(str(row["pair_id"]), row["status"] or "", escape(why))
    out.print(table)
    more = f" (showing {limit}; --limit 0 shows all)" if limit and len(rows) > limit else ""
    out.print(f"{len(rows)} pair(s) fail today's limits{more}.")


def _render_explain(report: dict[str, Any]) -> None:
    p = report["pair"]
    out.print(f"[bold]pair {p['id']}[/] ({p['status']}, {p['origin']}{', held out' if p['held_out'] else ''})")
    out.print(f"  Q: {escape(p['question'][:300])}")
    out.print(f"  A: {escape(p['answer'][:300])}")
    if not report["measurements"]:
        out.print("  no filter found anything about this pair.")
    for m in report["measurements"]:
        score = "" if m["score"] is None else f" {m['score']:g}"
        out.print(f"  - {m['kind']}{score}: {escape(m['reason'] or '')} -> [bold]{escape(m['decision'])}[/]")
    for c in report["clusters"]:
        keeper = c["keeper"] or {}
        out.print(f"  cluster {c['id']} ({c['kind']}), keeper #{c['keeper_id']} chosen by {c['keeper_by']}: "
                  f"{escape((keeper.get('question') or '')[:100])}")
        for m in c["members"]:
            out.print(f"      #{m['pair_id']} {m['kind']} {m['score']:g} ({m['status']}): {escape(m['question'][:100])}")
    out.print("  keeper policy: " + "; then ".join(report["keeper_policy"]))
