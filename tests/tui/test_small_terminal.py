"""At 80x24 every screen keeps its tabs and footer usable, and the dialogs' last fields can be reached (tab moves
the focus there and the dialog scrolls it into view)."""

from __future__ import annotations

import pytest

from curator.tui import build_app
from curator.tui.widgets.dialogs import EditDialog
from curator.tui.widgets.footer import CuratorFooter
from curator.tui.widgets.source_dialogs import AddFilesDialog

from .conftest import plain

SMALL = (80, 24)


def _footer_text(screen) -> str:
    footer = screen.query_one(CuratorFooter)
    return " ".join(f"{k.key_display} {k.description}" for k in footer.query("FooterKey"))


@pytest.mark.asyncio
@pytest.mark.parametrize("name", ["pipeline", "sources", "review", "versions", "train"])
async def test_every_screen_at_80x24_keeps_its_keys(review_ws, open_screen, name):
    app = build_app(review_ws, screen=name)
    async with app.run_test(size=SMALL) as pilot:
        screen = await open_screen(pilot, name)
        await pilot.pause()
        tabs = plain(screen.query_one("ScreenTabs").content)
        assert all(label in tabs for label in ("Pipeline", "Sources", "Review", "Versions", "Train"))
        footer = screen.query_one(CuratorFooter)
        assert footer.compact
        keys = list(footer.query("FooterKey"))
        assert keys and all(k.region.right <= SMALL[0] for k in keys)       # nothing cut at the edge
        assert any(k.action == "app.help" for k in keys)                   # ? lists the rest


@pytest.mark.asyncio
@pytest.mark.parametrize("width", [120, 160])
async def test_the_review_footer_shows_whole_keys_and_help_at_any_width(review_ws, open_screen, width):
    app = build_app(review_ws)
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_screen(pilot)
        await pilot.pause()
        footer = screen.query_one(CuratorFooter)
        keys = list(footer.query("FooterKey"))
        assert all(k.region.right <= width for k in keys)  # no key cut in half at the edge
        assert any(k.action == "app.help" for k in keys)
        shown = _footer_text(screen)
        assert "a Accept" in shown and "r Reject" in shown
        if width >= 160:  # room for the judge keys: the queue by doubt and the judge against the reviewers
            assert "U Uncertain first" in shown and "J Judge" in shown


@pytest.mark.asyncio
async def test_the_edit_and_add_dialogs_reach_their_last_field_at_80x24(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SMALL) as pilot:
        review = await open_screen(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, EditDialog)
        answer = app.screen.query_one("#edit-answer")
        answer.focus()
        await pilot.pause()
        assert 0 <= answer.region.y < SMALL[1] and answer.region.height > 0
        await pilot.press("escape")
        await review.wait_settled()
        await pilot.press("f3")
        await open_screen(pilot, "sources")
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AddFilesDialog)
        kind = app.screen.query_one("#add-kind")
        kind.focus()
        await pilot.pause()
        assert kind.region.bottom <= SMALL[1]
