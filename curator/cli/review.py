"""`curator review`: the terminal app (its launcher, shared with `curator` alone, is curator.tui.launch).

`curator.tui` (and so textual) is imported inside the command only: the rest of
curator must stay importable without it.
"""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer

from curator.cli.common import current_workspace, out


class Screen(str, Enum):
    pipeline = "pipeline"
    sources = "sources"
    review = "review"
    versions = "versions"
    train = "train"


review_app = typer.Typer()  # `review`, mounted at the top level by app.py


@review_app.command()
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
    from curator.tui.launch import open_app

    open_app(current_workspace(), out, screen.value, status_filter=status)
