"""Immutable, content-addressed dataset versions: create, verify, diff, checkout, export, stats.

A version is a folder versions/<id>/ (data.parquet with every field and its
lineage, contexts.parquet with the source chunks, hf/ a DatasetDict with train and
test splits, manifest.json with counts, settings and file hashes) and a row in the
store's versions table. Its id is a hash of its content: the same pairs give the
same id. See docs/versions.md.

Names are imported on first use, so the processes that read pairs in parallel
load only what reading needs.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "CheckoutResult": "checkout", "checkout_version": "checkout",
    "CreatedVersion": "create", "NothingToVersion": "create", "create_version": "create",
    "VersionDiff": "diff", "diff_versions": "diff",
    "FORMATS": "export", "ExportResult": "export", "export_version": "export",
    "VersionError": "layout",
    "version_stats": "stats",
    "Version": "verify", "VerifyReport": "verify", "open_version": "verify", "verify_version": "verify",
}
__all__ = [
    "FORMATS",
    "CheckoutResult",
    "CreatedVersion",
    "ExportResult",
    "NothingToVersion",
    "VerifyReport",
    "Version",
    "VersionDiff",
    "VersionError",
    "checkout_version",
    "create_version",
    "diff_versions",
    "export_version",
    "open_version",
    "verify_version",
    "version_stats",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'curator.versions' has no attribute {name!r}")
    return getattr(importlib.import_module(f"curator.versions.{_WHERE[name]}"), name)
