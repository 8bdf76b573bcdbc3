"""Reading the pairs that go into a version from the store into one Arrow table, on every core there is.

Reading a million pairs through Python's sqlite3 costs about a microsecond per
value, so for a large workspace the pair id range is cut into one part per core,
each read by a child process (`python -m curator.versions.snapshot`, so it never
re-runs the caller's script) that leaves Arrow IPC files behind; this process maps
them into memory instead of copying them. Each connection sees its own snapshot,
so `PRAGMA data_version` is compared before and after: if another process
committed meanwhile, the read is done again in one transaction in this process
alone, and a version never mixes two moments.
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
from curator.store import connect
from curator.versions.query import Selection, marks, read_part, rows_by_id

PARALLEL_MIN_PAIRS = 200_000
MAX_PARTS = 4
MMAP_BYTES = 1 << 32  # read the database through a memory map: fewer system calls per page
_ARROW = pl.CompatLevel.oldest()  # large_string, which pyarrow, parquet and datasets all read


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


def _read_part_to_files(db_path: str, sel: Selection, lo: int, hi: int, out: str) -> None:
    """The child's work: read one part and leave it as Arrow IPC files and a JSON of its counts."""
    conn = connect(db_path, migrate=False)
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    try:
        part = read_part(conn, sel, lo, hi)
    finally:
        conn.close()
    part.train.write_ipc(f"{out}.train.arrow", compat_level=_ARROW)
    part.test.write_ipc(f"{out}.test.arrow", compat_level=_ARROW)
    Path(f"{out}.json").write_text(json.dumps({"excluded": part.excluded, "empty_ids": part.empty_ids}))


def _mapped(path: str) -> pa.Table:
    """An IPC file as a table whose buffers are the file's pages (no copy; the file may be deleted after)."""
    return pa.ipc.open_file(pa.memory_map(path)).read_all()


def _ranges(conn: sqlite3.Connection, sel: Selection, parts: int) -> list[tuple[int, int]]:
    lo, hi, n = conn.execute(f"SELECT MIN(id), MAX(id), COUNT(*) FROM qa_pairs WHERE status IN ({marks(sel.statuses)})",
                             list(sel.statuses)).fetchone()
    if not n:
        return [(0, 1)]
    if parts <= 1 or n < PARALLEL_MIN_PAIRS:
        return [(lo, hi + 1)]
    step = (hi + 1 - lo) // parts + 1
    return [(start, min(start + step, hi + 1)) for start in range(lo, hi + 1, step)]


Counts = tuple[dict[str, int], list[int]]  # a part's excluded counts by reason, and its empty pairs' ids


def _read_parallel(db_path: Path, sel: Selection, ranges: list[tuple[int, int]], while_waiting: Callable[[], None],
                   scratch: Path | None) -> tuple[list[pa.Table], list[Counts]]:
    """([train tables..., test tables...], each part's counts), each range read by its own child process.

    The parts are written under `scratch` in a folder named like a version being written
    (.tmp-...-<pid>), so if this process is killed the next create removes them.
    """
    if scratch is not None:
        scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".tmp-read-", suffix=f"-{os.getpid()}", dir=scratch) as tmp:
        jobs = []
        for i, (lo, hi) in enumerate(ranges):
            out = Path(tmp) / f"part{i}"
            args = json.dumps({"db": str(db_path), "sel": dataclasses.asdict(sel), "lo": lo, "hi": hi, "out": str(out)})
            jobs.append((out, subprocess.Popen([sys.executable, "-m", "curator.versions.snapshot", args],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
        try:
            while_waiting()
        finally:
            results = [(out, proc, proc.communicate()[1]) for out, proc in jobs]
        for _, proc, stderr in results:
            if proc.returncode != 0:
                last = (stderr or "").strip().splitlines()[-1:] or ["no message"]
                raise CuratorError(f"a process reading pairs for the version failed ({last[0]}); nothing was written.")
        tables = [_mapped(f"{out}.{split}.arrow") for split in ("train", "test") for out, _, _ in results]
        counts = [json.loads(Path(f"{out}.json").read_text()) for out, _, _ in results]
    return tables, [(c["excluded"], c["empty_ids"]) for c in counts]


def _read_tables(conn: sqlite3.Connection, db_path: Path, sel: Selection, while_waiting: Callable[[], None],
                 scratch: Path | None) -> tuple[list[pa.Table], list[Counts]]:
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    ranges = _ranges(conn, sel, min(MAX_PARTS, os.cpu_count() or 1))
    if len(ranges) > 1:
        before = conn.execute("PRAGMA data_version").fetchone()[0]
        tables, parts = _read_parallel(db_path, sel, ranges, while_waiting, scratch)
        if conn.execute("PRAGMA data_version").fetchone()[0] == before:
            return tables, parts
    conn.execute("BEGIN")
    try:
        part = read_part(conn, sel, *_ranges(conn, sel, 1)[0])
    finally:
        conn.execute("COMMIT")
    return ([part.train.to_arrow(compat_level=_ARROW), part.test.to_arrow(compat_level=_ARROW)],
            [(part.excluded, part.empty_ids)])


def read_snapshot(conn: sqlite3.Connection, db_path: Path, sel: Selection,
                  while_waiting: Callable[[], None] = lambda: None, scratch: Path | None = None) -> Snapshot:
    """The version's rows, train then test, each in pair id order; and why other pairs were left out.

    `while_waiting` runs in this process while child processes read (work that does not need the rows);
    `scratch` is where their files go (the versions folder; default the system's temporary folder).
    """
    tables, counts = _read_tables(conn, db_path, sel, while_waiting, scratch)
    table = pa.concat_tables(tables)
    excluded: dict[str, int] = {}
    for part_excluded, _ in counts:
        for reason, n in part_excluded.items():
            excluded[reason] = excluded.get(reason, 0) + n
    empty = sorted(i for _, ids in counts for i in ids)
    keys = pl.from_arrow(table.select(["lineage_id", "pair_id", "split"])).with_row_index("row")
    if keys["lineage_id"].is_duplicated().any():
        # The same item added twice shares a lineage id: keep its newest pair so a lineage is one row.
        kept = (keys.sort("lineage_id", "pair_id").unique(subset="lineage_id", keep="last")
                .sort("split", "pair_id", descending=[True, False]))
        excluded["same_lineage_as_newer_pair"] = keys.height - kept.height
        table = table.take(kept["row"].to_arrow())
    contexts = rows_by_id(conn, "SELECT id, text FROM chunks WHERE", pl.from_arrow(table.column("chunk_id")),
                          {"chunk_id": pl.Int64, "context": pl.String}).sort("chunk_id")
    return Snapshot(table=table, contexts=contexts, excluded=excluded, empty_pair_ids=empty)


if __name__ == "__main__":
    _job = json.loads(sys.argv[1])
    _read_part_to_files(_job["db"], Selection(**{**_job["sel"], "exclude_flags": tuple(_job["sel"]["exclude_flags"])}),
                        _job["lo"], _job["hi"], _job["out"])
