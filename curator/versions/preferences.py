"""The preference table of a version: the review's corrections about the version's pairs, split like the pairs.

`version create` freezes two tables beside data.parquet, each only when it has a
row (so a version without preferences is byte for byte what it was before):

- preferences.parquet: (prompt, chosen, rejected) records whose chosen pair is a
  pair of the version, or an earlier revision of one (an edit chain A -> B -> C
  gives A<B and B<C when C is in the version);
- negatives.parquet: answers a person rejected with a reason and nothing replaced.

**Split.** A record is `test` when any pair it names is on the test side (the
chosen pair's row in the version; a pair outside the version by the same split
rule the version used, so one source item's pairs share a side), or when its
prompt is, once normalized, the question of a test pair. So no test prompt is in
the training preferences, and the test preferences can measure a preference-tuned
model on prompts it never saw.

**Identity.** The version id of a version with preference rows is a sha256 over
the pairs' id and each table's content columns in a fixed order (reviewer names,
reasons, times and row ids are lineage, as for pairs); without rows, the id is
the pairs' id unchanged.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa

from curator.filters.normalize import normalize
from curator.preferences import Preferences, collect
from curator.store.preferences import pairs_by_id
from curator.versions import identity

PREFERENCES_FILE = "preferences.parquet"
NEGATIVES_FILE = "negatives.parquet"
PREFERENCE_CONTENT = ("kind", "prompt", "chosen", "rejected", "chosen_lineage_id", "rejected_lineage_id", "split")
NEGATIVE_CONTENT = ("prompt", "completion", "lineage_id", "split")
PREFERENCE_SCHEME = "curator-preferences-v1"
_PREF_SCHEMA = {
    "kind": pl.String, "prompt": pl.String, "chosen": pl.String, "rejected": pl.String,
    "chosen_pair_id": pl.Int64, "rejected_pair_id": pl.Int64, "chosen_lineage_id": pl.String,
    "rejected_lineage_id": pl.String, "reviewer": pl.String, "reason": pl.String, "decided_at": pl.String,
    "review_id": pl.Int64, "chunk_id": pl.Int64, "language": pl.String, "split": pl.String}
_NEG_SCHEMA = {
    "prompt": pl.String, "completion": pl.String, "pair_id": pl.Int64, "lineage_id": pl.String,
    "reviewer": pl.String, "reason": pl.String, "decided_at": pl.String, "review_id": pl.Int64,
    "chunk_id": pl.Int64, "language": pl.String, "split": pl.String}


@dataclass
class FrozenPreferences:
    pairs: pl.DataFrame
    negatives: pl.DataFrame
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.pairs.height == 0 and self.negatives.height == 0

    def counts(self) -> dict[str, Any]:
        def by(frame: pl.DataFrame, column: str) -> dict[str, int]:
            return {str(k): int(n) for k, n in frame.group_by(column).len().sort(column).iter_rows()}

        return {"pairs": self.pairs.height, "negatives": self.negatives.height,
                "pairs_by_split": {"train": 0, "test": 0, **by(self.pairs, "split")},
                "negatives_by_split": {"train": 0, "test": 0, **by(self.negatives, "split")},
                "pairs_by_kind": by(self.pairs, "kind")}


def freeze(conn: sqlite3.Connection, table: pa.Table, settings: dict[str, Any],
           found: Preferences | None = None) -> FrozenPreferences:
    """The preference rows of a version whose pair rows are `table` (data.parquet's columns), with their split."""
    found = found if found is not None else collect(conn)
    rows = pl.from_arrow(table.select([c for c in ("pair_id", "lineage_id", "split", "question", "chunk_id",
                                                   "document_id", "source_id") if c in table.column_names]))
    version_pair = dict(zip(rows["lineage_id"].to_list(), rows["pair_id"].to_list()))
    sides = _Sides(conn, rows, settings)
    pairs = []
    for rec in found.pairs:
        newest = version_pair.get(rec.chosen_lineage_id)
        if newest is None or rec.chosen_pair_id > newest:  # not a pair of this version, nor an earlier revision
            continue
        test = sides.is_test(rec.chosen_pair_id, rec.rejected_pair_id, prompt=rec.prompt)
        pairs.append({**rec.as_dict(), "split": "test" if test else "train"})
    in_version = set(version_pair)
    negatives = []
    for neg in found.negatives:
        if neg.lineage_id in in_version:  # a rejected revision of a pair the version holds: the edit is the record
            continue
        test = sides.is_test(neg.pair_id, prompt=neg.prompt)
        negatives.append({k: v for k, v in neg.as_dict().items() if k in _NEG_SCHEMA} | {
            "split": "test" if test else "train"})
    pair_frame = pl.DataFrame(pairs, schema=_PREF_SCHEMA).sort("review_id", "rejected_pair_id")
    neg_frame = pl.DataFrame(negatives, schema=_NEG_SCHEMA).sort("pair_id")
    return FrozenPreferences(pair_frame, neg_frame, dict(found.skipped))


class _Sides:
    """Which side of the split a pair is on: its row in the version, else the version's split rule."""

    def __init__(self, conn: sqlite3.Connection, rows: pl.DataFrame, settings: dict[str, Any]) -> None:
        self.conn, self.settings = conn, settings
        self.split_of_pair = dict(zip(rows["pair_id"].to_list(), rows["split"].to_list()))
        self.split_of_lineage = dict(zip(rows["lineage_id"].to_list(), rows["split"].to_list()))
        questions = rows.filter(pl.col("split") == "test")["question"].to_list() if "question" in rows.columns else []
        self.test_questions = {normalize(q) for q in questions}
        # a group's side in this version (a held-out pair pulls its whole group into test)
        self.group_by = settings.get("group_by", "pair")
        groups = identity.split_groups(rows, self.group_by)
        self.split_of_group: dict[str, str] = {}
        for group, split in zip(groups.to_list(), rows["split"].to_list()):
            if self.split_of_group.get(group) != "test":
                self.split_of_group[group] = split
        self.cache: dict[int, bool] = {}

    def is_test(self, *pair_ids: int, prompt: str) -> bool:
        if normalize(prompt) in self.test_questions:
            return True
        return any(self._pair_is_test(p) for p in pair_ids)

    def _pair_is_test(self, pair_id: int) -> bool:
        if pair_id in self.split_of_pair:
            return self.split_of_pair[pair_id] == "test"
        if pair_id not in self.cache:
            pair = pairs_by_id(self.conn, [pair_id]).get(pair_id)
            if pair is None:
                self.cache[pair_id] = False
            elif pair["lineage_id"] in self.split_of_lineage:  # another revision of a version pair
                self.cache[pair_id] = self.split_of_lineage[pair["lineage_id"]] == "test"
            elif identity.split_group(pair, self.group_by) in self.split_of_group:  # its group is in the version
                self.cache[pair_id] = self.split_of_group[identity.split_group(pair, self.group_by)] == "test"
            else:
                self.cache[pair_id] = outside_pair_is_test(pair, self.settings)
        return self.cache[pair_id]


def outside_pair_is_test(pair: dict[str, Any], settings: dict[str, Any]) -> bool:
    """The split rule of the version applied to a pair (and its group) it does not hold; held-out pairs are test."""
    if int(pair.get("held_out") or 0):
        return True
    group = identity.split_group(pair, settings.get("group_by", "pair"))
    return bool(identity.group_is_test(pl.Series([group]), settings["seed"], settings["test_size"])[0])


def preferences_digest(pairs: pl.DataFrame, negatives: pl.DataFrame) -> str:
    """sha256 over both tables' content columns, rows in a fixed order (see the module's docstring)."""
    top = hashlib.sha256(f"{PREFERENCE_SCHEME}\n".encode())
    for name, frame, columns in (("preferences", pairs, PREFERENCE_CONTENT), ("negatives", negatives, NEGATIVE_CONTENT)):
        ordered = frame.select(columns).sort(list(columns), nulls_last=True)
        top.update(f"{name}\0{ordered.height}\0".encode())
        for column in columns:
            top.update(column.encode() + b"\0" + identity._column_digest(
                ordered[column].cast(pl.String).to_arrow(compat_level=pl.CompatLevel.oldest())))
    return top.hexdigest()


def combined_id(pairs_id: str, pairs: pl.DataFrame, negatives: pl.DataFrame) -> str:
    """The version id: the pairs' id alone without preference rows, else a hash of it and the tables' digest."""
    if pairs.height == 0 and negatives.height == 0:
        return pairs_id
    digest = hashlib.sha256(f"{pairs_id}\n{preferences_digest(pairs, negatives)}".encode()).hexdigest()
    return digest[:identity.ID_LENGTH]


def write_tables(directory: Path, frozen: FrozenPreferences) -> list[str]:
    """Write the tables that have rows into `directory`; return their file names."""
    written = []
    for name, frame in ((PREFERENCES_FILE, frozen.pairs), (NEGATIVES_FILE, frozen.negatives)):
        if frame.height:
            frame.write_parquet(directory / name)
            written.append(name)
    return written


def read_tables(directory: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(preferences, negatives) of a version folder; empty tables when it has none."""
    pairs = pl.read_parquet(directory / PREFERENCES_FILE) if (directory / PREFERENCES_FILE).exists() \
        else pl.DataFrame(schema=_PREF_SCHEMA)
    negatives = pl.read_parquet(directory / NEGATIVES_FILE) if (directory / NEGATIVES_FILE).exists() \
        else pl.DataFrame(schema=_NEG_SCHEMA)
    return pairs, negatives
