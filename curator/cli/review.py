"""`curator review` (and `curator` alone): the terminal app; `curator bench tui`: its benchmark.

`curator.tui` (and so textual) is imported inside the commands only: the rest of
curator must stay importable without it.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from curator.cli.app import JsonOpt, app, bench_app, current_workspace, emit_json, load_benchmark, out
from curator.render import render_status
from curator.status import workspace_status


class Screen(str, Enum):
    pipeline = "pipeline"
    sources = "sources"
    review = "review"
    versions = "versions"
    train = "train"


def open_app(screen: str = "review", *, status_filter: str | None = None) -> None:
    """Open the app on the workspace; without a terminal, print the status report instead and return."""
    ws = current_workspace()
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        render_status(out, workspace_status(ws))
        out.print("(no terminal: this is the status report; run `curator review` in a terminal for the app)")
        return
    from curator.store.review_queries import ReviewFilter
    from curator.tui import build_app

    review_filter = ReviewFilter(status=status_filter) if status_filter else None
    build_app(ws, screen=screen, review_filter=review_filter).run()


@app.command()
def review(
    screen: Annotated[Screen, typer.Option("--screen", "-s", help="The screen to open on.",
                                           case_sensitive=False)] = Screen.review,
    status: Annotated[str | None, typer.Option("--status", help="Open the review list on this status: pending, "
                                               "accepted, rejected or all (default pending).",
                                               show_default=False)] = None,
) -> None:
    """Open the terminal app on the workspace: review pairs with the keyboard, run stages, make versions,
    train. Keys: ? lists them all; ctrl+p finds any action by name. Without a terminal (stdout not a TTY),
    prints the status report instead."""
    if status is not None and status not in ("pending", "accepted", "rejected", "all"):
        raise typer.BadParameter(f"{status!r} is not one of pending, accepted, rejected, all", param_hint="--status")
    open_app(screen.value, status_filter=status)


@bench_app.command("tui")
def bench_tui(
    pairs: Annotated[int, typer.Option("--pairs", min=1, help="How many pairs the generated workspace holds.")]
    = 100_000,
    workdir: Annotated[Path | None, typer.Option("--workdir", help="Where to generate the workspace (default: "
                                                 "the system's temporary folder); it is removed afterwards.",
                                                 show_default=False)] = None,
    accepts: Annotated[int, typer.Option("--accepts", min=1, help="Accepts timed for the p95.")] = 60,
    as_json: JsonOpt = False,
) -> None:
    """Open the review app headless on a generated workspace of N pairs and time opening, the next pair after
    an accept (p95), a filter switch, a text search, and the peak memory."""
    run_tui_bench = load_benchmark("tui").run_tui_bench

    result = run_tui_bench(pairs, workdir=workdir, accepts=accepts)
    if as_json:
        emit_json(result)
        return
    out.print(f"[bold]review app, {result['pairs']:,} pairs[/]")
    out.print(f"  open the review screen  {result['open_review_s']:.3f} s")
    out.print(f"  next pair after accept  {result['next_after_accept_p95_ms']:.1f} ms (p95)")
    out.print(f"  switch a filter         {result['filter_switch_ms']:.1f} ms (slowest of 5)")
    out.print(f"  text search             {result['search_ms']:.1f} ms")
    out.print(f"  peak memory             {result['peak_rss_mb']:.0f} MB")
