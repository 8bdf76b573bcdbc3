"""Several reviewers on one store: a decision on a pair someone changed since is refused with a notice and the
row shows what it is now; writes by another process appear within about a second, without ctrl+l; undo of
a keeper choice; a clashing key remap is refused at start."""

from __future__ import annotations

import time

import pytest

from curator.errors import ConfigError
from curator.filters.run import run_filters
from curator.store.pairs import get_pair, history
from curator.store.review_actions import decide
from curator.tui import build_app
from curator.tui.screens.review_stages import ClusterDialog

from .conftest import SIZE
from .test_clusters import _duplicates, _open


def _notes(app) -> list[str]:
    return [n.message for n in app._notifications]


# A deadline, not a wait: generous, since a loaded machine once missed 20 s.
async def _until(pilot, condition, what: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        await pilot.pause(0.05)


@pytest.mark.asyncio
async def test_a_decision_on_a_pair_changed_since_is_refused(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        review.watcher.pause()  # the other reviewer's write lands between our look and our key press
        pair_id = review.pairs.current_id
        assert review.pairs.row(pair_id)["status"] == "pending"
        other = review_ws.connect()
        decide(other, pair_id, "rejected", "bob", reason="wrong answer")
        await pilot.press("a")
        await _until(pilot, lambda: any("reject by bob" in m for m in _notes(app)), "the stale notice")
        await review.wait_settled(lambda: review.pairs.row(pair_id) is not None)
        assert get_pair(other, pair_id)["status"] == "rejected"          # bob's decision stands
        assert review.pairs.row(pair_id)["status"] == "rejected"          # and the row shows it
        assert [h["actor"] for h in history(other, pair_id)] == ["bob"]  # nothing written for tester
        other.close()


@pytest.mark.asyncio
async def test_writes_by_another_process_appear_without_ctrl_l(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        target = int(review.pairs.ids[2])
        pending = review.counts["pending"]
        other = review_ws.connect()
        decide(other, target, "accepted", "bob")
        other.close()
        await _until(pilot, lambda: review.counts.get("pending") == pending - 1, "the counts refreshed")
        await _until(pilot, lambda: target not in review.pairs.ids.tolist(), "the list refreshed")
        await review.wait_settled()
        assert review.counts["accepted"] == 7


@pytest.mark.asyncio
async def test_undo_of_a_keeper_choice_puts_the_old_keeper_back(empty_ws, open_screen):
    first, second, _ = _duplicates(empty_ws)
    run_filters(empty_ws, only=["dedup"])
    conn = empty_ws.connect()
    cluster = conn.execute("SELECT id, keeper_id FROM clusters ORDER BY id DESC LIMIT 1").fetchone()
    old = cluster["keeper_id"]
    other = second if old == first else first
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
        await _until(pilot, lambda: any("keeper is now pair" in m for m in _notes(app)), "the keeper notice")
        await pilot.press("u")
        await _until(pilot, lambda: any(f"pair {old} is its keeper again" in m for m in _notes(app)),
                     "the undo notice")
        row = conn.execute("SELECT keeper_id FROM clusters WHERE id = ?", (cluster["id"],)).fetchone()
        assert row["keeper_id"] == old
        # the undo is not itself undone by the next u: nothing of tester's is left
        await pilot.press("u")
        await _until(pilot, lambda: any("nothing to undo" in m for m in _notes(app)), "nothing left")
    conn.close()


@pytest.mark.asyncio
async def test_undo_shows_a_pair_the_filter_hides(review_ws, open_screen):
    app = build_app(review_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        pair_id = review.pairs.current_id
        await pilot.press("a")
        await review.wait_settled()
        await pilot.press("2")  # accepted
        await review.wait_settled(lambda: review.filter.status == "accepted")
        await pilot.press("1")  # back to pending, refreshed: the accepted pair is not in it
        await review.wait_settled(lambda: review.filter.status == "pending" and pair_id not in
                                  review.pairs.ids.tolist())
        await pilot.press("u")
        await _until(pilot, lambda: any(f"Undid your accept of pair {pair_id}" in m for m in _notes(app)),
                     "the undo notice")
        await review.wait_settled(lambda: review.pairs.current_id == pair_id)
        assert get_pair(review_ws.connect(), pair_id)["status"] == "pending"


def test_a_clashing_key_remap_is_refused_at_start(review_ws, reviewer):
    text = review_ws.config_path.read_text(encoding="utf-8").replace("[review.keys]\n", '[review.keys]\naccept = "j"\n')
    review_ws.config_path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match='accept = "j" clashes with down'):
        build_app(reviewer(review_ws))


def test_a_remap_that_moves_both_keys_is_accepted(review_ws, reviewer):
    text = review_ws.config_path.read_text(encoding="utf-8").replace(
        "[review.keys]\n", '[review.keys]\naccept = "j"\ndown = "down"\n')
    review_ws.config_path.write_text(text, encoding="utf-8")
    assert build_app(reviewer(review_ws)) is not None


@pytest.mark.asyncio
async def test_two_app_instances_on_one_store(review_ws, open_screen):
    """Alice and Bob each run the app on the same workspace: Bob's reject reaches Alice's list by itself, and
    Alice's accept of the pair she still sees as pending is refused instead of replacing Bob's decision."""
    import copy
    import dataclasses

    def as_(name):  # one workspace folder, two people (curator.toml names one; the other's copy in memory)
        config = copy.deepcopy(review_ws.config)
        config["workspace"]["reviewer"] = name
        return dataclasses.replace(review_ws, config=config)
    alice_ws, bob_ws = as_("alice"), as_("bob")
    alice, bob = build_app(alice_ws), build_app(bob_ws)
    async with alice.run_test(size=SIZE) as pa, bob.run_test(size=SIZE) as pb:
        a_review = await open_screen(pa)
        b_review = await open_screen(pb)
        a_review.watcher.pause()  # Alice looks away for a moment: her screen has not caught up yet
        pair_id = a_review.pairs.current_id
        assert b_review.pairs.current_id == pair_id
        await pb.press("r")
        await _until(pb, lambda: b_review.app.screen is not b_review, "bob's reason picker")
        await pb.press("1")
        await b_review.wait_settled()
        await pa.press("a")
        await _until(pa, lambda: any("reject by bob" in m for m in _notes(alice)), "alice's stale notice")
        conn = review_ws.connect()
        assert get_pair(conn, pair_id)["status"] == "rejected"
        assert [h["actor"] for h in history(conn, pair_id)] == ["bob"]
        # Bob accepts another pair; Alice's watcher (running again) shows it without ctrl+l
        a_review.watcher.resume()
        other = int(b_review.pairs.ids[3])
        b_review.pairs.move_to(3)
        await b_review.wait_settled()
        await pb.press("a")
        await b_review.wait_settled()
        await _until(pa, lambda: other not in a_review.pairs.ids.tolist(), "alice's list refreshed")
        await _until(pa, lambda: a_review.counts.get("accepted") == 7 and a_review.counts.get("rejected") == 7,
                     "alice's counts refreshed")
        conn.close()
