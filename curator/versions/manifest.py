"""manifest.json: what a version holds, how it was made, and the hash of every file (schemas/version_manifest)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from curator import __version__
from curator.schemas import validation_errors
from curator.store.rows import now
from curator.versions.identity import CONTENT_FIELDS, HASH_SCHEME, leaked_test_pairs
from curator.versions.layout import MANIFEST_FILE, VersionError
from curator.versions.query import Selection
from curator.versions.snapshot import Snapshot

NO_SOURCE = "(no source)"


def _counts(frame: pl.DataFrame, column: str, missing: str = "(none)") -> dict[str, int]:
    grouped = frame.group_by(column).len().sort(column, nulls_last=True)
    return {missing if key is None else str(key): int(n) for key, n in grouped.iter_rows()}


def _distinct(frame: pl.DataFrame, column: str) -> list[str]:
    return sorted(str(v) for v in frame[column].drop_nulls().unique().to_list())


def review_summary(frame: pl.DataFrame) -> dict[str, Any]:
    reviewed = frame.filter(pl.col("reviewer").is_not_null())
    last = reviewed["reviewed_at"].max() if reviewed.height else None
    return {
        "by_status": _counts(frame, "status"),
        "by_decision": _counts(frame, "review_decision", "(not reviewed)"),
        "reviewers": _counts(reviewed, "reviewer") if reviewed.height else {},
        "last_reviewed_at": last,
    }


def build_manifest(*, version_id: str, parent: str | None, message: str, snapshot: Snapshot, sel: Selection,
                   settings: dict[str, Any], judge_enabled: bool, files: list[dict[str, Any]]) -> dict[str, Any]:
    frame = snapshot.columns("origin", "source_uri", "split", "language", "prompt_version", "model", "status",
                             "review_decision", "reviewer", "reviewed_at")
    return {
        "id": version_id,
        "parent": parent,
        "message": message,
        "created_at": now(),
        "curator_version": __version__,
        "counts": {
            "total": snapshot.rows,
            "by_origin": _counts(frame, "origin"),
            "by_source": _counts(frame, "source_uri", NO_SOURCE),
            "by_split": {"train": 0, "test": 0, **_counts(frame, "split")},
            "by_language": _counts(frame, "language"),
            # Test pairs whose source item (chunk, else document) also gave a train pair: 0 unless the
            # split is per pair ([split].group_by = "pair"), when a glossary entry's two directions can part.
            "leaked_test_pairs": leaked_test_pairs(snapshot.columns("split", "lineage_id", "chunk_id", "document_id",
                                                                    "source_id"), "item"),
        },
        "split": settings,
        "filters": {**sel.describe(), "judge_enabled": judge_enabled, "excluded": snapshot.excluded},
        "prompt_versions": _distinct(frame, "prompt_version"),
        "models": _distinct(frame, "model"),
        "review": review_summary(frame),
        "content": {"scheme": HASH_SCHEME, "fields": list(CONTENT_FIELDS)},
        "files": files,
    }


def check_manifest(manifest: Any, where: str) -> list[str]:
    """Schema problems of a manifest, each prefixed with where it was read from."""
    return [f"{where}: {p}" for p in validation_errors("version_manifest", manifest)]


def write_manifest(directory: Path, manifest: dict[str, Any]) -> None:
    problems = check_manifest(manifest, MANIFEST_FILE)
    if problems:
        raise VersionError("the manifest curator built does not match schemas/version_manifest.schema.json: "
                           + "; ".join(problems))
    text = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    (directory / MANIFEST_FILE).write_text(text, encoding="utf-8")


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VersionError(f"{path} is missing: the version folder is incomplete.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VersionError(f"{path} is not valid JSON ({exc}): the version was damaged.") from exc
    problems = check_manifest(manifest, str(path))
    if problems:
        raise VersionError("; ".join(problems))
    return manifest
