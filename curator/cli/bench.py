"""`curator bench ...`: benchmarks printing JSON."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, bench_app, not_built


@bench_app.command("run", context_settings=PASS_ARGS)
def bench_run(ctx: typer.Context) -> None:
    """Run a named benchmark (crawl, extract, dedup, versions, tui) and print JSON."""
    not_built("bench", "benchmark")
