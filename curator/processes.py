"""Whether a process still runs: how stale run rows, temporary folders and orphaned workers are told apart."""

from __future__ import annotations

import os
import threading
import time

_WATCH_INTERVAL_S = 1.0


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


def exit_when_gone(pid: int, name: str = "owner-watch") -> None:
    """End this process soon after process `pid` ends (checked every second on a daemon thread).

    For helper processes whose owner may be killed outright (SIGKILL, out of
    memory) and so never gets to stop them: they would otherwise linger.
    """
    def watch() -> None:
        while process_alive(pid):
            time.sleep(_WATCH_INTERVAL_S)
        os._exit(0)

    threading.Thread(target=watch, name=name, daemon=True).start()
