"""`curator version create`: snapshot the pairs that pass review and the filters into an immutable version.

Every file is written into a temporary folder inside versions/ while the id is
computed from the content. When a version with that id is already recorded, the
folder is thrown away and nothing changes. Otherwise the manifest (with each
file's sha256) is written last and the folder is renamed into place in one step
before the version is recorded in the store. A kill at any moment leaves either
no version or a whole one; a whole folder that was never recorded (killed
between the rename and the record) is checked and adopted by the next create.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from curator.errors import CuratorError
from curator.schemas import validation_errors
from curator.store import transaction
from curator.store.pairs import pair_counts_by_status
from curator.store.runs import record_error, stage_run
from curator.store.versions import get_version, newest_version_id, record_version
from curator.versions.identity import split_settings, version_id
from curator.versions.layout import (
    BROKEN_PREFIX,
    CONTEXTS_FILE,
    DATA_FILE,
    HF_DIR,
    VersionError,
    describe_files,
    list_files,
    remove_stale_temp_dirs,
    temp_dir_for,
    version_dir,
    versions_root,
)
from curator.versions.manifest import build_manifest, write_manifest
from curator.versions.preferences import FrozenPreferences, combined_id, freeze, write_tables
from curator.versions.query import Selection
from curator.versions.snapshot import Snapshot, read_snapshot
from curator.workspace import Workspace

ROW_GROUP = 100_000
HF_SHARD_BYTES = 500 * 1024 * 1024
SAMPLE_ROWS_CHECKED = 200
HF_WRITE_BATCH = 50_000
ERRORS_LISTED = 20


class NothingToVersion(CuratorError):
    pass


@dataclass
class CreatedVersion:
    id: str
    path: Path
    pair_count: int
    created: bool  # False when the same content was already a version
    manifest: dict[str, Any]


def selection_from_config(ws: Workspace, *, include_pending: bool = False, test_size: float | None = None,
                          seed: int | None = None) -> Selection:
    version_cfg, split_cfg = ws.config["version"], ws.config["split"]
    size = split_cfg["test_size"] if test_size is None else test_size
    if not 0 <= size < 1:
        raise CuratorError(f"--test-size must be at least 0 and below 1 (got {size}).")
    return Selection(exclude_flags=tuple(version_cfg["exclude_flags"]),
                     judge_min_quality=float(ws.config["filters"]["judge_min_quality"]),
                     include_pending=include_pending, seed=split_cfg["seed"] if seed is None else seed,
                     test_size=float(size), held_out_policy=version_cfg["held_out"],
                     group_by=split_cfg.get("group_by", "item"))


def create_version(ws: Workspace, *, message: str, include_pending: bool = False, test_size: float | None = None,
                   seed: int | None = None, on_step: Callable[[str], None] | None = None) -> CreatedVersion:
    try:
        return _create(ws, message, include_pending, test_size, seed, on_step or (lambda _text: None))
    finally:
        # Arrow keeps the pages it freed for reuse: hand them back, so that whatever this process does next
        # (a diff, an export, a training run) does not start a gigabyte up.
        pa.default_memory_pool().release_unused()


def _create(ws: Workspace, message: str, include_pending: bool, test_size: float | None, seed: int | None,
            step: Callable[[str], None]) -> CreatedVersion:
    sel = selection_from_config(ws, include_pending=include_pending, test_size=test_size, seed=seed)
    settings = split_settings(sel.seed, sel.test_size, sel.held_out_policy, sel.group_by)
    conn = ws.connect()
    try:
        with stage_run(conn, "version", {"message": message, **sel.describe(), "split": settings}) as counts:
            remove_stale_temp_dirs(ws)
            step("reading pairs from the store")
            snapshot = read_snapshot(conn, ws.db_path, sel, while_waiting=_import_datasets,
                                     scratch=versions_root(ws))
            _record_empty_pairs(conn, snapshot, counts["run_id"])
            if snapshot.rows == 0:
                raise NothingToVersion(_nothing_message(conn, sel, snapshot))
            step("collecting preference records from the review log")
            frozen = freeze(conn, snapshot.table, settings)
            tmp = temp_dir_for(ws)
            try:
                vid, files = _write_files_and_id(tmp, snapshot, settings, step, frozen)
                counts.update(version_id=vid, pairs=snapshot.rows, excluded=snapshot.excluded,
                              preferences=frozen.pairs.height, negatives=frozen.negatives.height)
                result = _put_in_place(ws, conn, tmp, vid, files, snapshot, sel, settings, message, step, frozen)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            counts["created"] = result.created
            return result
    finally:
        conn.close()


def _write_files_and_id(tmp: Path, snapshot: Snapshot, settings: dict[str, Any], step: Callable[[str], None],
                        frozen: FrozenPreferences) -> tuple[str, list[dict[str, Any]]]:
    """Write the files while the id is computed beside them (both mostly outside the GIL): (id, file entries).

    When the id turns out to be a version already, the files are thrown away: a repeated create changes
    nothing, and a first one does not wait for its id before writing.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        vid = pool.submit(version_id, snapshot.table, settings)
        files = _write_files(tmp, snapshot, step, frozen)
        return combined_id(vid.result(), frozen.pairs, frozen.negatives), files


