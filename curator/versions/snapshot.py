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
other connection to the store; it leaves Arrow IPC files behind, which this process
maps into memory instead of copying.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pyarrow as pa

from curator.errors import CuratorError
from curator.store import transaction
from curator.versions.query import Selection, read_contexts, read_selection

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
    `scratch` is where the child's files go (the versions folder, so that a killed run's files are
    removed by the next create; default the system's temporary folder); `parts` see read_selection.
    """
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tmp-read-", suffix=f"-{os.getpid()}", dir=scratch) as tmp:
        out = Path(tmp)
        with transaction(conn):
            reader = _start_reader(db_path, sel, parts, out)
            try:
                while_waiting()
            finally:
                _finish_reader(reader)
        counts = json.loads((out / "counts.json").read_text())
        return Snapshot(table=_mapped(out / "rows.arrow"), contexts=pl.from_arrow(_mapped(out / "contexts.arrow")),
                        excluded=counts["excluded"], empty_pair_ids=sorted(counts["empty_ids"]))


def _start_reader(db_path: Path, sel: Selection, parts: int | None, out: Path) -> subprocess.Popen:
    job = json.dumps({"db": str(db_path), "sel": dataclasses.asdict(sel), "parts": parts, "out": str(out)})
    return subprocess.Popen([sys.executable, "-m", "curator.versions.snapshot", job],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _finish_reader(reader: subprocess.Popen) -> None:
    """Wait for the child (or stop it, when this process is being interrupted); raise if it failed."""
    try:
        stderr = reader.communicate()[1]
    except BaseException:
        reader.kill()
        reader.wait()
        raise
    if reader.returncode == _EXPLAINED:
        raise CuratorError(stderr.strip())
    if reader.returncode != 0:
        last = (stderr or "").strip().splitlines()[-1:] or [f"exit status {reader.returncode}"]
        raise CuratorError(f"reading pairs for the version failed ({last[0]}); nothing was written.")


def _mapped(path: Path) -> pa.Table:
    """An IPC file as a table whose buffers are the file's pages (no copy; the file may be deleted after)."""
    return pa.ipc.open_file(pa.memory_map(str(path))).read_all()


def _read_to_files(db_path: Path, sel: Selection, parts: int | None, out: Path) -> None:
    """The child's work: the selection and its contexts as Arrow IPC files, and a JSON of its counts."""
    selected = read_selection(db_path, sel, parts)
    contexts = read_contexts(db_path, pl.from_arrow(selected.table.column("chunk_id")))
    _write_ipc(out / "rows.arrow", selected.table)
    _write_ipc(out / "contexts.arrow", contexts.to_arrow(compat_level=pl.CompatLevel.oldest()))
    (out / "counts.json").write_text(json.dumps({"excluded": selected.excluded, "empty_ids": selected.empty_ids}))


def _write_ipc(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


if __name__ == "__main__":
    _job = json.loads(sys.argv[1])
    try:
        _read_to_files(Path(_job["db"]), Selection(**{**_job["sel"], "exclude_flags": tuple(_job["sel"]["exclude_flags"])}),
                       _job["parts"], Path(_job["out"]))
    except CuratorError as _exc:
        print(_exc, file=sys.stderr)
        sys.exit(_EXPLAINED)
