"""The statements a version reads the store with (curator.versions.query runs them through connectorx).

connectorx takes no parameters, so the ids and statuses a statement needs are written into its text
here, and only integers or the fixed status names ever are. connectorx types a column by its declared
type, which only a plain table column has: the pairs are read as stored, and what else a row needs
comes from small grouped queries whose first row is never null.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

STATUS_NAMES = ("accepted", "pending")  # the only statuses a version takes: safe to write into SQL as literals

# qa_pairs columns as stored, under the names the version uses.
_PAIR_SELECT = (
    "id AS pair_id, lineage_id, revision, parent_id, question, answer, evidence, evidence_start, evidence_end, "
    "evidence_score, origin, template, language, held_out, status, status_reason, source_id AS pair_source_id, "
    "document_id AS pair_document_id, chunk_id, llm_call_id, prompt_version, model, meta, created_at, updated_at")
# SQLite takes the bare columns of a group from the row that holds its MAX(id): the latest decision.
REVIEWS = ("SELECT pair_id, action AS review_decision, actor AS reviewer, created_at AS reviewed_at, "
           "MAX(id) AS latest FROM reviews WHERE action IN ('accept', 'reject') GROUP BY pair_id")
# Ordered by id inside each pair so the JSON lists a pair's flags in the order they were raised.
FLAGS = ("SELECT pair_id, json_group_array(json_object('kind', kind, 'score', score, 'reason', reason)) AS flags "
         "FROM (SELECT pair_id, kind, score, reason FROM flags WHERE active = 1 ORDER BY pair_id, id) "
         "GROUP BY pair_id")
# The cues a pair's evidence overlaps, for pairs from chunks with times (transcripts). Led by the documents
# that have cues, so a workspace without transcripts pays nothing for it.
_CUE_TIMES = ("SELECT p.id AS pair_id, MIN(q.time_start) AS evidence_time_start, MAX(q.time_end) AS evidence_time_end "
              "FROM (SELECT DISTINCT document_id FROM cues) d "
              "CROSS JOIN chunks c ON c.document_id = d.document_id "
              "CROSS JOIN qa_pairs p ON p.chunk_id = c.id "
              "CROSS JOIN cues q ON q.document_id = c.document_id "
              "AND q.char_end > c.char_start + p.evidence_start AND q.char_start < c.char_start + p.evidence_end "
              "WHERE c.time_start IS NOT NULL AND p.status IN ({statuses}) AND p.evidence_start IS NOT NULL "
              "GROUP BY p.id")
# The chunks of every candidate pair, with their text: the context of the rows that stay in.
_CHUNKS = ("SELECT id AS chunk_id, document_id AS chunk_document_id, char_start, char_end, time_start, time_end, "
           "text AS context FROM chunks WHERE id IN (SELECT value FROM json_each('[{ids}]')) ORDER BY id")
DOCUMENTS = ("SELECT id AS document_id, source_id AS document_source_id, uri AS document_uri, "
             "kind AS document_kind FROM documents")
SOURCES = "SELECT id AS source_id, uri AS source_uri, kind AS source_kind FROM sources"
_CALLS = ("SELECT id AS llm_call_id, model AS call_model, prompt_version AS call_prompt_version FROM llm_calls "
          "WHERE id IN (SELECT value FROM json_each('[{ids}]'))")


def status_literals(statuses: tuple[str, ...]) -> str:
    """The statuses as SQL literals, refusing any but STATUS_NAMES (they are written into the statement)."""
    if not statuses or not set(statuses) <= set(STATUS_NAMES):
        raise ValueError(f"a version takes pairs of the statuses {STATUS_NAMES}, not {statuses}")
    return ", ".join(f"'{s}'" for s in statuses)


def id_list(ids: Iterable[int]) -> str:
    """Ids written into a statement as the inside of a JSON array (integers only: connectorx takes no parameters)."""
    return ",".join(str(int(i)) for i in ids)


def pairs_sql(statuses: str) -> str:
    """The pairs of these statuses (from status_literals); callers add an id range and ORDER BY id."""
    return f"SELECT {_PAIR_SELECT} FROM qa_pairs WHERE status IN ({statuses})"


def pair_span_sql(statuses: str) -> str:
    """Lowest and highest id and count of those pairs, 0 when none (connectorx cannot type a NULL)."""
    return ("SELECT COALESCE(MIN(id), 0) AS lo, COALESCE(MAX(id), 0) AS hi, COUNT(*) AS n "
            f"FROM qa_pairs WHERE status IN ({statuses})")


def cue_times_sql(statuses: str) -> str:
    return _CUE_TIMES.format(statuses=statuses)


def chunks_sql(ids: str) -> str:
    """The chunks with these ids (from id_list), with their text."""
    return _CHUNKS.format(ids=ids)


def calls_sql(ids: str) -> str:
    """Model and prompt version of the LLM calls with these ids (from id_list)."""
    return _CALLS.format(ids=ids)


def marks(values: tuple[Any, ...]) -> str:
    return ", ".join("?" * len(values)) or "NULL"


def flagged_pair_ids(conn: sqlite3.Connection, exclude_flags: list[str], judge_min_quality: float) -> list[int]:
    """Pairs that an active flag keeps out of versions, whatever their review status."""
    kinds = tuple(exclude_flags)
    rows = conn.execute(f"SELECT DISTINCT pair_id FROM flags WHERE active = 1 AND (kind IN ({marks(kinds)})"
                        " OR (kind = 'judge' AND score < ?))", [*kinds, judge_min_quality])
    return [r[0] for r in rows]