def _put_in_place(ws: Workspace, conn, tmp: Path, vid: str, files: list[dict[str, Any]], snapshot: Snapshot,
                  sel: Selection, settings: dict[str, Any], message: str,
                  step: Callable[[str], None], frozen: FrozenPreferences) -> CreatedVersion:
    """Add the manifest, rename the folder into versions/<id>, and record it (unless it already is a version)."""
    existing = get_version(conn, vid)
    if existing is not None:
        return _already_there(ws, existing)
    target = version_dir(ws, vid)
    if target.exists():
        adopted = _adopt_unrecorded(ws, conn, vid, target)
        if adopted is not None:
            return adopted
    manifest = build_manifest(version_id=vid, parent=newest_version_id(conn), message=message,
                              snapshot=snapshot, sel=sel, settings=settings,
                              judge_enabled=bool(ws.config["filters"]["judge"]), files=files)
    if not frozen.empty:  # only then: a version without preferences keeps the manifest it always had
        manifest["preferences"] = frozen.counts()
    write_manifest(tmp, manifest)
    _sync_tree(tmp)
    step("moving the version into place")
    os.replace(tmp, target)
    with transaction(conn):
        record_version(conn, vid, parent_id=manifest["parent"], message=message, path=str(target),
                       pair_count=snapshot.rows, manifest=manifest)
    return CreatedVersion(vid, target, snapshot.rows, True, manifest)


def _write_files(tmp: Path, snapshot: Snapshot, step: Callable[[str], None],
                 frozen: FrozenPreferences) -> list[dict[str, Any]]:
    """Write data.parquet, contexts.parquet, hf/ and the preference tables into `tmp`; return their manifest entries."""
    tmp.mkdir(parents=True)
    write_tables(tmp, frozen)
    _check_sample_rows(snapshot.table)
    step(f"writing {DATA_FILE}, {CONTEXTS_FILE} and the Hugging Face DatasetDict")
    with ThreadPoolExecutor(max_workers=1) as pool:  # the parquet writers run outside the GIL meanwhile
        parquet = pool.submit(_write_parquet_files, snapshot.table, snapshot.contexts, tmp)
        _save_dataset_dict(snapshot.table, tmp / HF_DIR, tmp.name)
        parquet.result()
    step("hashing the files")
    return describe_files(tmp, list_files(tmp))


def _import_datasets() -> None:
    """datasets takes seconds to import: done while a child process reads the pairs, it costs no time."""
    import datasets  # noqa: F401


def _write_parquet_files(table: pa.Table, contexts: pl.DataFrame, directory: Path) -> None:
    pq.write_table(table, directory / DATA_FILE, row_group_size=ROW_GROUP)
    pq.write_table(contexts.to_arrow(compat_level=pl.CompatLevel.oldest()), directory / CONTEXTS_FILE)


