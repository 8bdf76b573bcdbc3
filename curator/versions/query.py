"""Which pairs go into a version, and reading them with their lineage from the store.

The pairs of the chosen statuses (accepted, and pending when asked; never
rejected or superseded) are read by connectorx, which turns SQLite rows into
Arrow columns in Rust, a large workspace's id ranges on one thread each: through
Python's sqlite3 each value costs about a microsecond, and a million pairs ten
times as long. connectorx types a column by its declared type, which only a
plain table column has, so the pairs are read as stored and what else a row
needs comes from small grouped queries whose first row is never null: the
latest accept or reject of each pair, its active flags as JSON, and the
transcript times its evidence spans. Chunk spans, documents and sources are
joined in polars, where the filters are applied too: pairs with an excluding
flag (config [version].exclude_flags, or a judge score under
[filters].judge_min_quality) and pairs with an empty question or answer stay out.
The statements themselves are in curator.store.version_reads.
"""

from __future__ import annotations

import itertools
import os
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import connectorx
import numpy as np
import polars as pl
import pyarrow as pa

from curator.errors import CuratorError
from curator.store.version_reads import (
    DOCUMENTS,
    FLAGS,
    REVIEWS,
    SOURCES,
    calls_sql,
    chunks_sql,
    cue_times_sql,
    id_list,
    pair_span_sql,
    pairs_sql,
    status_literals,
)
from curator.versions.identity import split_column, split_groups

I, F, S = pl.Int64, pl.Float64, pl.String
PARALLEL_MIN_PAIRS = 100_000  # below this, splitting the read costs more than it saves
MAX_PARTS = 4
# What polars needs of the stored columns (the filters, joins and split); the rest stays in Arrow.
_KEY_COLUMNS = ("pair_id", "lineage_id", "question", "answer", "held_out", "chunk_id", "pair_document_id",
                "pair_source_id", "llm_call_id", "model", "prompt_version", "meta")

# The layout of data.parquet (schemas/qa_record.schema.json describes each column).
OUTPUT_COLUMNS = (
    "pair_id", "lineage_id", "revision", "parent_id", "question", "answer", "evidence", "evidence_start",
    "evidence_end", "evidence_score", "origin", "template", "language", "held_out", "split", "status",
    "status_reason", "source_id", "source_uri", "source_kind", "document_id", "document_uri", "document_kind",
    "chunk_id", "char_start", "char_end", "time_start", "time_end", "evidence_time_start", "evidence_time_end",
    "llm_call_id", "prompt_version", "model", "review_decision", "reviewer", "reviewed_at", "judge_score",
    "flags", "meta", "created_at", "updated_at",
)
# The output columns kept as stored (the others are worked out: joined, coalesced or computed).
_STORED_OUTPUT = ("pair_id", "lineage_id", "revision", "parent_id", "question", "answer", "evidence", "evidence_start",
                  "evidence_end", "evidence_score", "origin", "template", "language", "held_out", "status",
                  "status_reason", "chunk_id", "llm_call_id", "created_at", "updated_at")
FLAG_LIST = pl.List(pl.Struct({"kind": pl.String, "score": pl.Float64, "reason": pl.String}))


@dataclass(frozen=True)
class Selection:
    """Which pairs a version takes and how it splits them."""

    exclude_flags: tuple[str, ...]
    judge_min_quality: float
    include_pending: bool
    seed: int
    test_size: float
    held_out_policy: str  # 'test' or 'exclude'
    group_by: str = "item"  # what pairs share a split: see curator.versions.identity.GROUPINGS

    @property
    def statuses(self) -> tuple[str, ...]:
        return ("accepted", "pending") if self.include_pending else ("accepted",)

    def describe(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses), "exclude_flags": list(self.exclude_flags),
                "judge_min_quality": self.judge_min_quality, "held_out": self.held_out_policy}


def store_uri(db_path: Path) -> str:
    """The store as connectorx names it: the absolute path, percent-encoded (folders with spaces or Korean names)."""
    return "sqlite://" + urllib.parse.quote(str(Path(db_path).resolve()))


