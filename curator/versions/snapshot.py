"""Reading the pairs that go into a version from the store into one Arrow table, as one moment of the store.

The reads (curator.versions.query) run on connectorx's connections, each query at
its own moment, so this process holds the store's write lock meanwhile: no commit
can land between two of them, and a version never mixes two moments. Writers wait
(the store's busy timeout is 30 s; a million pairs read in a few seconds), readers
do not.

connectorx carries its own copy of SQLite. Two copies of SQLite in one process
corrupt a database: SQLite's locks are POSIX locks, which belong to the process, so
when one copy closes the file it drops the locks the other copy holds (the write
lock above, and the read marks of every other connection, such as the review app's).
So the reads run in a child process (`python -m curator.versions.snapshot`) with no
other connection to the store. It writes the rows as Arrow IPC into files with no
name that this process made (memory-backed on Linux) and maps them instead of
copying: whoever is killed, nothing is left behind. The child dies with its parent
(PR_SET_PDEATHSIG on Linux, else a watch on the parent's pid), so a killed create
leaves no reader behind either.
"""

from __future__ import annotations

import ctypes
import dataclasses
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from curator.errors import CuratorError
from curator.store import transaction
from curator.versions.query import Selection, read_selection

_EXPLAINED = 3  # the child's exit status when its error output is one message for the user


@dataclass
class Snapshot:
    table: pa.Table  # OUTPUT_COLUMNS: train rows then test rows, each in pair id order
    contexts: pl.DataFrame  # chunk_id, context: the text of every chunk a row points to
    excluded: dict[str, int] = field(default_factory=dict)
    empty_pair_ids: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return self.table.num_rows

    def columns(self, *names: str) -> pl.DataFrame:
        return pl.from_arrow(self.table.select(list(names)))


def read_snapshot(conn: sqlite3.Connection, db_path: Path, sel: Selection,
                  while_waiting: Callable[[], None] = lambda: None, scratch: Path | None = None,
                  parts: int | None = None) -> Snapshot:
    """The version's rows, train then test, each in pair id order; and why other pairs were left out.

    `while_waiting` runs in this process while the child reads (work that does not need the rows);
    `scratch` is where the child's files go where the system has no memory-backed files (default the
    system's temporary folder); `parts` see read_selection.
    """
    rows_fd, contexts_fd = _unnamed_file(scratch), _unnamed_file(scratch)
    try:
        with transaction(conn):
            reader = _start_reader(db_path, sel, parts, rows_fd, contexts_fd)
            try:
                while_waiting()
            finally:
                counts = _finish_reader(reader)
        return Snapshot(table=_mapped(rows_fd), contexts=pl.from_arrow(_mapped(contexts_fd)),
                        excluded=counts["excluded"], empty_pair_ids=sorted(counts["empty_ids"]))
    finally:
        os.close(rows_fd)
        os.close(contexts_fd)


def _unnamed_file(scratch: Path | None) -> int:
    """A file with no name, gone with the last process that holds it: a kill leaves nothing behind."""
    if hasattr(os, "memfd_create"):  # Linux: in memory, which writes at several times a disk file's speed
        return os.memfd_create("curator-version-read", os.MFD_CLOEXEC)
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    fd, path = tempfile.mkstemp(prefix=".tmp-read-", dir=scratch)
    os.unlink(path)
    return fd


def _start_reader(db_path: Path, sel: Selection, parts: int | None, rows_fd: int,
                  contexts_fd: int) -> subprocess.Popen:
    job = json.dumps({"db": str(db_path), "sel": dataclasses.asdict(sel), "parts": parts, "rows": _fd_path(rows_fd),
                      "contexts": _fd_path(contexts_fd), "parent": os.getpid()})
    return subprocess.Popen([sys.executable, "-m", "curator.versions.snapshot", job], pass_fds=(rows_fd, contexts_fd),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _fd_path(fd: int) -> str:
    return f"/dev/fd/{fd}"


def _finish_reader(reader: subprocess.Popen) -> dict[str, Any]:
    """Wait for the child (or stop it, when this process is being interrupted); its counts, or why it failed."""
    try:
        stdout, stderr = reader.communicate()
    except BaseException:
        reader.kill()
        reader.wait()
        raise
    if reader.returncode == _EXPLAINED:
        raise CuratorError(stderr.strip())
    if reader.returncode != 0:
        last = (stderr or "").strip().splitlines()[-1:] or [f"exit status {reader.returncode}"]
        raise CuratorError(f"reading pairs for the version failed ({last[0]}); nothing was written.")
    return json.loads(stdout)


def _mapped(fd: int) -> pa.Table:
    """An IPC file as a table whose buffers are the file's pages (no copy; the file may be closed after)."""
    return pa.ipc.open_file(pa.memory_map(_fd_path(fd))).read_all()


def _read_to_files(db_path: Path, sel: Selection, parts: int | None, rows_path: str, contexts_path: str) -> None:
    """The child's work: the selection and its contexts as Arrow IPC files, its counts as JSON on stdout."""
    selected = read_selection(db_path, sel, parts)
    batches = selected.batches()
    first = next(batches)
    _write_ipc(rows_path, first.schema, itertools.chain([first], batches))
    contexts = selected.contexts.to_arrow(compat_level=pl.CompatLevel.oldest())
    _write_ipc(contexts_path, contexts.schema, contexts.to_batches())
    print(json.dumps({"excluded": selected.excluded, "empty_ids": selected.empty_ids}))


def _write_ipc(path: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> None:
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """End this process as soon as `parent` ends: nobody is left to read what it writes.

    On Linux the kernel sends SIGKILL when the parent dies (PR_SET_PDEATHSIG), even while this
    process is deep in a query; elsewhere a thread watches the parent's pid every second.
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        from curator.processes import exit_when_gone

        exit_when_gone(parent, "snapshot-parent-watch")


if __name__ == "__main__":
    _job = json.loads(sys.argv[1])
    if _job.get("parent"):
        die_with_parent(_job["parent"])
    try:
        _read_to_files(Path(_job["db"]), Selection(**{**_job["sel"], "exclude_flags": tuple(_job["sel"]["exclude_flags"])}),
                       _job["parts"], _job["rows"], _job["contexts"])
    except CuratorError as _exc:
        print(_exc, file=sys.stderr)
        sys.exit(_EXPLAINED)
