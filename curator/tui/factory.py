"""The one factory that builds the app, for `curator review`, the benchmark and the tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from curator.store.review_queries import ReviewFilter
from curator.tui.context import AppContext
from curator.tui.keys import keymap_from_config
from curator.tui.workers import Store
from curator.workspace import Workspace

if TYPE_CHECKING:
    from curator.tui.app import CuratorApp
    from curator.tui.stages import StageSpec

SCREEN_NAMES = ("pipeline", "sources", "review", "versions", "train")


def build_app(ws: Workspace, *, screen: str = "review", stages: Sequence[StageSpec] | None = None,
              llm_base_url: str | None = None, curator_command: Sequence[str] | None = None,
              review_filter: ReviewFilter | None = None) -> CuratorApp:
    """The app on workspace `ws`, opening on `screen`.

    `stages` replaces the pipeline's stage table (tests use a stage that runs until
    cancelled); `llm_base_url` sends regenerate to that endpoint instead of the
    configured one; `curator_command` is how stage processes start curator.
    """
    from curator.tui.app import CuratorApp
    from curator.tui.jobs import Jobs
    from curator.tui.stages import default_stages

    if screen not in SCREEN_NAMES:
        raise ValueError(f"unknown screen {screen!r}; expected one of {', '.join(SCREEN_NAMES)}")
    keymap = keymap_from_config(ws.config)
    ctx = AppContext(ws=ws, store=Store(ws), actor=ws.reviewer,
                     reject_reasons=list(ws.config["review"]["reject_reasons"]),
                     stages=list(stages) if stages is not None else default_stages(),
                     llm_base_url=llm_base_url)
    if curator_command is not None:
        ctx.curator_command = list(curator_command)
    ctx.jobs = Jobs(ctx)
    return CuratorApp(ctx, screen=screen, keymap=keymap, review_filter=review_filter)

