"""`curator review`: the terminal app."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, app, not_built


@app.command(context_settings=PASS_ARGS)
def review(ctx: typer.Context) -> None:
    """Open the terminal app on the workspace to review pairs with the keyboard."""
    not_built("review", "review (terminal app)")
