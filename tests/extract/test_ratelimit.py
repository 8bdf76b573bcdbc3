"""Rate budgets: a request waits while the requests or tokens bucket is short (clock and sleep are faked)."""

from __future__ import annotations

import asyncio

from curator.llm import ratelimit
from curator.llm.ratelimit import RateBudget


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self):
        return self.now

    async def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def run_with_clock(monkeypatch, coro_factory):
    clock = FakeClock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock.monotonic)
    monkeypatch.setattr(ratelimit.asyncio, "sleep", clock.sleep)
    return clock, asyncio.run(coro_factory())


def test_requests_per_minute_spaces_requests_once_the_burst_is_spent(monkeypatch):
    async def go():
        budget = RateBudget(requests_per_minute=2)
        for _ in range(3):
            await budget.acquire(10)
    clock, _ = run_with_clock(monkeypatch, go)
    assert clock.slept and abs(sum(clock.slept) - 30.0) < 0.5  # the third waits for one refill (60 s / 2)


def test_tokens_per_minute_waits_for_tokens_and_settles_real_usage(monkeypatch):
    async def go():
        budget = RateBudget(tokens_per_minute=1000)
        reserved = await budget.acquire(800)
        budget.settle(reserved, 200)          # the call used far less than reserved: refund
        await budget.acquire(800)             # fits without waiting after the refund
        return budget
    clock, _ = run_with_clock(monkeypatch, go)
    assert clock.slept == []


def test_no_budget_never_waits(monkeypatch):
    async def go():
        budget = RateBudget()
        for _ in range(100):
            await budget.acquire(10_000)
    clock, _ = run_with_clock(monkeypatch, go)
    assert clock.slept == []
