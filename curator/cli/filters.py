"""`curator filter`: flags for duplicates, rules, moderation, judge, contamination."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, app, not_built


@app.command(name="filter", context_settings=PASS_ARGS)
def filter_(ctx: typer.Context) -> None:
    """Flag duplicates, rule violations, moderation hits, judge scores and contamination (nothing is deleted)."""
    not_built("filter", "filter")
