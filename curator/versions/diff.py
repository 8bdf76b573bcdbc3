"""`curator version diff A B`: pairs added, removed and changed between two versions.

Rows are matched by lineage id (stable across revisions), so an edited pair is
'changed', not 'removed' plus 'added'. Only the content columns are read, and the
comparison is a join in polars: a million pairs diff in a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curator.versions.identity import CONTENT_FIELDS
from curator.versions.verify import open_version
from curator.workspace import Workspace

_COMPARED = [f for f in CONTENT_FIELDS if f != "lineage_id"]
_READ = ["lineage_id", "pair_id", *_COMPARED]
# Compared by a 64-bit hash: the join then never holds both versions' answers and evidence (the question
# stays text, for the listing). Two different texts share a hash about once in 10^19 pairs.
_HASHED = ("answer", "evidence")


@dataclass
class VersionDiff:
    a: str
    b: str
    counts: dict[str, int]
    changed_fields: dict[str, int]
    added: pl.DataFrame
    removed: pl.DataFrame
    changed: pl.DataFrame
    summary: str = ""

    def as_dict(self, limit: int | None) -> dict[str, Any]:
        def rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
            return (frame if limit is None else frame.head(limit)).to_dicts()

        return {"a": self.a, "b": self.b, "counts": self.counts, "changed_fields": self.changed_fields,
                "summary": self.summary, "limit": limit, "added": rows(self.added), "removed": rows(self.removed),
                "changed": rows(self.changed)}


def diff_versions(ws: Workspace, ref_a: str, ref_b: str) -> VersionDiff:
    va, vb = open_version(ws, ref_a), open_version(ws, ref_b)
    a, b = _content(va.data_path), _content(vb.data_path)
    joined = a.join(b, on="lineage_id", how="full", suffix="_b", coalesce=True)
    in_a, in_b = pl.col("pair_id").is_not_null(), pl.col("pair_id_b").is_not_null()
    added = (joined.filter(~in_a).select("lineage_id", pair_id=pl.col("pair_id_b"), split=pl.col("split_b"),
                                         question=pl.col("question_b")).sort("lineage_id"))
    removed = joined.filter(~in_b).select("lineage_id", "pair_id", "split", "question").sort("lineage_id")
    differs = {f: pl.col(f).ne_missing(pl.col(f"{f}_b")) for f in _COMPARED}
    both = joined.filter(in_a & in_b & pl.any_horizontal(list(differs.values())))
    fields_expr = pl.concat_list([pl.when(expr).then(pl.lit(name)) for name, expr in differs.items()]).list.drop_nulls()
    changed = both.select("lineage_id", pair_id_a=pl.col("pair_id"), pair_id_b=pl.col("pair_id_b"),
                          fields=fields_expr, question=pl.col("question_b")).sort("lineage_id")
    changed_fields = {name: int(n) for name in _COMPARED
                      if (n := both.select(differs[name].sum()).item())}
    moved = both.filter(pl.col("split") != pl.col("split_b")).height
    counts = {"a_pairs": a.height, "b_pairs": b.height, "added": added.height, "removed": removed.height,
              "changed": changed.height, "unchanged": a.height - removed.height - changed.height,
              "moved_split": moved}
    result = VersionDiff(a=va.id, b=vb.id, counts=counts, changed_fields=changed_fields, added=added,
                         removed=removed, changed=changed)
    result.summary = _summary(result)
    return result


def _content(data_path: Path) -> pl.DataFrame:
    return (pl.scan_parquet(data_path).select(_READ)
            .with_columns(pl.col(name).hash(seed=0) for name in _HASHED).collect())


def _summary(d: VersionDiff) -> str:
    c = d.counts
    if not (c["added"] or c["removed"] or c["changed"]):
        return f"{d.a} and {d.b} hold the same {c['a_pairs']:,} pairs."
    fields = ", ".join(f"{name} {n:,}" for name, n in sorted(d.changed_fields.items(), key=lambda kv: -kv[1]))
    text = (f"{d.a} → {d.b}: {c['added']:,} added, {c['removed']:,} removed, {c['changed']:,} changed"
            f"{f' ({fields})' if fields else ''}, {c['unchanged']:,} unchanged; {c['a_pairs']:,} → {c['b_pairs']:,} pairs.")
    if c["moved_split"]:
        text += f" {c['moved_split']:,} pairs moved between train and test (the split settings differ)."
    return text
