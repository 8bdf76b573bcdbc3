"""Which pairs go into a version, and reading one id range of them with their lineage.

One SQL query reads the pairs of the chosen statuses (accepted, and pending when
asked; never rejected or superseded) with their latest review decision and their
active flags as JSON. The chunk span, document and source of each pair come from
small tables joined in polars, and the filters are applied in polars too: pairs
with an excluding flag (config [version].exclude_flags, or a judge score under
[filters].judge_min_quality) and pairs with an empty question or answer stay out.
Doing that work column-wise instead of per row in SQL keeps a million pairs fast.
Rows are fetched in batches and each batch becomes a polars frame at once, so
they never sit in memory as Python tuples.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from curator.versions.identity import split_column

FETCH_BATCH = 50_000
I, F, S = pl.Int64, pl.Float64, pl.String

_CUES = ("(SELECT {agg}(q.{col}) FROM cues q WHERE q.document_id = c.document_id"
         " AND q.char_end > c.char_start + p.evidence_start AND q.char_start < c.char_start + p.evidence_end)")
# (column, SQL expression, type) read per pair. '+' on flag columns keeps SQLite on the flags_pair index; the
# flags come as JSON (null when a pair has none), and the filters are applied to them in polars. The commonest
# strings come as null or small integers (no Python object made per row) and are put back in read_part.
PAIR_COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("pair_id", "p.id", I), ("lineage_id", "p.lineage_id", S), ("revision", "p.revision", I),
    ("parent_id", "p.parent_id", I), ("question", "p.question", S), ("answer", "p.answer", S),
    ("evidence", "p.evidence", S), ("evidence_start", "p.evidence_start", I), ("evidence_end", "p.evidence_end", I),
    ("evidence_score", "p.evidence_score", F), ("origin", "p.origin", S), ("template", "p.template", S),
    ("language", "p.language", S), ("held_out", "p.held_out", I), ("status", "NULLIF(p.status, 'accepted')", S),
    ("status_reason", "p.status_reason", S), ("pair_source_id", "p.source_id", I),
    ("pair_document_id", "p.document_id", I), ("chunk_id", "p.chunk_id", I), ("llm_call_id", "p.llm_call_id", I),
    ("prompt_version", "p.prompt_version", S), ("model", "p.model", S),
    ("review_decision", "CASE r.action WHEN 'accept' THEN 1 WHEN 'reject' THEN 2 END", I), ("reviewer", "r.actor", S), ("reviewed_at", "r.created_at", S),
    ("flags", ("(SELECT CASE WHEN count(*) THEN json_group_array(json_object('kind', f.kind, 'score', f.score,"
               " 'reason', f.reason)) END FROM flags f WHERE f.pair_id = p.id AND +f.active = 1)"), S),
    ("evidence_time_start", (f"CASE WHEN c.time_start IS NOT NULL AND p.evidence_start IS NOT NULL THEN "
                             f"{_CUES.format(agg='MIN', col='time_start')} END"), F),
    ("evidence_time_end", (f"CASE WHEN c.time_start IS NOT NULL AND p.evidence_start IS NOT NULL THEN "
                           f"{_CUES.format(agg='MAX', col='time_end')} END"), F),
    ("meta", "NULLIF(p.meta, '{}')", S), ("created_at", "p.created_at", S), ("updated_at", "p.updated_at", S),
)
# The layout of data.parquet (schemas/qa_record.schema.json describes each column).
OUTPUT_COLUMNS = (
    "pair_id", "lineage_id", "revision", "parent_id", "question", "answer", "evidence", "evidence_start",
    "evidence_end", "evidence_score", "origin", "template", "language", "held_out", "split", "status",
    "status_reason", "source_id", "source_uri", "source_kind", "document_id", "document_uri", "document_kind",
    "chunk_id", "char_start", "char_end", "time_start", "time_end", "evidence_time_start", "evidence_time_end",
    "llm_call_id", "prompt_version", "model", "review_decision", "reviewer", "reviewed_at", "judge_score",
    "flags", "meta", "created_at", "updated_at",
)
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

    @property
    def statuses(self) -> tuple[str, ...]:
        return ("accepted", "pending") if self.include_pending else ("accepted",)

    def describe(self) -> dict[str, Any]:
        return {"statuses": list(self.statuses), "exclude_flags": list(self.exclude_flags),
                "judge_min_quality": self.judge_min_quality, "held_out": self.held_out_policy}


def marks(values: tuple[Any, ...]) -> str:
    return ", ".join("?" * len(values)) or "NULL"


def _pair_query(sel: Selection) -> tuple[str, list[Any]]:
    select = ",\n  ".join(f"{expr} AS {name}" for name, expr, _ in PAIR_COLUMNS)
    sql = (f"SELECT\n  {select}\nFROM qa_pairs p\n"
           "LEFT JOIN chunks c ON c.id = p.chunk_id\n"
           "LEFT JOIN reviews r ON r.id = (SELECT MAX(v.id) FROM reviews v WHERE v.pair_id = p.id"
           " AND v.action IN ('accept', 'reject'))\n"
           f"WHERE p.status IN ({marks(sel.statuses)}) AND p.id >= ? AND p.id < ?")
    return sql, list(sel.statuses)


def flagged_pair_ids(conn: sqlite3.Connection, exclude_flags: list[str], judge_min_quality: float) -> list[int]:
    """Pairs that an active flag keeps out of versions, whatever their review status."""
    kinds = tuple(exclude_flags)
    rows = conn.execute(f"SELECT DISTINCT pair_id FROM flags WHERE active = 1 AND (kind IN ({marks(kinds)})"
                        " OR (kind = 'judge' AND score < ?))", [*kinds, judge_min_quality])
    return [r[0] for r in rows]


def lookup(conn: sqlite3.Connection, sql: str, params: list[Any], schema: dict[str, Any]) -> pl.DataFrame:
    rows = conn.execute(sql, params).fetchall()
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def _read_pairs(conn: sqlite3.Connection, sel: Selection, lo: int, hi: int) -> pl.DataFrame:
    sql, params = _pair_query(sel)
    schema = {name: typ for name, _, typ in PAIR_COLUMNS}
    cursor = conn.execute(sql, [*params, lo, hi])
    frames = []
    while rows := cursor.fetchmany(FETCH_BATCH):
        frames.append(pl.DataFrame(rows, schema=schema, orient="row"))
    return pl.concat(frames) if frames else pl.DataFrame(schema=schema)


def rows_by_id(conn: sqlite3.Connection, select: str, ids: pl.Series, schema: dict[str, Any]) -> pl.DataFrame:
    """`select` (ending in WHERE) for exactly these ids, passed as one JSON array instead of a subquery."""
    wanted = ids.drop_nulls().unique()
    if wanted.is_empty():
        return pl.DataFrame(schema=schema)
    return lookup(conn, f"{select} id IN (SELECT value FROM json_each(?))", [json.dumps(wanted.to_list())], schema)


def _lineage_columns(conn: sqlite3.Connection, pairs: pl.DataFrame) -> pl.DataFrame:
    """Chunk span, document and source of each pair (joined on the key columns only, in pair order)."""
    chunks = rows_by_id(conn, "SELECT id, document_id, char_start, char_end, time_start, time_end FROM chunks WHERE",
                         pairs["chunk_id"], {"chunk_id": I, "chunk_document_id": I, "char_start": I, "char_end": I,
                                             "time_start": F, "time_end": F})
    documents = rows_by_id(conn, "SELECT id, source_id, uri, kind FROM documents WHERE",
                            pl.concat([pairs["pair_document_id"], chunks["chunk_document_id"]]),
                            {"document_id": I, "document_source_id": I, "document_uri": S, "document_kind": S})
    sources = lookup(conn, "SELECT id, uri, kind FROM sources", [], {"source_id": I, "source_uri": S, "source_kind": S})
    unnamed = pairs.filter(pl.col("model").is_null() | pl.col("prompt_version").is_null())["llm_call_id"]
    calls = rows_by_id(conn, "SELECT id, model, prompt_version FROM llm_calls WHERE", unnamed,
                        {"llm_call_id": I, "call_model": S, "call_prompt_version": S})
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


@dataclass
class Part:
    """The rows of one id range that pass the filters, split, and why the others were left out."""

    train: pl.DataFrame
    test: pl.DataFrame
    excluded: dict[str, int]
    empty_ids: list[int]


def read_part(conn: sqlite3.Connection, sel: Selection, lo: int, hi: int) -> Part:
    """Pairs with lo <= id < hi: read with their lineage, filtered, and split (in OUTPUT_COLUMNS layout)."""
    pairs = _read_pairs(conn, sel, lo, hi).with_columns(
        pl.col("status").fill_null("accepted"),
        pl.col("review_decision").replace_strict({1: "accept", 2: "reject"}, default=None, return_dtype=pl.String))
    keep, judge_score, excluded, empty_ids = filter_mask(pairs, sel)
    frame = (pairs.drop("model", "prompt_version").hstack(_lineage_columns(conn, pairs))
             .with_columns(judge_score, split_column(pairs["lineage_id"], pairs["held_out"], sel.seed, sel.test_size))
             .select(OUTPUT_COLUMNS))
    # One filter per split: the only copies of the rows made here.
    return Part(train=frame.filter(keep & (frame["split"] == "train")),
                test=frame.filter(keep & (frame["split"] == "test")), excluded=excluded, empty_ids=empty_ids)


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
