"""Memory and CPU of this process and the processes it starts, read from /proc while they run."""

from __future__ import annotations

import os
import threading
import time


class RssSampler:
    """Peak summed resident memory of this process and its descendants (minus `exclude`), and their CPU time.

    CPU time is read from /proc as the processes run (the extraction workers are
    gone by the time the crawl returns); this process's own CPU is counted from
    when the sampler starts.
    """

    def __init__(self, exclude: set[int], interval: float = 0.1) -> None:
        self.exclude, self.interval = exclude, interval
        self.peak = 0
        self._ticks: dict[int, int] = {}
        self._own_cpu = time.process_time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.sample())
        self._own_cpu = time.process_time() - self._own_cpu

    @property
    def cpu_seconds(self) -> float:
        return self._own_cpu + sum(self._ticks.values()) / os.sysconf("SC_CLK_TCK")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, self.sample())

    def sample(self) -> int:
        pids = [p for p in _descendants(os.getpid()) if p not in self.exclude]
        for pid in pids:
            self._ticks[pid] = max(self._ticks.get(pid, 0), _cpu_ticks(pid))
        return sum(_rss(p) for p in [os.getpid(), *pids])


def _descendants(pid: int) -> list[int]:
    """The process tree under `pid`, from the kernel's per-thread child lists: no scan of all of /proc."""
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for child in _children(parent):
            out.append(child)
            todo.append(child)
    return out


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                children.extend(int(c) for c in f.read().split())
    except (OSError, ValueError):
        pass
    return children


def _cpu_ticks(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, ValueError, IndexError):
        return 0


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return 0
