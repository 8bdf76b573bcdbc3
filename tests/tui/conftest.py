"""Fixtures for the app's tests: deterministic workspaces (fixed timestamps) and helpers to drive the app."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from curator.workspace import Workspace, init_workspace, open_workspace
from tests.support.workspaces import generate_review_workspace

SIZE = (120, 36)


def _as_reviewer(ws: Workspace, name: str = "tester") -> Workspace:
    text = ws.config_path.read_text(encoding="utf-8").replace('reviewer = ""', f'reviewer = "{name}"', 1)
    ws.config_path.write_text(text, encoding="utf-8")
    return open_workspace(ws.root)


@pytest.fixture
def review_ws(tmp_path: Path) -> Workspace:
    """60 generated pairs (all origins and states, flags, clusters, chunks with times), reviewer "tester"."""
    return _as_reviewer(generate_review_workspace(tmp_path / "ws", 60))


@pytest.fixture
def empty_ws(tmp_path: Path) -> Workspace:
    return _as_reviewer(init_workspace(tmp_path / "empty"))


@pytest.fixture
def reviewer():
    return _as_reviewer


async def _screen(pilot, name: str):
    for _ in range(2000):
        if getattr(pilot.app.screen, "name", None) == name:
            return pilot.app.screen
        await asyncio.sleep(0.005)
    raise AssertionError(f"the {name} screen never opened (screen now: {pilot.app.screen!r})")


@pytest.fixture
def open_screen():
    """`await open_screen(pilot, "review")`: the screen once it is shown (and, for review, settled)."""
    async def opener(pilot, name: str = "review"):
        screen = await _screen(pilot, name)
        if name == "review":
            await screen.wait_settled()
        await pilot.pause()
        return screen
    return opener


def plain(renderable) -> str:
    """What a widget's content reads as, without styles (a Static's `content` is a rich renderable)."""
    import io

    from rich.console import Console
    console = Console(width=200, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()
