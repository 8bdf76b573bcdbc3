"""Duplicate clusters from the review screen: open the pair's cluster, choose another keeper (the filters'
set_keeper), see why a pair is flagged (the filters' explain_pair)."""

from __future__ import annotations

import pytest

from curator.filters.run import run_filters
from curator.store import transaction
from curator.store.pairs import add_pair, history
from curator.tui import build_app
from curator.tui.screens.review_stages import ClusterDialog
from curator.tui.widgets.dialogs import MessageDialog

from .conftest import SIZE, plain

QUESTION = "What does FOB mean in Incoterms 2020?"
ANSWER = "Free On Board: the seller delivers the goods on board the vessel at the named port of shipment."


def _duplicates(ws) -> list[int]:
    conn = ws.connect()
    with transaction(conn):
        ids = [add_pair(conn, question=q, answer=ANSWER, origin="import", actor="test", document_id=None)
               for q in (QUESTION, QUESTION, "What does CIF mean in Incoterms 2020?")]
    conn.close()
    return ids


async def _open(pilot, screen_type):
    for _ in range(300):
        if isinstance(pilot.app.screen, screen_type):
            return pilot.app.screen
        await pilot.pause(0.02)
    raise AssertionError(f"{screen_type.__name__} never opened")


@pytest.mark.asyncio
async def test_choosing_another_keeper_from_the_cluster(empty_ws, open_screen):
    first, second, _ = _duplicates(empty_ws)
    run_filters(empty_ws, only=["dedup"])
    conn = empty_ws.connect()
    cluster = conn.execute("SELECT id, keeper_id FROM clusters ORDER BY id DESC LIMIT 1").fetchone()
    assert cluster is not None and cluster["keeper_id"] in (first, second)
    other = second if cluster["keeper_id"] == first else first
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.apply_filter(review.filter.but(status="all", cluster_id=cluster["id"]))
        await review.wait_settled(lambda: review.filter.cluster_id == cluster["id"])
        await pilot.press("d")
        dialog = await _open(pilot, ClusterDialog)
        members = dialog.query_one("#members")
        members.highlighted = next(i for i in range(members.option_count)
                                   if members.get_option_at_index(i).id == str(other))
        await pilot.press("enter")
        for _ in range(300):
            if any("keeper is now pair" in n.message for n in app._notifications):
                break
            await pilot.pause(0.02)
        row = conn.execute("SELECT keeper_id, keeper_by FROM clusters WHERE id = ?", (cluster["id"],)).fetchone()
        assert (row["keeper_id"], row["keeper_by"]) == (other, "human")
        assert history(conn, other)[-1]["action"] == "keeper"
        assert history(conn, other)[-1]["actor"] == "tester"
    conn.close()


@pytest.mark.asyncio
async def test_why_flagged_shows_the_filters_explanation(empty_ws, open_screen):
    _duplicates(empty_ws)
    run_filters(empty_ws, only=["dedup"])
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.apply_filter(review.filter.but(status="all", flag="any"))
        await review.wait_settled(lambda: review.filter.flag == "any")
        await pilot.press("w")
        dialog = await _open(pilot, MessageDialog)
        shown = plain(dialog.query_one("#message-body").content)
        assert "duplicate" in shown and "keeper policy" in shown
