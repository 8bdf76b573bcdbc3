"""Group commit: many small atomic writes sharing one transaction, committed every few hundred milliseconds.

A fast extraction run stores thousands of tiny units (a call row, a chunk's pairs);
committing each on its own makes the disk, not the work, the limit. Here each unit
is a SAVEPOINT inside one open transaction (so it is still all-or-nothing), and the
transaction is committed when it is `interval` seconds old or holds `max_units`
units. A kill loses at most that window, and only whole units: the next run sees
the last commit and does the rest again.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager


class GroupCommit:
    def __init__(self, conn: sqlite3.Connection, *, interval: float = 0.25, max_units: int = 500) -> None:
        self.conn, self.interval, self.max_units = conn, interval, max_units
        self._opened_at: float | None = None
        self._units = 0
        self.commits = 0

    @contextmanager
    def unit(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """One atomic piece of work (same signature as `transaction`, so store functions take either)."""
        if self._opened_at is None:
            self.conn.execute("BEGIN IMMEDIATE")
            self._opened_at = time.monotonic()
        self.conn.execute("SAVEPOINT unit")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK TO unit")
            self.conn.execute("RELEASE unit")
            raise
        self.conn.execute("RELEASE unit")
        self._units += 1
        if self._units >= self.max_units or time.monotonic() - self._opened_at >= self.interval:
            self.commit()

    def commit(self) -> None:
        """Make everything written so far durable (called on a timer, at the end, and on the way out)."""
        if self._opened_at is not None:
            self.conn.execute("COMMIT")
            self._opened_at, self._units = None, 0
            self.commits += 1

    def due(self) -> bool:
        return self._opened_at is not None and time.monotonic() - self._opened_at >= self.interval