def _save_dataset_dict(table: pa.Table, directory: Path, fingerprint: str) -> None:
    """hf/: a DatasetDict with train and test (train rows come first, so each split is a slice, not a copy)."""
    import datasets  # slow to import: only when a version is written
    from datasets.table import InMemoryTable

    datasets.disable_progress_bars()
    split = table.column("split")
    n_train = pc.sum(pc.equal(split, "train").cast(pa.int64())).as_py() or 0
    parts = {"train": table.slice(0, n_train), "test": table.slice(n_train)}
    # An explicit fingerprint spares datasets from hashing every row, and one shard per 500 MB keeps an
    # empty split loadable (datasets writes no shard for it otherwise).
    dataset_dict = datasets.DatasetDict({name: datasets.Dataset(InMemoryTable(part), fingerprint=f"{fingerprint}-{name}")
                                         for name, part in parts.items()})
    shards = {name: max(1, math.ceil(part.nbytes / HF_SHARD_BYTES)) for name, part in parts.items()}
    # save_to_disk writes 1,000 rows per batch by default: at a million rows its per-batch work dominates.
    default_batch = datasets.config.DEFAULT_MAX_BATCH_SIZE
    datasets.config.DEFAULT_MAX_BATCH_SIZE = HF_WRITE_BATCH
    try:
        dataset_dict.save_to_disk(str(directory), num_shards=shards)
    finally:
        datasets.config.DEFAULT_MAX_BATCH_SIZE = default_batch


def _check_sample_rows(table: pa.Table) -> None:
    """Validate an even sample of rows against schemas/qa_record.schema.json (all of them in small versions)."""
    every = max(1, table.num_rows // SAMPLE_ROWS_CHECKED)
    # One slice per row: `take` on a column of several chunks would first copy each whole column into one.
    for row in (table.slice(i, 1).to_pylist()[0] for i in range(0, table.num_rows, every)):
        problems = validation_errors("qa_record", row)
        if problems:
            raise VersionError(f"pair {row['pair_id']} does not match schemas/qa_record.schema.json: "
                               + "; ".join(problems))


def _sync_tree(directory: Path) -> None:
    """Flush every file and folder to disk before the rename makes the version visible."""
    for root, dirs, files in os.walk(directory):
        for name in files:
            fd = os.open(Path(root) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _already_there(ws: Workspace, record: dict[str, Any]) -> CreatedVersion:
    path = version_dir(ws, record["id"])
    if not path.is_dir():
        raise VersionError(f"these pairs are version {record['id']}, recorded in the store, but its folder {path} "
                           "is missing. Restore it from a backup; `curator version verify` checks it.")
    return CreatedVersion(record["id"], path, record["pair_count"], False, record["manifest"])


def _adopt_unrecorded(ws: Workspace, conn, vid: str, target: Path) -> CreatedVersion | None:
    """A whole folder from a create killed before it was recorded: record it if it verifies, else set it aside."""
    from curator.versions.verify import check_folder

    manifest, problems = check_folder(target, vid)
    if manifest is not None and not problems:
        with transaction(conn):
            record_version(conn, vid, parent_id=manifest["parent"], message=manifest["message"], path=str(target),
                           pair_count=manifest["counts"]["total"], manifest=manifest)
        return CreatedVersion(vid, target, manifest["counts"]["total"], True, manifest)
    aside = versions_root(ws) / f"{BROKEN_PREFIX}{vid}-{os.getpid()}"
    os.replace(target, aside)
    return None


def _record_empty_pairs(conn, snapshot: Snapshot, run_id: int) -> None:
    """Pairs left out for an empty question or answer are shown by `curator status` (the first few by id)."""
    for pair_id in snapshot.empty_pair_ids[:ERRORS_LISTED]:
        record_error(conn, "version", f"pair {pair_id}", "empty question or answer: left out of the version",
                     run_id)
    more = len(snapshot.empty_pair_ids) - ERRORS_LISTED
    if more > 0:
        record_error(conn, "version", "pairs", f"{more} more pairs with an empty question or answer were left out",
                     run_id)


def _nothing_message(conn, sel: Selection, snapshot: Snapshot) -> str:
    by_status = pair_counts_by_status(conn)
    parts = [f"{by_status.get(s, 0):,} {s}" for s in ("accepted", "pending", "rejected")]
    why = f"; left out: {', '.join(f'{k} {v:,}' for k, v in snapshot.excluded.items())}" if snapshot.excluded else ""
    hint = ("Accept pairs with `curator review`" + ("" if sel.include_pending else ", or pass --include-pending")
            + ".")
    return f"nothing to version: no pair passes review and the filters (the workspace has {', '.join(parts)}{why}). {hint}"
