"""Opening the app from the command line: `curator review` and `curator` alone both come here.

Without a terminal (a pipe, CI) there is no app to show, so the status report is printed
instead. textual is loaded only when the app is actually built.
"""

from __future__ import annotations

import sys

from rich.console import Console

from curator.render import render_status
from curator.status import workspace_status
from curator.workspace import Workspace


def open_app(ws: Workspace, console: Console, screen: str = "review", *, status_filter: str | None = None) -> None:
    """Run the app on `ws` until it quits; without a terminal, print the status report on `console` and return."""
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        render_status(console, workspace_status(ws))
        console.print("(no terminal: this is the status report; run `curator review` in a terminal for the app)")
        return
    from curator.store.review_queries import ReviewFilter
    from curator.tui import build_app

    review_filter = ReviewFilter(status=status_filter) if status_filter else None
    build_app(ws, screen=screen, review_filter=review_filter).run()
