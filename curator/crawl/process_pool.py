"""The extraction processes that work on pages while the event loop waits on the network.

Workers come from a fork server that has already imported the extraction
code (trafilatura, lxml, pypdf), so starting one costs a fork rather than a
fresh interpreter, and they share those pages of memory. Forking the crawling
process itself would copy an event loop and an open SQLite connection into
the children, which is how hard-to-find bugs are made. Workers ignore Ctrl-C:
the parent decides when to stop and shuts them down. A parent killed outright
(SIGKILL, out of memory) cannot shut them down, so each worker also watches
its parent and exits when it is gone instead of lingering.

Each worker has a pipe for jobs and one for results, and the event loop reads
results itself (`add_reader`). A ProcessPoolExecutor moves every job through
two helper threads, a queue and a wake-up pipe; on a two-core machine those
thread hand-offs cost the crawling process a millisecond a page, as much as
storing the page. A worker is given up to two more jobs while it works on one
when they fit in its pipe, so it never waits for the event loop between pages,
even while the loop stores a page or waits for the CPU itself, and a write to
it never blocks. A worker that dies fails only the pages it held,
and a new one takes its place.

Starting the fork server takes a few tenths of a second (a fresh interpreter
importing the extraction code). A thread waits for it, so the crawl reads
robots.txt, the sitemap and its first pages meanwhile; the first `run` waits
until the workers are there.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import multiprocessing
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from curator.crawl.forkserver_setup import WORKER_PREFIX
from curator.processes import exit_when_gone

try:
    import fcntl
except ImportError:  # not on Linux: pipes keep their default size
    fcntl = None  # type: ignore[assignment]

# What the fork server imports once for all workers; forkserver_setup first, so that it is in place for them.
_PRELOAD = ["curator.crawl.forkserver_setup", "curator.crawl.page_text"]
_PIPE_BYTES = 1 << 20  # room for a page queued behind the one in work, and for a result the loop has not read
# Jobs a worker holds: the one in work and two queued. With one queued, the workers of a two-core machine
# waited for their next page about 3% of the time (the crawling process, sharing the cores, was late).
_JOBS_PER_WORKER = 3
_PICKLE = pickle.HIGHEST_PROTOCOL
# Freed memory a worker keeps instead of handing it back to the system (glibc's M_TRIM_THRESHOLD). Each page
# allocates and frees the same few megabytes again (the parsed page, the code point arrays of chunk planning);
# with glibc's default the heap shrinks after every page and grows again on the next one: about 45 fresh memory
# pages a crawled page for the kernel to fault in and zero. Resident memory stays the same.
_KEEP_FREED_BYTES = 16 << 20
_M_TRIM_THRESHOLD = -1


class WorkerLost(Exception):
    """An extraction process ended while it held the page (a crash, the out-of-memory killer)."""


def _init_worker(crawler_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _keep_freed_memory()
    # The fork server is the worker's parent and lives as long as any worker does, so watching the parent
    # would wait forever: watch the crawling process itself.
    exit_when_gone(crawler_pid, "crawler-watch")


def _keep_freed_memory() -> None:
    """Raise glibc's trim threshold to _KEEP_FREED_BYTES in this process; elsewhere (no glibc) do nothing."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_TRIM_THRESHOLD, _KEEP_FREED_BYTES)


def _serve(jobs: Connection, results: Connection, crawler_pid: int) -> None:
    """A worker's life: run each (function, argument) that arrives, send back (ok, value), until the pipe closes."""
    _init_worker(crawler_pid)
    while True:
        try:
            fn, arg = pickle.loads(jobs.recv_bytes())
        except EOFError:
            return
        try:
            reply = pickle.dumps((True, fn(arg)), _PICKLE)
        except Exception as exc:  # noqa: BLE001 (the caller gets the error, the worker goes on)
            reply = _failure(exc)
        try:
            results.send_bytes(reply)
        except OSError:  # the crawl is gone or shutting down
            return


def _failure(exc: Exception) -> bytes:
    try:
        return pickle.dumps((False, exc), _PICKLE)
    except Exception:  # noqa: BLE001 (an exception that cannot be pickled still reaches the caller as words)
        return pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")), _PICKLE)


def _widen(conn: Connection) -> int:
    """Grow a pipe's buffer (Linux); returns the bytes it holds without blocking the writer."""
    try:
        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)  # type: ignore[union-attr]
        return fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ)
    except (AttributeError, OSError):
        return 65536  # Linux's default pipe size; elsewhere a worker simply gets one job at a time


@dataclass
class _Worker:
    process: Any
    jobs: Connection  # the parent's end: jobs are written here
    results: Connection  # and results read here
    room: int  # bytes the job pipe holds without blocking
    pending: deque[tuple[asyncio.Future, int]] = field(default_factory=deque)  # jobs sent, oldest first
    loop: asyncio.AbstractEventLoop | None = None  # where its results are being read

    def takes(self, size: int) -> bool:
        if not self.pending:
            return True  # an idle worker is reading: any job goes through
        return len(self.pending) < _JOBS_PER_WORKER and sum(n for _, n in self.pending) + size <= self.room


