"""`curator add`: bringing files and folders into the workspace."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, app, not_built


@app.command(context_settings=PASS_ARGS)
def add(ctx: typer.Context) -> None:
    """Add files or folders: transcripts (.txt .srt .vtt), glossaries, exam banks, QA files, HTML, Markdown, PDF."""
    not_built("add", "ingestion")
