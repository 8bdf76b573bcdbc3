"""`curator version verify`, and the checks every command runs before it reads a version.

verify recomputes everything that can be recomputed: the manifest against its
schema and against the copy recorded in the store, every file's size and sha256,
files that should not be there, each row's split and content hash, and the
version id itself. Readers (export, diff, stats, checkout) go through
`open_version`, which runs the cheaper checks (manifest, store record, the hash
of the files they read), so a damaged version is never used silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from curator.store.versions import get_version
from curator.versions.identity import CONTENT_FIELDS, split_column, split_groups, version_id
from curator.versions.layout import (
    CONTEXTS_FILE,
    DATA_FILE,
    MANIFEST_FILE,
    VersionError,
    file_digest,
    list_files,
    resolve_version_id,
    version_dir,
)
from curator.versions.manifest import read_manifest
from curator.workspace import Workspace


@dataclass
class VerifyReport:
    id: str
    path: str
    problems: list[str] = field(default_factory=list)
    files_checked: int = 0
    rows_checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "ok": self.ok, "problems": self.problems,
                "files_checked": self.files_checked, "rows_checked": self.rows_checked}


@dataclass
class Version:
    """A version whose manifest and data files were checked just now."""

    id: str
    path: Path
    manifest: dict[str, Any]

    @property
    def data_path(self) -> Path:
        return self.path / DATA_FILE

    def read(self, columns: list[str] | None = None) -> pl.DataFrame:
        return pl.read_parquet(self.data_path, columns=columns)

    def contexts(self) -> pl.DataFrame:
        return pl.read_parquet(self.path / CONTEXTS_FILE)


def _file_problems(directory: Path, manifest: dict[str, Any], only: set[str] | None = None) -> tuple[list[str], int]:
    problems, checked = [], 0
    for entry in manifest["files"]:
        if only is not None and entry["path"] not in only:
            continue
        path = directory / entry["path"]
        if not path.is_file():
            problems.append(f"{entry['path']}: missing")
            continue
        sha, size = file_digest(path)
        checked += 1
        if size != entry["bytes"]:
            problems.append(f"{entry['path']}: {size:,} bytes, the manifest says {entry['bytes']:,} (changed)")
        elif sha != entry["sha256"]:
            problems.append(f"{entry['path']}: sha256 {sha[:12]}… differs from the manifest's "
                            f"{entry['sha256'][:12]}… (changed)")
    return problems, checked


def _content_problems(directory: Path, manifest: dict[str, Any], vid: str) -> tuple[list[str], int]:
    """Recompute every row's split, and the version id from the rows' content, from data.parquet."""
    try:
        table = pq.read_table(directory / DATA_FILE, columns=list(CONTENT_FIELDS))
    except (OSError, ValueError, pa.ArrowException) as exc:
        return [f"{DATA_FILE}: cannot be read ({type(exc).__name__}: {exc})"], 0
    problems = []
    settings = manifest["split"]
    group_by = settings.get("group_by", "pair")
    group_columns = [] if group_by == "pair" else ["chunk_id", "document_id", "source_id"]
    frame = pl.from_arrow(table.select(["lineage_id", "held_out", "split"]))
    if group_columns:  # the ids a pair's split group is made of
        try:
            frame = frame.hstack(pl.from_arrow(pq.read_table(directory / DATA_FILE, columns=group_columns)).get_columns())
        except (OSError, ValueError, pa.ArrowException) as exc:
            return [f"{DATA_FILE}: cannot be read ({type(exc).__name__}: {exc})"], 0
    if frame.height != manifest["counts"]["total"]:
        problems.append(f"{DATA_FILE}: {frame.height:,} rows, the manifest says {manifest['counts']['total']:,}")
    expected_split = split_column(split_groups(frame, group_by), frame["held_out"], settings["seed"],
                                  settings["test_size"])
    wrong_split = int((expected_split != frame["split"]).sum())
    if wrong_split:
        problems.append(f"{DATA_FILE}: {wrong_split:,} rows are in the wrong split for seed {settings['seed']}")
    recomputed = version_id(table, settings)
    if "preferences" in manifest:  # the preference tables are content too (curator.versions.preferences)
        pref_problems, recomputed = _preference_problems(directory, manifest, recomputed)
        problems += pref_problems
    if recomputed != vid:
        problems.append(f"{DATA_FILE}: the rows hash to version id {recomputed}, not {vid} (edited)")
    return problems, frame.height


def _preference_problems(directory: Path, manifest: dict[str, Any], pairs_id: str) -> tuple[list[str], str]:
    """Row counts of the preference tables against the manifest, and the version id with their content."""
    from curator.versions.preferences import NEGATIVES_FILE, PREFERENCES_FILE, combined_id, read_tables

    try:
        pairs, negatives = read_tables(directory)
    except (OSError, ValueError, pl.exceptions.PolarsError) as exc:
        return [f"{PREFERENCES_FILE}/{NEGATIVES_FILE}: cannot be read ({type(exc).__name__}: {exc})"], pairs_id
    problems = []
    for name, frame, key in ((PREFERENCES_FILE, pairs, "pairs"), (NEGATIVES_FILE, negatives, "negatives")):
        if frame.height != manifest["preferences"][key]:
            problems.append(f"{name}: {frame.height:,} rows, the manifest says {manifest['preferences'][key]:,}")
    return problems, combined_id(pairs_id, pairs, negatives)


def _folder_problems(directory: Path, manifest: dict[str, Any], vid: str, report: VerifyReport) -> None:
    if manifest["id"] != vid:
        report.problems.append(f"{MANIFEST_FILE}: id {manifest['id']} does not match the folder name {vid}")
    file_problems, report.files_checked = _file_problems(directory, manifest)
    report.problems += file_problems
    listed = {f["path"] for f in manifest["files"]} | {MANIFEST_FILE}
    report.problems += [f"{name}: not listed in the manifest (added)" for name in list_files(directory)
                        if name not in listed]
    if not file_problems:
        content_problems, report.rows_checked = _content_problems(directory, manifest, vid)
        report.problems += content_problems


def check_folder(directory: Path, vid: str) -> tuple[dict[str, Any] | None, list[str]]:
    """(manifest, problems) of a version folder on its own, without the store's record."""
    report = VerifyReport(id=vid, path=str(directory))
    try:
        manifest = read_manifest(directory)
    except VersionError as exc:
        return None, [str(exc)]
    _folder_problems(directory, manifest, vid, report)
    return manifest, report.problems


