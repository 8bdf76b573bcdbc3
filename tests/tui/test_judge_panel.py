"""The judge against the reviewers (J) and the queue most uncertain first (U), as a reviewer meets them in the app."""

from __future__ import annotations

import pytest

from curator.store.connection import transaction
from curator.store.flags import add_flag
from curator.store.pairs import get_pair
from curator.store.review_actions import decide
from curator.tui import build_app
from tests.filters.conftest import add_pairs, judged_and_decided

from .conftest import SIZE, plain

pytestmark = pytest.mark.asyncio


async def _panel(pilot, review, wanted: str) -> str:
    """The judge-vs-reviewers panel's text once it reads `wanted` (computed in a worker: polled with a deadline)."""
    text = ""
    for _ in range(2000):
        panel = review.query_one("#calibration")
        text = plain(panel.content) if panel.display else ""
        if wanted in text:
            return text
        await pilot.pause(0.005)
    raise AssertionError(f"the judge-vs-reviewers panel never read {wanted!r}; it read {text!r}")


async def test_the_panel_shows_agreement_and_the_threshold_reviewers_match(empty_ws, open_screen):
    ids = judged_and_decided(empty_ws)  # reviewers accept quality 8 and up; two pairs stay undecided
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("4")  # every status: decided pairs too
        await review.wait_settled()
        await pilot.press("J")
        text = await _panel(pilot, review, "both 18")
        assert "judged pairs 20" in text and "decided by a reviewer 18" in text
        # at today's judge_min_quality 6, qualities 6 and 7 pass the judge but reviewers rejected them
        rows = [line.replace("│", " ").split() for line in text.splitlines()
                if line.strip().startswith(("accept", "reject"))]
        assert rows == [["accept", "4", "0"], ["reject", "4", "10"]]
        assert "Cohen's kappa 0.526" in text and "Scott's pi 0.500" in text  # (0.778 - 0.531) / (1 - 0.531)
        assert "proposed judge_min_quality = 8 (kappa 1.000)" in text
        assert review.screen is review  # a panel beside the pair: the review keys go on working
        # the panel follows decisions: the two undecided pairs (qualities 9 and 10, judge pass) accepted
        await pilot.press("end")
        await review.wait_settled()
        assert review.pairs.current_id == ids[19]
        await pilot.press("a")
        text = await _panel(pilot, review, "both 19")
        assert "decided by a reviewer 19" in text
        rows = [line.replace("│", " ").split() for line in text.splitlines()
                if line.strip().startswith(("accept", "reject"))]
        assert rows == [["accept", "5", "0"], ["reject", "4", "10"]]
        assert "Cohen's kappa 0.568" in text and "Scott's pi 0.548" in text  # agreement 15/19, chance 0.512
        await pilot.press("J")
        assert not review.query_one("#calibration").display


async def test_the_panel_says_what_to_do_when_nothing_can_be_compared(empty_ws, open_screen):
    add_pairs(empty_ws, [("What is a bill of lading?", "A document of title.")])
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("J")
        text = await _panel(pilot, review, "Nothing to compare yet")
        assert "judged pairs 0" in text and "both 0" in text and "kappa" not in text


def _doubtful_pairs(ws, names: list[str]) -> dict[str, int]:
    """One pair per name, in that order; the pairs named eval_low and conflict carry that flag."""
    ids = dict(zip(names, add_pairs(ws, [(f"Question about {n}?", f"Answer about {n}.") for n in names])))
    conn = ws.connect()
    with transaction(conn):
        add_flag(conn, ids["eval_low"], "eval_low", score=0.2, reason="SemScore 0.20 < 0.5")
        add_flag(conn, ids["conflict"], "conflict", score=100, reason="same question, other answer")
    conn.close()
    return ids


async def test_uncertain_first_puts_the_doubtful_pairs_on_top_and_says_why(empty_ws, open_screen):
    ids = _doubtful_pairs(empty_ws, ["quiet", "conflict", "also_quiet", "eval_low"])
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        assert [int(i) for i in review.pairs.ids] == sorted(ids.values())  # id order to begin with
        await pilot.press("U")
        await review.wait_settled()
        expected = [ids[n] for n in ("eval_low", "conflict", "quiet", "also_quiet")]
        assert [int(i) for i in review.pairs.ids] == expected
        assert review.pairs.current_id == ids["eval_low"]
        bar = plain(review.query_one("#review-bar").content)
        assert "most uncertain first (2 uncertain)" in bar and "eval_low" in bar
        await pilot.press("a")  # accepting moves on in this order, not in id order
        await review.wait_settled()
        conn = empty_ws.connect()
        assert get_pair(conn, ids["eval_low"])["status"] == "accepted"
        conn.close()
        assert review.pairs.current_id == ids["conflict"]
        assert "another pair asks the same question" in plain(review.query_one("#review-bar").content)
        await pilot.press("U")
        await review.wait_settled()
        assert "uncertain" not in plain(review.query_one("#review-bar").content)


async def test_uncertain_order_keeps_the_reviewer_on_their_pair_when_another_reviewer_decides(empty_ws, open_screen):
    ids = _doubtful_pairs(empty_ws, ["quiet", "also_quiet", "eval_low", "conflict"])
    app = build_app(empty_ws)
    async with app.run_test(size=SIZE) as pilot:
        review = await open_screen(pilot)
        await pilot.press("U")
        await review.wait_settled()
        assert [int(i) for i in review.pairs.ids] == [ids[n] for n in ("eval_low", "conflict", "quiet", "also_quiet")]
        await pilot.press("a")
        await review.wait_settled()
        assert review.pairs.current_id == ids["conflict"]
        other = empty_ws.connect()  # a second reviewer, another process's connection
        decide(other, ids["quiet"], "rejected", "kim", reason="vague")
        other.close()
        for _ in range(2000):  # the screen notices the other writer within a second: polled with a deadline
            if len(review.pairs.ids) == 2:
                break
            await pilot.pause(0.005)
        await review.wait_settled()
        # the pending list read again, still most uncertain first, the cursor still on the pair being read
        assert [int(i) for i in review.pairs.ids] == [ids["conflict"], ids["also_quiet"]]
        assert review.pairs.current_id == ids["conflict"]
        assert "most uncertain first" in plain(review.query_one("#review-bar").content)
