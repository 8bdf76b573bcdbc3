"""Reading a version directory: its manifest and its rows, split into train and test.

This is the trainer's only view of curator: the files a version is made of
(manifest.json, data.parquet with a `split` column, contexts.parquet with the
chunk texts) and nothing else, so a version copied to another machine trains the
same way there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from trainer.errors import TrainerError

MANIFEST = "manifest.json"
DATA = "data.parquet"
CONTEXTS = "contexts.parquet"
REQUIRED_COLUMNS = ("question", "answer", "split")
# Flags that make a test pair unfit to measure the model: it (nearly) appears in the training material.
CONTAMINATION_FLAGS = frozenset({"contamination"})


class VersionReadError(TrainerError):
    """A version directory the trainer cannot use; the message names the file and the problem."""


@dataclass
class Example:
    """One pair as the trainer sees it."""

    question: str
    answer: str
    pair_id: int | None = None
    lineage_id: str | None = None
    context: str | None = None
    language: str | None = None
    flags: list[str] = field(default_factory=list)
    group: str | None = None  # the pair's source item: pairs of one item never straddle train and validation

    @property
    def contaminated(self) -> bool:
        return bool(CONTAMINATION_FLAGS.intersection(self.flags))


@dataclass
class VersionData:
    path: Path
    manifest: dict[str, Any]
    train: list[Example]
    test: list[Example]

    @property
    def id(self) -> str:
        return str(self.manifest.get("id") or self.path.name)


def item_group(row: dict[str, Any]) -> str | None:
    """The pair's source item, as curator.versions.identity.split_group(row, "item") names it.

    Written out here because the trainer reads a version without curator (a GPU machine may have neither
    polars nor curator's other needs); tests/trainer checks the two agree.
    """
    for column, prefix in (("chunk_id", "chunk:"), ("document_id", "document:"), ("source_id", "source:")):
        if row.get(column) is not None:
            return f"{prefix}{int(row[column])}"
    return None if row.get("lineage_id") is None else str(row["lineage_id"])


def read_manifest(path: Path) -> dict[str, Any]:
    file = path / MANIFEST
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise VersionReadError(f"{file} is missing: {path} is not a version directory.") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise VersionReadError(f"{file} is not valid JSON ({exc}).") from exc
    if not isinstance(manifest, dict) or "id" not in manifest:
        raise VersionReadError(f"{file} has no version id: not a curator version manifest.")
    return manifest


def _flag_kinds(raw: Any, where: str) -> list[str]:
    if raw in (None, ""):
        return []
    try:
        items = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError as exc:
        raise VersionReadError(f"{where}: the flags column is not JSON ({exc}).") from exc
    return [str(item.get("kind")) for item in items or [] if isinstance(item, dict)]


def _contexts(path: Path) -> dict[int, str]:
    file = path / CONTEXTS
    if not file.exists():
        return {}
    table = pq.read_table(file, columns=["chunk_id", "context"])
    return dict(zip(table.column("chunk_id").to_pylist(), table.column("context").to_pylist()))


def read_version(path: str | Path, context_field: str = "") -> VersionData:
    """The version at `path`; `context_field` is '' (no context), 'evidence' or 'context' (the source chunk)."""
    path = Path(path)
    manifest = read_manifest(path)
    data_file = path / DATA
    if not data_file.exists():
        raise VersionReadError(f"{data_file} is missing: the version directory is incomplete.")
    try:
        table = pq.read_table(data_file)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise VersionReadError(f"{data_file} cannot be read as parquet ({exc}).") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in table.column_names]
    if missing:
        raise VersionReadError(f"{data_file} lacks the column(s) {', '.join(missing)}.")
    if context_field not in ("", "evidence", "context"):
        raise VersionReadError(f"unknown context field {context_field!r}: use '', 'evidence' or 'context'.")
    chunk_texts = _contexts(path) if context_field == "context" else {}
    rows = table.to_pylist()
    splits: dict[str, list[Example]] = {"train": [], "test": []}
    for number, row in enumerate(rows, start=1):
        where = f"{data_file} row {number}"
        split = row.get("split")
        if split not in splits:
            raise VersionReadError(f"{where}: split is {split!r}, expected 'train' or 'test'.")
        context = None
        if context_field == "evidence":
            context = row.get("evidence")
        elif context_field == "context":
            context = row.get("context") or chunk_texts.get(row.get("chunk_id"))
        splits[split].append(Example(
            question=str(row["question"] or ""), answer=str(row["answer"] or ""), pair_id=row.get("pair_id"),
            lineage_id=row.get("lineage_id"), context=context or None, language=row.get("language"),
            flags=_flag_kinds(row.get("flags"), where), group=item_group(row)))
    return VersionData(path=path, manifest=manifest, train=splits["train"], test=splits["test"])
