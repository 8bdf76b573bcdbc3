"""Drive the review app headless for `curator bench tui` (see benchmarks/tui.py for the workspace).

Keys are posted as the terminal driver posts them; Pilot.press would add its own
wait-for-idle pauses (tens of milliseconds) to what is measured. Each timing ends
when the screen shows the result: `ReviewScreen.wait_settled` (list and detail
filled, every decision committed), woken by each change rather than polling.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

from textual import events

from curator.tui.factory import build_app
from curator.workspace import Workspace


async def drive(ws: Workspace, accepts: int, *, search_word: str) -> dict[str, float]:
    """Open the app on `ws` headless and time it; the figures of `curator bench tui` but the memory."""
    started = time.perf_counter()
    app = build_app(ws, screen="review")
    async with app.run_test(size=(120, 36)) as pilot:
        review = await _review_screen(pilot)
        await review.wait_settled()
        open_s = time.perf_counter() - started

        steps = []
        for _ in range(min(accepts, max(0, review.total - 1))):
            cursor = review.pairs.cursor
            begin = time.perf_counter()
            _key(app, app.key_for("accept"))
            await review.wait_settled(lambda cursor=cursor: review.pairs.cursor == cursor + 1)
            steps.append((time.perf_counter() - begin) * 1000)

        switches = []
        for change in ({"status": "accepted"}, {"origin": "llm"}, {"flag": "near_duplicate"},
                       {"status": "all", "origin": None, "flag": None}, {"status": "pending"}):
            wanted = review.filter.but(**change)
            begin = time.perf_counter()
            review.apply_filter(wanted)
            await review.wait_settled(lambda wanted=wanted: review.filter == wanted)
            switches.append((time.perf_counter() - begin) * 1000)

        await pilot.press(app.key_for("search"))
        review.query_one("#search").value = search_word  # typing is the user's time, not the app's
        begin = time.perf_counter()
        _key(app, "enter")
        await review.wait_settled(lambda: review.filter.text == search_word)
        search_ms = (time.perf_counter() - begin) * 1000
        if not review.total:
            raise RuntimeError("the search found nothing: the benchmark workspace is not what it should be")
    return {"open_review_s": round(open_s, 3),
            "next_after_accept_p95_ms": round(p95(steps), 1) if steps else 0.0,
            "filter_switch_ms": round(max(switches), 1),
            "search_ms": round(search_ms, 1)}


def _key(app: Any, key: str) -> None:
    app.post_message(events.Key(key, key if len(key) == 1 else None))


async def _review_screen(pilot: Any) -> Any:
    while getattr(pilot.app.screen, "name", None) != "review":
        await asyncio.sleep(0.005)
    return pilot.app.screen


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=20, method="inclusive")[18]
