"""Whether a process still runs: how stale run rows, temporary folders and orphaned workers are told apart."""

from __future__ import annotations

import os


def process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"  # a killed process not yet reaped is a zombie
    except OSError:  # no /proc (not Linux): os.kill said it exists
        return True
