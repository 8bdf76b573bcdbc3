"""Every review action driven from the keyboard, checked in the store (what a crash would leave)."""

from __future__ import annotations

import pytest

from curator.store.pairs import get_pair, history
from curator.tui import build_app
from curator.tui.widgets.dialogs import ConfirmDialog, EditDialog, ReasonPicker

from .conftest import SIZE

pytestmark = pytest.mark.asyncio


def _conn(ws):
    return ws.connect()


async def test_accept_is_stored_at_once_and_moves_to_the_next_pair(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        first, second = int(review.pairs.ids[0]), int(review.pairs.ids[1])
        await pilot.press("a")
        await review.wait_settled()
        conn = _conn(review_ws)
        assert get_pair(conn, first)["status"] == "accepted"
        assert history(conn, first)[-1]["action"] == "accept" and history(conn, first)[-1]["actor"] == "tester"
        assert review.pairs.current_id == second
        assert review._detail["pair"]["id"] == second
        assert "accepted 7" in str(review.query_one("#review-counts").render())
        conn.close()


async def test_reject_asks_for_a_reason_and_keeps_it(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        pair_id = review.pairs.current_id
        await pilot.press("r")
        assert isinstance(app.screen, ReasonPicker)
        await pilot.press("3")
        await review.wait_settled()
        conn = _conn(review_ws)
        pair = get_pair(conn, pair_id)
        assert pair["status"] == "rejected"
        assert pair["status_reason"] == review_ws.config["review"]["reject_reasons"][2]
        conn.close()


async def test_escape_in_the_reason_picker_changes_nothing(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        pair_id = review.pairs.current_id
        await pilot.press("r", "escape")
        await review.wait_settled()
        assert get_pair(_conn(review_ws), pair_id)["status"] == "pending"
        assert review.pairs.current_id == pair_id


async def test_edit_saves_a_new_revision_and_keeps_the_old_one(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        old_id = review.pairs.current_id
        old_question = get_pair(_conn(review_ws), old_id)["question"]
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, EditDialog)
        dialog.query_one("#edit-question").text = "What does FOB mean for the seller?"
        await pilot.press("ctrl+s")
        await review.wait_settled()
        conn = _conn(review_ws)
        new_id = review.pairs.current_id
        assert new_id != old_id
        old, new = get_pair(conn, old_id), get_pair(conn, new_id)
        assert old["status"] == "superseded" and old["question"] == old_question
        assert new["question"] == "What does FOB mean for the seller?"
        assert new["revision"] == old["revision"] + 1 and new["parent_id"] == old_id
        assert review._detail["pair"]["id"] == new_id
        conn.close()


async def test_undo_reverts_decisions_newest_first(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        first, second = int(review.pairs.ids[0]), int(review.pairs.ids[1])
        await pilot.press("a", "r", "1")
        await review.wait_settled()
        await pilot.press("u")
        await review.wait_settled()
        conn = _conn(review_ws)
        assert get_pair(conn, second)["status"] == "pending"
        assert get_pair(conn, first)["status"] == "accepted"
        assert review.pairs.current_id == second
        await pilot.press("u")
        await review.wait_settled()
        assert get_pair(conn, first)["status"] == "pending"
        assert [h["action"] for h in history(conn, first)][-2:] == ["accept", "undo"]
        conn.close()


async def test_undo_of_an_edit_restores_the_text_as_a_new_revision(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        old_id = review.pairs.current_id
        original = get_pair(_conn(review_ws), old_id)["answer"]
        await pilot.press("e")
        app.screen.query_one("#edit-answer").text = "A changed answer."
        await pilot.press("ctrl+s")
        await review.wait_settled()
        await pilot.press("u")
        await review.wait_settled()
        restored = get_pair(_conn(review_ws), review.pairs.current_id)
        assert restored["answer"] == original and restored["revision"] == 3


async def test_select_then_bulk_reject_only_the_selection(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        picked = [int(i) for i in review.pairs.ids[:2]]
        untouched = int(review.pairs.ids[2])
        await pilot.press("space", "space", "R")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        assert isinstance(app.screen, ReasonPicker)
        await pilot.press("4")
        await review.wait_settled()
        conn = _conn(review_ws)
        assert [get_pair(conn, i)["status"] for i in picked] == ["rejected", "rejected"]
        assert get_pair(conn, untouched)["status"] == "pending"
        assert not review.pairs.selection
        conn.close()


async def test_bulk_accept_over_the_filter_confirms_the_count_and_undoes_as_one(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.apply_filter(review.filter.but(origin="glossary"))
        await review.wait_settled(lambda: review.filter.origin == "glossary")
        ids = [int(i) for i in review.pairs.ids]
        assert ids
        await pilot.press("A")
        assert isinstance(app.screen, ConfirmDialog)
        assert f"Accept {len(ids)} pairs?" in app.screen._title
        await pilot.press("n")
        await review.wait_settled()
        conn = _conn(review_ws)
        assert {get_pair(conn, i)["status"] for i in ids} == {"pending"}
        await pilot.press("A", "y")
        await review.wait_settled()
        assert {get_pair(conn, i)["status"] for i in ids} == {"accepted"}
        await pilot.press("u")
        await review.wait_settled()
        assert {get_pair(conn, i)["status"] for i in ids} == {"pending"}
        conn.close()


async def test_search_and_filters_change_the_list(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("slash", *"needle", "enter")
        await review.wait_settled(lambda: review.filter.text == "needle")
        conn = _conn(review_ws)
        assert review.total >= 1
        assert all("needle" in get_pair(conn, int(i))["question"] for i in review.pairs.ids)
        await pilot.press("c", "2")
        await review.wait_settled(lambda: review.filter.status == "accepted" and not review.filter.text)
        expected = conn.execute("SELECT COUNT(*) FROM qa_pairs WHERE status = 'accepted'").fetchone()[0]
        assert review.total == expected
        assert {get_pair(conn, int(i))["status"] for i in review.pairs.ids} == {"accepted"}
        conn.close()


async def test_filter_dialog_applies_every_field(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("f")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#f-status").value = "all"
        dialog.query_one("#f-flag").value = "judge"
        dialog.query_one("#f-judge-min").value = "6"
        await pilot.press("ctrl+s")
        await review.wait_settled(lambda: review.filter.flag == "judge")
        conn = _conn(review_ws)
        expected = conn.execute("SELECT COUNT(DISTINCT pair_id) FROM flags WHERE kind = 'judge' AND active = 1"
                                " AND score >= 6").fetchone()[0]
        assert review.filter.judge_min == 6.0 and review.total == expected > 0
        conn.close()


async def test_moving_keys_and_paging(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("j", "j", "k")
        assert review.pairs.cursor == 1
        await pilot.press("end")
        assert review.pairs.cursor == review.total - 1
        await pilot.press("home", "pagedown")
        assert review.pairs.cursor > 1
        await review.wait_settled()
        assert review._detail["pair"]["id"] == review.pairs.current_id


async def test_a_failed_write_becomes_a_notification_not_a_crash(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        pair_id = review.pairs.current_id
        conn = _conn(review_ws)
        conn.execute("UPDATE qa_pairs SET status = 'superseded' WHERE id = ?", (pair_id,))  # someone else, meanwhile
        await pilot.press("a")
        await review.wait_settled()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any(f"pair {pair_id} was superseded" in m for m in messages), messages
        assert app.is_running
        conn.close()
