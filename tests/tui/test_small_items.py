"""The small review items: "another reason" by its number, bulk decisions in the session count, the cursor after
clearing the filter, the revision list's spacing, a cluster's answers, why an unflagged pair passed."""

from __future__ import annotations

import pytest

from curator.filters.run import run_filters
from curator.store.pairs import get_pair
from curator.tui import build_app
from curator.tui.screens.review_stages import ClusterDialog
from curator.tui.widgets.dialogs import ConfirmDialog, MessageDialog, ReasonPicker

from .conftest import SIZE, plain
from .test_clusters import ANSWER, _duplicates, _open


@pytest.mark.asyncio
async def test_the_number_of_another_reason_lets_you_type_one(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        pair_id = review.pairs.current_id
        await pilot.press("r")
        picker = await _open(pilot, ReasonPicker)
        assert len(review_ws.config["review"]["reject_reasons"]) == 7
        await pilot.press("8")
        box = picker.query_one("#other-reason")
        assert box.has_focus and box.display
        await pilot.press(*"wrong currency", "enter")
        await review.wait_settled()
        conn = review_ws.connect()
        assert get_pair(conn, pair_id)["status_reason"] == "wrong currency"
        conn.close()


@pytest.mark.asyncio
async def test_bulk_decisions_count_in_the_session_and_c_starts_at_the_first_pair(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("space", "space", "space")  # three selected
        await pilot.press("A")
        await _open(pilot, ConfirmDialog)
        await pilot.press("y")
        await review.wait_settled(lambda: review.session["accepted"] == 3)
        assert "session: 3 accepted" in str(review.query_one("#review-counts").content)
        review.pairs.move_to(20)
        await review.wait_settled()
        await pilot.press("c")
        await review.wait_settled(lambda: review.pairs.cursor == 0)
        assert review.pairs.current_id == int(review.pairs.ids[0])


@pytest.mark.asyncio
async def test_revisions_are_spaced_and_cluster_members_show_their_answers(empty_ws, open_screen):
    first, second, _ = _duplicates(empty_ws)
    run_filters(empty_ws, only=["dedup"])
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.apply_filter(review.filter.but(status="all", flag="any"))
        await review.wait_settled(lambda: review.filter.flag == "any")
        await pilot.press("d")
        dialog = await _open(pilot, ClusterDialog)
        members = dialog.query_one("#members")
        shown = " ".join(str(members.get_option_at_index(i).prompt) for i in range(members.option_count))
        assert "A Free On Board" in shown
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        edit = app.screen
        edit.query_one("#edit-question").text = "What does FOB stand for?"
        await pilot.press("ctrl+s")
        await review.wait_settled(lambda: review._detail and review._detail["pair"]["revision"] == 2)
        from curator.tui.widgets.pair_detail import PairDetail
        detail = " ".join(" ".join(plain(w.content).split()) for w in review.query_one(PairDetail).query("Static"))
        assert " superseded What does FOB mean" in detail


@pytest.mark.asyncio
async def test_why_flagged_on_an_unflagged_pair_after_a_filter_run(review_ws, open_screen):
    run_filters(review_ws, only=["rules"])
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.apply_filter(review.filter.but(flag="none"))
        await review.wait_settled(lambda: review.filter.flag == "none")
        await pilot.press("w")
        dialog = await _open(pilot, MessageDialog)
        shown = plain(dialog.query_one("#message-body").content)
        assert "never ran" not in shown and "passes every filter" in shown
