"""Where versions live on disk, how a user names one, and the file checks every reader relies on.

versions/<id>/ holds data.parquet, contexts.parquet, hf/ (a DatasetDict saved with
save_to_disk) and manifest.json. A version is written into versions/.tmp-<token>-<pid>/
and renamed into place in one step, so a reader sees a whole version or none; the
temporary folders of killed runs are removed by the next create.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from curator.errors import CuratorError
from curator.processes import process_alive
from curator.store.versions import newest_version_id, version_ids_starting
from curator.versions.identity import ID_LENGTH, ID_PATTERN
from curator.workspace import Workspace

DATA_FILE = "data.parquet"
CONTEXTS_FILE = "contexts.parquet"
HF_DIR = "hf"
MANIFEST_FILE = "manifest.json"
TMP_PREFIX = ".tmp-"
BROKEN_PREFIX = ".broken-"
_BLOCK = 8 * 1024 * 1024
_MIN_PREFIX = 4


class VersionError(CuratorError):
    """A version that cannot be found, read or trusted."""


def versions_root(ws: Workspace) -> Path:
    return ws.path("versions")


def version_dir(ws: Workspace, version_id: str) -> Path:
    if not ID_PATTERN.match(version_id):
        raise VersionError(f"{version_id!r} is not a version id ({ID_LENGTH} hexadecimal characters).")
    return versions_root(ws) / version_id


def resolve_version_id(conn: sqlite3.Connection, ref: str) -> str:
    """A recorded version id from a full id, a unique prefix of at least 4 characters, or 'latest'."""
    ref = ref.strip().lower()
    if ref == "latest":
        newest = newest_version_id(conn)
        if newest is None:
            raise VersionError("the workspace has no versions yet; create one with `curator version create -m MESSAGE`.")
        return newest
    if not (_MIN_PREFIX <= len(ref) <= ID_LENGTH) or any(ch not in "0123456789abcdef" for ch in ref):
        raise VersionError(f"{ref!r} is not a version id: give {_MIN_PREFIX} to {ID_LENGTH} hexadecimal characters"
                           " (see `curator version list`) or 'latest'.")
    rows = version_ids_starting(conn, ref)
    if not rows:
        raise VersionError(f"no version {ref!r} in this workspace; `curator version list` shows the versions.")
    if len(rows) > 1:
        raise VersionError(f"{ref!r} matches {len(rows)} versions ({', '.join(rows[:5])}); give more characters.")
    return rows[0]


def file_digest(path: Path) -> tuple[str, int]:
    """sha256 (hex) and size of a file, read in blocks."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def list_files(directory: Path) -> list[str]:
    """Every regular file under `directory`, as sorted POSIX paths relative to it."""
    found = []
    for root, _, files in os.walk(directory):
        for name in files:
            found.append((Path(root) / name).relative_to(directory).as_posix())
    return sorted(found)


def describe_files(directory: Path, names: list[str]) -> list[dict[str, Any]]:
    """path, sha256 and size of each file, hashed in threads (hashlib works outside the GIL)."""
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        digests = list(pool.map(lambda name: file_digest(directory / name), names))
    return [{"path": name, "sha256": sha, "bytes": size} for name, (sha, size) in zip(names, digests)]


def inside(base: Path, name: str) -> Path:
    """`base / name`, refusing names that would land outside `base` (absolute paths, '..', links out)."""
    base_resolved = base.resolve()
    target = (base_resolved / name).resolve()
    if not target.is_relative_to(base_resolved) or target == base_resolved:
        raise CuratorError(f"refusing to write {name!r}: it would land outside {base}.")
    return target


def temp_dir_for(ws: Workspace) -> Path:
    """A fresh folder name for a version being written, ending in this process's id (see remove_stale_temp_dirs)."""
    return versions_root(ws) / f"{TMP_PREFIX}{secrets.token_hex(6)}-{os.getpid()}"


def remove_stale_temp_dirs(ws: Workspace) -> list[str]:
    """Remove the half-written folders of creates whose process is gone; return their names."""
    root = versions_root(ws)
    removed: list[str] = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        if not (entry.is_dir() and entry.name.startswith(TMP_PREFIX)):
            continue
        pid_text = entry.name.rsplit("-", 1)[-1]
        if pid_text.isdigit() and process_alive(int(pid_text)):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry.name)
    return removed
