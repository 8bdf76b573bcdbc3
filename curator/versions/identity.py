"""What makes a version itself: the stable content of each row, its split, and the version id.

A version's content is, for each pair, what training sees and what identifies it
(lineage id, question, answer, evidence, origin, language, held-out mark, split);
timestamps, reviewer names and row ids are lineage, not content. The version id
is a sha256 of that content in lineage order together with the split settings, so
the same pairs give the same id whatever order or day they were read in. It is
computed column by column on Arrow buffers (no Python work per row), which keeps
it fast for a million pairs.

A pair's split comes from a 64-bit hash of the seed and its split group, compared
with test_size. The group is what the pair was made from ([split].group_by): by
default the source item, i.e. its chunk (a glossary entry, an exam item, an
imported QA item, or a chunk of a document the LLM read), so both directions of a
glossary entry and all the questions about one passage land on the same side and
no test answer sits in a training prompt. `document` and `source` group coarser;
`pair` is the old per-pair split (the lineage id alone). A group key is made of
ids that never change (chunk, document and source rows are never rewritten, and a
revision keeps its lineage), so it never depends on which other pairs are in the
version: a pair stays on its side as the dataset grows, and raising test_size only
moves pairs from train to test. Held-out pairs (an exam bank kept for evaluation)
go to test with their whole group, or are left out when [version].held_out = "exclude".
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

ID_LENGTH = 16
ID_PATTERN = re.compile(rf"^[0-9a-f]{{{ID_LENGTH}}}$")
CONTENT_FIELDS = ("lineage_id", "question", "answer", "evidence", "origin", "language", "held_out", "split")
HASH_SCHEME = "curator-version-v1"
HELD_OUT_POLICIES = ("test", "exclude")
_SEP = "\x1f"
_FNV_BASIS = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = 2**64 - 1


GROUPINGS = ("item", "document", "source", "pair")
# For each grouping, the ids tried in turn: the first one a pair has names its group (the lineage id is last,
# so a pair with no chunk, document or source is a group of its own).
_GROUP_KEYS = {"item": ("chunk_id", "document_id", "source_id"), "document": ("document_id", "chunk_id", "source_id"),
               "source": ("source_id", "document_id", "chunk_id"), "pair": ()}
_KEY_PREFIX = {"chunk_id": "chunk:", "document_id": "document:", "source_id": "source:"}


def split_settings(seed: int, test_size: float, held_out_policy: str, group_by: str = "pair") -> dict[str, Any]:
    if group_by == "pair":  # the per-pair split as before groups existed: same settings, same version ids
        return {"seed": int(seed), "test_size": float(test_size), "held_out": held_out_policy,
                "method": "fnv1a64(seed, 0x1f, lineage_id) mixed by splitmix64 / 2^64 < test_size"}
    return {"seed": int(seed), "test_size": float(test_size), "held_out": held_out_policy, "group_by": group_by,
            "method": f"fnv1a64(seed, 0x1f, group) mixed by splitmix64 / 2^64 < test_size; group = first of "
                      f"{', '.join(_GROUP_KEYS[group_by])}, lineage_id"}


def _check_grouping(group_by: str) -> None:
    if group_by not in GROUPINGS:
        raise ValueError(f"unknown split grouping {group_by!r}; choose one of {', '.join(GROUPINGS)}")


def split_groups(frame: pl.DataFrame, group_by: str = "item") -> pl.Series:
    """Each pair's split group: 'chunk:<id>', 'document:<id>', 'source:<id>', or its lineage id.

    `frame` holds lineage_id and, for every grouping but 'pair', chunk_id, document_id and source_id (the
    columns of a version's data.parquet; a missing column counts as null). Pairs with the same group always
    share a split, whatever else the version holds.
    """
    _check_grouping(group_by)
    keys = [pl.lit(_KEY_PREFIX[c]) + pl.col(c).cast(pl.Int64).cast(pl.String)
            for c in _GROUP_KEYS[group_by] if c in frame.columns]
    return frame.select(pl.coalesce(*keys, pl.col("lineage_id").cast(pl.String)).alias("split_group")).to_series()


def split_group(pair: dict[str, Any], group_by: str = "item") -> str:
    """One pair's split group (a row of data.parquet or of qa_pairs as a dict), as `split_groups` gives it."""
    _check_grouping(group_by)
    for column in _GROUP_KEYS[group_by]:
        value = pair.get(column)
        if value is None and column in ("document_id", "source_id"):  # qa_pairs names them so in a version query
            value = pair.get(f"pair_{column}")
        if value is not None:
            return f"{_KEY_PREFIX[column]}{int(value)}"
    return str(pair["lineage_id"])


def group_is_test(groups: pl.Series, seed: int, test_size: float) -> np.ndarray:
    """Whether each group goes to test: its hash position under test_size (held-out marks aside)."""
    return split_positions(groups, seed) < test_size


def leaked_test_pairs(frame: pl.DataFrame, group_by: str = "item") -> int:
    """How many test pairs share a `group_by` group with a train pair: a test answer a training prompt may hold.

    `frame`: a version's rows (split, lineage_id, chunk_id, document_id, source_id).
    """
    if frame.height == 0:
        return 0
    groups = frame.select(pl.col("split")).with_columns(group=split_groups(frame, group_by))
    mixed = groups.group_by("group").agg((pl.col("split") == "train").any().alias("has_train"))
    return (groups.join(mixed, on="group", how="left")
            .filter((pl.col("split") == "test") & pl.col("has_train")).height)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads FNV's low-entropy high bits over the whole word."""
    h = h ^ (h >> np.uint64(30))
    h = h * np.uint64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> np.uint64(27))
    h = h * np.uint64(0x94D049BB133111EB)
    return h ^ (h >> np.uint64(31))