def _read_table(uri: str, sql: str) -> pa.Table:
    try:
        return connectorx.read_sql(uri, sql, return_type="arrow")
    except RuntimeError as exc:
        raise CuratorError(f"reading pairs from the store failed ({exc}); nothing was written.") from exc


def read_arrow(uri: str, sql: str, schema: dict[str, Any] | None = None) -> pl.DataFrame:
    """The rows of `sql` as a frame, cast to `schema` (grouped columns of an empty result come back as text)."""
    frame = pl.from_arrow(_read_table(uri, sql))
    assert isinstance(frame, pl.DataFrame)
    return frame.cast(schema) if schema else frame


def _id_list(ids: pl.Series) -> str:
    """Distinct ids written into the SQL as a JSON array (integers only: connectorx takes no parameters)."""
    return id_list(ids.drop_nulls().unique().sort().cast(pl.Int64).to_list())


BATCH_ROWS = 65_536  # rows put in place at a time: the copies reuse the same memory instead of a column's worth


@dataclass
class Selected:
    """The rows that pass the filters, split, and why the others were left out.

    The rows are not put in order until they are written (`batches`): the stored columns stay as
    connectorx read them, and each batch copies only its own rows, into memory the last batch freed.
    """

    stored: pa.Table  # the pairs as read, in pair id order
    rows: np.ndarray  # which stored rows go in, in version order: train then test, each in pair id order
    worked_out: pa.Table  # the other columns, already in version order
    contexts: pl.DataFrame  # chunk_id, context: the text of every chunk a row points to, in id order
    excluded: dict[str, int]
    empty_ids: list[int]

    @property
    def num_rows(self) -> int:
        return len(self.rows)

    def batches(self, size: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """The version's rows (OUTPUT_COLUMNS), in order, `size` rows at a time (one empty batch when none)."""
        if not self.num_rows:
            yield self._batch(self.stored.slice(0, 0), self.worked_out.slice(0, 0))
        for start, stop in _increasing_runs(self.rows, size):
            wanted = self.rows[start:stop]
            first, span = int(wanted[0]), int(wanted[-1]) + 1 - int(wanted[0])
            mask = np.zeros(span, dtype=bool)
            mask[wanted - first] = True
            # Within a run the rows increase, so a filter over their span takes them in order, chunk by chunk.
            yield self._batch(self.stored.slice(first, span).filter(pa.array(mask)),
                              self.worked_out.slice(start, stop - start))

    @staticmethod
    def _batch(stored: pa.Table, worked_out: pa.Table) -> pa.RecordBatch:
        return pa.RecordBatch.from_arrays(
            [_large(stored.column(n)).combine_chunks() if n in _STORED_OUTPUT else worked_out.column(n).combine_chunks()
             for n in OUTPUT_COLUMNS], names=list(OUTPUT_COLUMNS))

    @property
    def table(self) -> pa.Table:
        """All the rows as one table (for small selections: a large one is written batch by batch)."""
        return pa.Table.from_batches(list(self.batches()))


def _increasing_runs(rows: np.ndarray, size: int) -> Iterator[tuple[int, int]]:
    """(start, stop) of pieces of `rows` of at most `size`, each piece increasing (train rows, then test rows)."""
    drops = np.flatnonzero(np.diff(rows) < 0) + 1
    bounds = [0, *drops.tolist(), len(rows)]
    for lo, hi in itertools.pairwise(bounds):
        for start in range(lo, hi, size):
            yield start, min(start + size, hi)


def read_selection(db_path: Path, sel: Selection, parts: int | None = None) -> Selected:
    """The pairs `sel` takes, with their lineage, filtered, split, and one row per lineage.

    Each query reads the store at its own moment: the caller holds the write lock meanwhile, so that no
    commit can land between them. The stored columns stay in the Arrow table connectorx made; polars
    works out the other columns and which rows go where.
    `parts`: how many id ranges the pairs are read in (default one per core for a large workspace).

    Only in a process with no sqlite3 connection to this store (see curator.versions.snapshot).
    """
    uri, statuses = store_uri(db_path), status_literals(sel.statuses)
    stored = _read_pairs(uri, statuses, parts)
    pairs = pl.from_arrow(stored.select(list(_KEY_COLUMNS)))
    assert isinstance(pairs, pl.DataFrame)
    with ThreadPoolExecutor(max_workers=2) as pool:  # each query runs in SQLite on its own thread, outside the GIL
        chunks_read = pool.submit(read_arrow, uri, chunks_sql(_id_list(pairs["chunk_id"])))
        reviews = read_arrow(uri, REVIEWS, {"pair_id": I, "review_decision": S, "reviewer": S, "reviewed_at": S,
                                             "latest": I}).drop("latest")
        flags = read_arrow(uri, FLAGS, {"pair_id": I, "flags": S})
        cue_times = read_arrow(uri, cue_times_sql(statuses),
                               {"pair_id": I, "evidence_time_start": F, "evidence_time_end": F})
        chunks = chunks_read.result()
    per_pair = (pairs.lazy().select("pair_id")
                .join(reviews.lazy(), on="pair_id", how="left", maintain_order="left")
                .join(flags.lazy(), on="pair_id", how="left", maintain_order="left")
                .join(cue_times.lazy(), on="pair_id", how="left", maintain_order="left")
                .collect())
    keep, judge_score, excluded, empty_ids = filter_mask(pairs.hstack([per_pair["flags"]]), sel)
    lineage = _lineage_columns(uri, pairs, chunks)
    groups = split_groups(pairs.select("lineage_id", "chunk_id").hstack(lineage.select("document_id", "source_id")),
                          sel.group_by)
    # Only the held-out pairs that go in pull their group into test: verify sees the version's rows alone.
    split = split_column(groups, pairs["held_out"].fill_null(0) * keep.cast(pl.Int64), sel.seed, sel.test_size)
    rows = _row_order(pairs.select("pair_id", "lineage_id").hstack([split]).with_row_index("row").filter(keep),
                      excluded)
    worked_out = (per_pair.drop("pair_id").hstack(lineage)
                  .hstack([judge_score, split, pairs["meta"].replace("{}", None)])  # no meta is null, not '{}'
                  .select(pl.all().gather(rows)).to_arrow(compat_level=pl.CompatLevel.oldest()))
    kept_chunks = pairs["chunk_id"].gather(rows).drop_nulls().unique()
    contexts = (chunks.lazy().select("chunk_id", "context").filter(pl.col("chunk_id").is_in(kept_chunks.implode()))
                .cast({"chunk_id": I, "context": S}).collect())
    return Selected(stored=stored, rows=rows.to_numpy().astype(np.int64), worked_out=worked_out, contexts=contexts,
                    excluded=excluded, empty_ids=empty_ids)


def _large(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text as large_string, the type polars, parquet and datasets agree on (connectorx gives 32-bit offsets)."""
    return column.cast(pa.large_string()) if column.type == pa.string() else column


def _row_order(candidates: pl.DataFrame, excluded: dict[str, int]) -> pl.Series:
    """`row` of the candidates to write: train then test, each in pair id order, and one row per lineage.

    The same item added twice shares a lineage id: its newest pair is the one kept.
    """
    if candidates["lineage_id"].is_duplicated().any():
        newest = candidates.sort("lineage_id", "pair_id").unique(subset="lineage_id", keep="last")
        excluded["same_lineage_as_newer_pair"] = candidates.height - newest.height
        candidates = newest
    return candidates.sort("split", "pair_id", descending=[True, False])["row"]


def _read_pairs(uri: str, statuses: str, parts: int | None) -> pa.Table:
    """The pairs as stored, in id order; a large workspace's id range cut into one part per core, read on threads."""
    sql = pairs_sql(statuses)
    span = _read_table(uri, pair_span_sql(statuses)).to_pylist()[0]
    lo, hi, count = span["lo"], span["hi"], span["n"]
    if parts is None:
        parts = min(MAX_PARTS, os.cpu_count() or 1) if count >= PARALLEL_MIN_PAIRS else 1
    if parts <= 1 or not count:
        return _read_table(uri, sql + " ORDER BY id")
    step = (hi + 1 - lo) // parts + 1
    ranges = [(start, min(start + step, hi + 1)) for start in range(lo, hi + 1, step)]
    with ThreadPoolExecutor(max_workers=len(ranges)) as pool:  # connectorx leaves Python's lock while it reads
        parts_read = pool.map(lambda r: _read_table(uri, f"{sql} AND id >= {r[0]} AND id < {r[1]} ORDER BY id"), ranges)
        return pa.concat_tables(parts_read)


def _lineage_columns(uri: str, pairs: pl.DataFrame, chunks: pl.DataFrame) -> pl.DataFrame:
    """Chunk span, document and source of each pair (joined on the key columns only, in pair order)."""
    documents = read_arrow(uri, DOCUMENTS)
    sources = read_arrow(uri, SOURCES)
    unnamed = pairs.filter(pl.col("model").is_null() | pl.col("prompt_version").is_null())["llm_call_id"]
    calls = read_arrow(uri, calls_sql(_id_list(unnamed)))
    keys = pairs.select("chunk_id", "pair_document_id", "pair_source_id", "llm_call_id", "model", "prompt_version")
    return (keys.lazy()
            .join(chunks.lazy(), on="chunk_id", how="left", maintain_order="left")
            .with_columns(document_id=pl.coalesce("pair_document_id", "chunk_document_id"))
            .join(documents.lazy(), on="document_id", how="left", maintain_order="left")
            .with_columns(source_id=pl.coalesce("pair_source_id", "document_source_id"))
            .join(sources.lazy(), on="source_id", how="left", maintain_order="left")
            .join(calls.lazy(), on="llm_call_id", how="left", maintain_order="left")
            .select("char_start", "char_end", "time_start", "time_end", "document_id", "document_uri",
                    "document_kind", "source_id", "source_uri", "source_kind",
                    model=pl.coalesce("model", "call_model"),
                    prompt_version=pl.coalesce("prompt_version", "call_prompt_version"))
            .collect())


def filter_mask(frame: pl.DataFrame, sel: Selection) -> tuple[pl.Series, pl.Series, dict[str, int], list[int]]:
    """(which rows pass, each row's judge score, how many each rule left out, ids of empty pairs)."""
    flags = (frame.select("pair_id", "flags").with_row_index("row").filter(pl.col("flags").is_not_null())
             .with_columns(pl.col("flags").str.json_decode(FLAG_LIST)).explode("flags").unnest("flags"))
    excluding = flags.filter(pl.col("kind").is_in(list(sel.exclude_flags))
                             | ((pl.col("kind") == "judge") & (pl.col("score") < sel.judge_min_quality)))
    excluded = {f"flag:{kind}": n for kind, n in
                excluding.group_by("kind").agg(pl.col("pair_id").n_unique()).sort("kind").iter_rows()}
    judge = flags.filter(pl.col("kind") == "judge").group_by("row").agg(pl.col("score").last())
    scores = np.full(frame.height, np.nan)
    scores[judge["row"].to_numpy()] = judge["score"].fill_null(np.nan).to_numpy()
    empty = frame.select((pl.col("question").str.strip_chars() == "")
                         | (pl.col("answer").str.strip_chars() == "")).to_series().to_numpy()
    empty_ids = sorted(frame["pair_id"].to_numpy()[empty].tolist())
    if empty_ids:
        excluded["empty_question_or_answer"] = len(empty_ids)
    keep = ~empty
    keep[excluding["row"].to_numpy()] = False
    if sel.held_out_policy == "exclude":
        held_out = frame["held_out"].to_numpy() != 0
        if (n := int((keep & held_out).sum())):
            excluded["held_out"] = n
        keep &= ~held_out
    return pl.Series(keep), pl.Series("judge_score", scores).fill_nan(None), excluded, empty_ids
