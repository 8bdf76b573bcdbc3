"""Requests-per-minute and tokens-per-minute budgets, as two token buckets shared by all workers.

A request reserves one request and its estimated tokens before it is sent and
waits while either bucket is short; once the server reports the real usage the
difference is settled (refunded or charged), so a long run tracks the true rate.
"""

from __future__ import annotations

import asyncio
import time


class RateBudget:
    def __init__(self, requests_per_minute: int = 0, tokens_per_minute: int = 0) -> None:
        self.rpm, self.tpm = requests_per_minute, tokens_per_minute
        self._requests = float(self.rpm)
        self._tokens = float(self.tpm)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    @property
    def unlimited(self) -> bool:
        return not self.rpm and not self.tpm

    def _refill(self) -> None:
        now = time.monotonic()
        elapsed, self._stamp = now - self._stamp, now
        if self.rpm:
            self._requests = min(self.rpm, self._requests + elapsed * self.rpm / 60)
        if self.tpm:
            self._tokens = min(self.tpm, self._tokens + elapsed * self.tpm / 60)

    async def acquire(self, tokens: int) -> int:
        """Wait until one request and `tokens` tokens fit the budget; returns the tokens reserved."""
        if self.unlimited:
            return 0
        tokens = min(tokens, self.tpm) if self.tpm else 0
        async with self._lock:  # one waiter at a time keeps the order fair
            while True:
                self._refill()
                short_r = 1 - self._requests if self.rpm else 0
                short_t = tokens - self._tokens if self.tpm else 0
                if short_r <= 0 and short_t <= 0:
                    if self.rpm:
                        self._requests -= 1
                    if self.tpm:
                        self._tokens -= tokens
                    return tokens
                wait = max(short_r * 60 / self.rpm if self.rpm else 0, short_t * 60 / self.tpm if self.tpm else 0)
                await asyncio.sleep(max(wait, 0.01))

    def settle(self, reserved: int, used: int) -> None:
        """Correct a reservation once the real token count is known."""
        if self.tpm:
            self._tokens = min(self.tpm, self._tokens + reserved - used)