def split_positions(lineage_ids: pl.Series, seed: int) -> np.ndarray:
    """Each lineage id's place in [0, 1): a 64-bit hash of (seed, lineage id), computed a byte column at a time.

    Vectorized over all pairs (no Python work per pair), and defined here byte for byte so it never
    changes with a library version.
    """
    state = _FNV_BASIS
    for byte in f"{seed}{_SEP}".encode():
        state = ((state ^ byte) * _FNV_PRIME) & _MASK64
    array = lineage_ids.cast(pl.String).fill_null("").to_arrow(compat_level=pl.CompatLevel.oldest())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    n = len(array)
    h = np.full(n, state, dtype=np.uint64)
    if n == 0:
        return h.astype(np.float64)
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int64)[array.offset:array.offset + n + 1]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8) if array.buffers()[2] is not None else np.zeros(1, np.uint8)
    starts, lengths = offsets[:-1], np.diff(offsets)
    prime = np.uint64(_FNV_PRIME)
    last = max(len(data) - 1, 0)
    for j in range(int(lengths.max(initial=0))):
        live = lengths > j
        byte = data[np.minimum(starts + j, last)].astype(np.uint64)
        h = np.where(live, (h ^ byte) * prime, h)
    return (_mix(h) >> np.uint64(11)).astype(np.float64) / float(2**53)


def split_column(groups: pl.Series, held_out: pl.Series, seed: int, test_size: float) -> pl.Series:
    """'train' or 'test' for each pair, by its group (`split_groups`, or the lineage ids for a per-pair split).

    Held-out pairs are always 'test', and so is the rest of their group: the held-out item's other pairs
    would otherwise put its answer in training.
    """
    held = pl.DataFrame({"g": groups, "h": held_out.fill_null(0) != 0})
    is_test = group_is_test(groups, seed, test_size) | held.select(pl.col("h").any().over("g")).to_series().to_numpy()
    return pl.Series("split", np.where(is_test, "test", "train"), dtype=pl.String)


def _large_strings(column: pa.ChunkedArray | pa.Array) -> pa.LargeStringArray:
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    return pc.cast(array, pa.large_string())


def _column_digest(column: pa.ChunkedArray | pa.Array) -> bytes:
    """sha256 of one content column: every value's byte length (-1 for null), then all values back to back.

    The lengths make the bytes unambiguous: no separator a question could contain. Integers hash as their
    decimal text. Everything is read from Arrow buffers, with no Python object per value.
    """
    text = _large_strings(column)
    lengths = pc.fill_null(pc.binary_length(text), -1).to_numpy(zero_copy_only=False).astype("<i8")
    digest = hashlib.sha256(lengths.tobytes())
    filled = pc.fill_null(text, "") if text.null_count else text  # a null slot may still hold bytes in Arrow
    if len(filled) and filled.buffers()[2] is not None:
        offsets = np.frombuffer(filled.buffers()[1], dtype=np.int64)[filled.offset:filled.offset + len(filled) + 1]
        digest.update(memoryview(filled.buffers()[2])[int(offsets[0]):int(offsets[-1])])
    return digest.digest()


def version_id(table: pa.Table, settings: dict[str, Any]) -> str:
    """sha256 over the split settings and each content column in lineage order (first ID_LENGTH hex digits).

    Columns are put in lineage order and hashed in threads: Arrow and hashlib both work outside the GIL.
    """
    order = pa.array(pl.from_arrow(table.column("lineage_id")).arg_sort().to_numpy())
    with ThreadPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:  # each worker holds a column copy
        digests = list(pool.map(lambda name: _column_digest(pc.take(table.column(name), order)), CONTENT_FIELDS))
    top = hashlib.sha256(f"{HASH_SCHEME}\n{json.dumps(settings, sort_keys=True)}\n".encode())
    for name, digest in zip(CONTENT_FIELDS, digests):
        top.update(name.encode() + b"\0" + digest)
    return top.hexdigest()[:ID_LENGTH]