class ExtractionPool:
    """Runs picklable `fn(arg)` calls in worker processes for one event loop at a time (`await pool.run(...)`)."""

    def __init__(self, workers: int) -> None:
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(_PRELOAD)
        self._waiting: list[asyncio.Future] = []
        self._closed = False
        self._workers: list[_Worker] = []
        self._started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._started.set_running_or_notify_cancel()  # a cancelled `run` waiting for it must not cancel it
        self._starter = threading.Thread(target=self._start_all, args=(workers,), name="extraction-pool-start",
                                         daemon=True)
        self._starter.start()

    def _start_all(self, count: int) -> None:
        """The starting thread: every worker, or the error that stopped one from starting."""
        try:
            for n in range(count):
                self._workers.append(self._start(n))
        except Exception as exc:  # noqa: BLE001 (every `run` raises it)
            self._started.set_exception(exc)
        else:
            self._started.set_result(None)

    def _start(self, n: int) -> _Worker:
        job_reader, job_writer = self._ctx.Pipe(duplex=False)
        result_reader, result_writer = self._ctx.Pipe(duplex=False)
        room = _widen(job_writer)
        _widen(result_writer)
        process = self._ctx.Process(target=_serve, args=(job_reader, result_writer, os.getpid()),
                                    name=f"{WORKER_PREFIX}{n}", daemon=True)
        process.start()
        # The worker holds the other ends now; closing ours is what lets a dead worker read as end-of-file.
        job_reader.close()
        result_writer.close()
        return _Worker(process, job_writer, result_reader, room)

    async def run(self, fn: Callable[[Any], Any], arg: Any) -> Any:
        """fn(arg) in a worker; its exception is raised here, WorkerLost when the worker died holding it."""
        payload = pickle.dumps((fn, arg), _PICKLE)
        if not self._started.done():
            await asyncio.wrap_future(self._started)
        self._started.result()  # a pool whose workers could not start says why
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        for attempt in range(2):
            worker = await self._worker_for(len(payload), loop)
            try:
                worker.jobs.send_bytes(payload)
                break
            except OSError as exc:  # it died while idle: the page never reached it, so its successor gets it
                self._replace(worker)
                if attempt:
                    raise WorkerLost(f"the extraction process could not be started ({exc})") from exc
        worker.pending.append((future, len(payload)))
        if worker.loop is not loop:
            loop.add_reader(worker.results.fileno(), self._collect, worker)
            worker.loop = loop
        return await future

    async def _worker_for(self, size: int, loop: asyncio.AbstractEventLoop) -> _Worker:
        while True:
            if self._closed:
                raise RuntimeError("the extraction pool is shut down")
            ready = [w for w in self._workers if w.takes(size)]
            if ready:
                return min(ready, key=lambda w: len(w.pending))
            waiter = loop.create_future()
            self._waiting.append(waiter)
            await waiter

    def _collect(self, worker: _Worker) -> None:
        """The loop's reader: one result from `worker` (or the news that it died)."""
        try:
            data = worker.results.recv_bytes()
        except (EOFError, OSError):
            self._replace(worker)
            return
        future, _ = worker.pending.popleft()
        if not worker.pending:
            self._stop_reading(worker)
        try:
            ok, value = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001 (a result that cannot be read fails its page)
            ok, value = False, exc
        _settle(future, value if ok else None, None if ok else value)
        self._wake()

    def _replace(self, worker: _Worker) -> None:
        self._stop_reading(worker)
        worker.process.join(5)
        lost = WorkerLost(f"the extraction process {worker.process.pid} ended (exit code {worker.process.exitcode})")
        for future, _ in worker.pending:
            _settle(future, None, lost)
        worker.pending.clear()
        worker.jobs.close()
        worker.results.close()
        index = self._workers.index(worker)
        if not self._closed:
            self._workers[index] = self._start(index)
        self._wake()

    def _stop_reading(self, worker: _Worker) -> None:
        if worker.loop is not None and not worker.loop.is_closed():
            worker.loop.remove_reader(worker.results.fileno())
        worker.loop = None

    def _wake(self) -> None:
        waiting, self._waiting = self._waiting, []
        for waiter in waiting:
            _settle(waiter, None, None)

    def shutdown(self, wait: bool = True, cancel_futures: bool = False) -> None:
        """Stop the workers; with `wait`, until they have exited. (The arguments are Executor.shutdown's.)"""
        if self._closed:
            return
        self._closed = True
        self._starter.join()  # workers still starting are shut down with the others
        for worker in self._workers:
            self._stop_reading(worker)
            # End-of-file on both of the worker's pipes: it exits after the page in hand, whose result is dropped.
            worker.jobs.close()
            worker.results.close()
            if cancel_futures:
                for future, _ in worker.pending:
                    if not future.done() and not future.get_loop().is_closed():
                        future.cancel()
            worker.pending.clear()
        if wait:
            for worker in self._workers:
                worker.process.join()


def _settle(future: asyncio.Future, value: Any, error: BaseException | None) -> None:
    # A cancelled crawl no longer waits for its pages, and a finished one's loop is closed: their results drop.
    if future.done() or future.get_loop().is_closed():
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)


def extraction_pool(workers: int) -> ExtractionPool:
    return ExtractionPool(workers)
