"""The process pool that extracts pages while the event loop waits on the network.

Workers come from a fork server that has already imported the extraction
code (trafilatura, lxml, pypdf), so starting one costs a fork rather than a
fresh interpreter, and they share those pages of memory. Forking the crawling
process itself would copy an event loop and an open SQLite connection into
the children, which is how hard-to-find bugs are made. Workers ignore Ctrl-C:
the parent decides when to stop and shuts them down. A parent killed outright
(SIGKILL, out of memory) cannot shut them down, so each worker also watches
its parent and exits when it is gone instead of lingering.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

_PRELOAD = ["curator.ingest.crawler.extraction"]
_WATCH_INTERVAL_S = 1.0


def _init_worker(crawler_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(crawler_pid,), name="crawler-watch", daemon=True).start()


def _exit_when_orphaned(crawler_pid: int) -> None:
    # The fork server is the worker's parent and lives as long as any worker does, so watching the parent
    # would wait forever: watch the crawling process itself.
    while _alive(crawler_pid):
        time.sleep(_WATCH_INTERVAL_S)
    os._exit(0)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"  # a killed process not yet reaped is a zombie
    except OSError:
        return True


def extraction_pool(workers: int) -> ProcessPoolExecutor:
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(_PRELOAD)
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_init_worker,
                               initargs=(os.getpid(),))


def warm_up(pool: ProcessPoolExecutor, workers: int) -> None:
    """Start every worker now, so the first pages do not wait for processes to come up."""
    list(pool.map(_noop, range(workers)))


def _noop(_: int) -> None:
    return None
