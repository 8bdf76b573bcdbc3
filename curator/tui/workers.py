"""How the app reaches the store without freezing: reads in thread workers, writes in order, errors in one place.

Reads run in Textual thread workers, each thread with its own SQLite connection
(WAL lets them read while a write is committed). Writes go through one writer
thread, in the order the keys were pressed, so "accept then undo" can never be
applied the other way round. Every worker is started by `start_work`: when its
function raises, a `WorkFailed` message goes to the app, whose one handler turns it
into a notification (see `CuratorApp.on_work_failed`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from curator.workspace import Workspace

T = TypeVar("T")


class WorkFailed(Message):
    """A worker's function raised; `description` says what the app was doing."""

    def __init__(self, description: str, error: BaseException) -> None:
        super().__init__()
        self.description = description
        self.error = error


class Store:
    """Connections to the workspace store: one per reading thread, one for the writer thread."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="curator-store-writer")

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.ws.connect()
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    async def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(conn, *args, **kwargs)` on the writer thread, after every write submitted before it."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._writer, lambda: fn(self.conn(), *args, **kwargs))

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()


def start_work(node: DOMNode, fn: Callable[[], Any], *, description: str, group: str, thread: bool = True,
               exclusive: bool = False) -> Worker:
    """Start `fn` as a Textual worker of `node`; a failure is reported to the app, never raised into it."""
    app = node.app

    def report(error: BaseException) -> None:
        app.post_message(WorkFailed(description, error))

    if thread:
        def run_sync() -> Any:
            try:
                return fn()
            except Exception as error:
                report(error)
                raise
        return node.run_worker(run_sync, name=description, group=group, exclusive=exclusive, thread=True,
                               exit_on_error=False)

    async def run_async() -> Any:
        try:
            return await fn()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            report(error)
            raise
    return node.run_worker(run_async, name=description, group=group, exclusive=exclusive, exit_on_error=False)


def cancelled() -> bool:
    """Whether the current worker was cancelled (its result is no longer wanted)."""
    try:
        return get_current_worker().is_cancelled
    except RuntimeError:
        return False
