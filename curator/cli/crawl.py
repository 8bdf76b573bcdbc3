"""`curator crawl`: a polite web crawler feeding documents."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, app, not_built


@app.command(context_settings=PASS_ARGS)
def crawl(ctx: typer.Context) -> None:
    """Crawl web pages politely (robots.txt, per-host delay, scope limits) into documents."""
    not_built("crawl", "crawling")
