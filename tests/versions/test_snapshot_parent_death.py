"""`version create` killed while its snapshot child reads: the child must not outlive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from curator.processes import process_alive

# A parent that starts the real snapshot reader on a "database" that cannot be read (a FIFO: connectorx
# keeps retrying it for about 30 s, as a long read would keep reading), waits until the reader is at work
# (its first retry is logged), prints the child's pid, then waits to be killed.
PARENT = """
import os, sys, time
from pathlib import Path
from curator.versions import snapshot
from curator.versions.query import Selection

rows, contexts = snapshot._unnamed_file(None), snapshot._unnamed_file(None)
sel = Selection(exclude_flags=(), judge_min_quality=0.0, include_pending=False, seed=1, test_size=0.1,
                held_out_policy="test")
child = snapshot._start_reader(Path(sys.argv[1]), sel, None, rows, contexts)
child.stderr.readline()
print(child.pid, flush=True)
time.sleep(600)
"""


def test_the_snapshot_child_exits_when_its_parent_is_killed(tmp_path):
    fifo = tmp_path / "store.db"
    os.mkfifo(fifo)
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(fifo)], stdout=subprocess.PIPE, text=True)
    child = 0
    try:
        child = int(parent.stdout.readline())
        assert process_alive(child), "the reader ended on its own"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while process_alive(child):
            assert time.monotonic() < deadline, "the snapshot child outlived its killed parent"
            time.sleep(0.05)
    finally:
        parent.kill()
        parent.wait()
        if child and process_alive(child):
            os.kill(child, signal.SIGKILL)
