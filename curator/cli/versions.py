"""`curator version ...` and `curator export`."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, app, not_built, version_app


@app.command(context_settings=PASS_ARGS)
def export(ctx: typer.Context) -> None:
    """Export a version as alpaca, sharegpt, openai, trl, jsonl, csv or parquet."""
    not_built("export", "export")


@version_app.command("create", context_settings=PASS_ARGS)
def version_create(ctx: typer.Context) -> None:
    """Snapshot the accepted pairs into an immutable version (parquet, HF datasets, manifest)."""
    not_built("version create", "versions")


@version_app.command("list", context_settings=PASS_ARGS)
def version_list(ctx: typer.Context) -> None:
    """List the workspace's versions."""
    not_built("version list", "versions")
