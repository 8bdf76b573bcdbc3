"""Snapshots of every screen at 120x36 on a generated workspace with fixed timestamps (no clock in them).

Update them after an intended change of the layout with `pytest tests/tui --snapshot-update`, and look at
the SVG files under tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import pytest

from curator.tui import build_app
from curator.tui.screens.help import HelpScreen

from .conftest import SIZE

# Eight app runs of a second or two each: in the slow set (CI runs it; `make test-fast` skips it).
pytestmark = pytest.mark.slow

STAMP = "2026-01-02T03:04:05.000Z"


async def _until(pilot, condition, tries: int = 400) -> None:
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("the screen never reached the state the snapshot needs")


def _screen_named(pilot, name: str):
    return getattr(pilot.app.screen, "name", None) == name


def _with_versions(ws):
    conn = ws.connect()
    for vid, parent, message, count in (("3f9a1c0d2e4b" + "0" * 52, None, "first reviewed cut", 12),
                                        ("8b2e77a1c9d0" + "1" * 52, "3f9a1c0d2e4b" + "0" * 52, "after dedup", 11)):
        conn.execute("INSERT INTO versions (id, parent_id, message, path, pair_count, manifest, created_at)"
                     " VALUES (?, ?, ?, ?, ?, '{}', ?)", (vid, parent, message, f"versions/{vid}", count, STAMP))
    conn.close()
    return ws


def test_review_screen(review_ws, snap_compare):
    async def ready(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "review"))
        await pilot.app.screen.wait_settled()
        await pilot.pause()
    assert snap_compare(build_app(review_ws), terminal_size=SIZE, run_before=ready)


def test_review_screen_after_accepting_and_rejecting(review_ws, snap_compare):
    async def act(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "review"))
        review = pilot.app.screen
        await review.wait_settled()
        await pilot.press("a", "r", "2", "space", "j")
        await review.wait_settled()
        await pilot.pause()
    assert snap_compare(build_app(review_ws), terminal_size=SIZE, run_before=act)


def test_reject_reason_picker(review_ws, snap_compare):
    async def open_picker(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "review"))
        await pilot.app.screen.wait_settled()
        await pilot.press("r")
        await pilot.pause()
    assert snap_compare(build_app(review_ws), terminal_size=SIZE, run_before=open_picker)


def test_pipeline_screen(review_ws, snap_compare):
    async def ready(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "pipeline") and pilot.app.screen.table)
        await pilot.pause()
    assert snap_compare(build_app(review_ws, screen="pipeline"), terminal_size=SIZE, run_before=ready)


def test_sources_screen(review_ws, snap_compare):
    async def ready(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "sources")
                     and pilot.app.screen.query_one("#documents-table").row_count > 0)
        await pilot.pause()
    assert snap_compare(build_app(review_ws, screen="sources"), terminal_size=SIZE, run_before=ready)


def test_versions_screen(review_ws, snap_compare):
    async def ready(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "versions") and pilot.app.screen.versions)
        await pilot.press("space", "j", "space")
        await pilot.pause()
    assert snap_compare(build_app(_with_versions(review_ws), screen="versions"), terminal_size=SIZE,
                        run_before=ready)


def test_train_screen(review_ws, snap_compare):
    async def ready(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "train")
                     and pilot.app.screen.query_one("#train-version").value is not None)
        await pilot.pause()
    assert snap_compare(build_app(_with_versions(review_ws), screen="train"), terminal_size=SIZE,
                        run_before=ready)


def test_help_screen(review_ws, snap_compare):
    async def open_help(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "review"))
        await pilot.app.screen.wait_settled()
        await pilot.press("question_mark")
        await _until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause()
    assert snap_compare(build_app(review_ws), terminal_size=SIZE, run_before=open_help)


SMALL = (80, 24)


def test_review_screen_at_80x24(review_ws, snap_compare):
    """The footer keeps the most used keys whole (accept, reject, edit, ...) and ? and ctrl+p for the rest."""
    async def ready(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "review"))
        await pilot.app.screen.wait_settled()
        await pilot.pause()
    assert snap_compare(build_app(review_ws), terminal_size=SMALL, run_before=ready)


def test_filter_dialog_at_80x24_scrolls_to_the_focused_field(review_ws, snap_compare):
    """Tab to the buttons at the bottom: the dialog scrolls so that the focused one is on screen."""
    async def open_filter(pilot):
        await _until(pilot, lambda: _screen_named(pilot, "review"))
        await pilot.app.screen.wait_settled()
        await pilot.press("f")
        from curator.tui.widgets.filter_dialog import FilterDialog
        await _until(pilot, lambda: isinstance(pilot.app.screen, FilterDialog))
        pilot.app.screen.query_one("#apply").focus()
        await pilot.pause()
        await pilot.pause()
    assert snap_compare(build_app(review_ws), terminal_size=SMALL, run_before=open_filter)


@pytest.fixture(autouse=True)
def _no_color_env(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