def _recorded(ws: Workspace, ref: str) -> tuple[str, dict]:
    """The version id a reference names, and the store's record of it."""
    conn = ws.connect()
    try:
        vid = resolve_version_id(conn, ref)
        return vid, get_version(conn, vid)
    finally:
        conn.close()


def verify_version(ws: Workspace, ref: str) -> VerifyReport:
    """Every check there is; the report lists each problem found (none means the version is intact)."""
    vid, record = _recorded(ws, ref)
    directory = version_dir(ws, vid)
    report = VerifyReport(id=vid, path=str(directory))
    if not directory.is_dir():
        report.problems.append(f"{directory}: the version folder is missing")
        return report
    try:
        manifest = read_manifest(directory)
    except VersionError as exc:
        report.problems.append(str(exc))
        manifest = None
    if manifest is not None and manifest != record["manifest"]:
        report.problems.append(f"{MANIFEST_FILE} differs from the manifest recorded in the store when the version "
                               "was created (edited)")
    _folder_problems(directory, record["manifest"], vid, report)
    return report


def open_version(ws: Workspace, ref: str, *, files: tuple[str, ...] = (DATA_FILE,)) -> Version:
    """A recorded version after the checks a reader needs; VersionError naming the problem otherwise."""
    vid, record = _recorded(ws, ref)
    directory = version_dir(ws, vid)
    if not directory.is_dir():
        raise VersionError(f"version {vid} is recorded but its folder {directory} is missing; restore it from a "
                           "backup.")
    manifest = read_manifest(directory)
    if manifest != record["manifest"]:
        raise VersionError(f"{directory / MANIFEST_FILE} differs from the manifest recorded when version {vid} was "
                           f"created; run `curator version verify {vid}`. Nothing was read.")
    problems, _ = _file_problems(directory, manifest, set(files))
    if problems:
        raise VersionError(f"version {vid} is damaged ({'; '.join(problems)}); run `curator version verify {vid}`."
                           " Nothing was read.")
    return Version(id=vid, path=directory, manifest=manifest)
