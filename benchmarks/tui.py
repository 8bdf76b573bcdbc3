"""`curator bench tui`: open the review app headless on a generated workspace of N pairs and time it.

The workspace is written by SQLite itself (recursive CTEs inside one transaction):
20 sources, one document per 200 pairs, one chunk per 10 pairs (with transcript
times), pairs of all four origins and three states, one pair in 25 in a two-pair
near-duplicate cluster, one in five with a judge score, one in 97 flagged by the
evaluation, and one in 10,007 (at least 50 in all) holding the word "needle" for the text search. The
app is the one `curator review` opens (same factory), driven with Textual's Pilot;
the timings (benchmarks/tui_driver.py) are taken from the key press to the moment
the screen shows the result (list and detail pane filled, the decision committed).
"""

from __future__ import annotations

import asyncio
import resource
import tempfile
from pathlib import Path
from typing import Any

from curator.store import transaction
from curator.workspace import Workspace, init_workspace

_STAMP = "2026-01-01T00:00:00.000Z"
_WORDS = ("incoterms", "letter of credit", "bill of lading", "customs", "tariff", "origin", "container",
          "freight", "insurance", "warehouse", "supply chain", "invoice", "clearance", "FOB", "CIF",
          "통관", "원산지", "신용장", "선하증권", "관세", "물류", "보험", "수출", "수입", "창고")
SEARCH_WORD = "needle"


def _numbers(n: int) -> str:
    return f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {int(n)}) "


def generate_review_workspace(root: Path, n_pairs: int) -> Workspace:
    """A fresh workspace at `root` holding `n_pairs` pairs with sources, chunks, flags and clusters."""
    ws = init_workspace(root)
    conn = ws.connect()
    n_sources, n_docs, n_chunks = 20, max(1, n_pairs // 200), max(1, n_pairs // 10)
    needle = max(11, min(10_007, n_pairs // 50))  # at least 50 pairs hold the search word
    w = len(_WORDS)
    word = "(SELECT w FROM temp.bench_words WHERE k = ({}) % " + str(w) + ")"
    try:
        conn.execute("CREATE TEMP TABLE bench_words (k INTEGER PRIMARY KEY, w TEXT NOT NULL)")
        conn.executemany("INSERT INTO temp.bench_words VALUES (?, ?)", list(enumerate(_WORDS)))
        with transaction(conn):
            conn.execute("INSERT INTO sources (id, kind, uri, content_hash, doc_kind, created_at) "
                         + _numbers(n_sources) + "SELECT i + 1, 'file', printf('/bench/source-%02d.txt', i),"
                         " printf('%064d', i), 'transcript', ? FROM n", (_STAMP,))
            conn.execute("INSERT INTO documents (id, source_id, uri, kind, title, language, content, content_hash,"
                         " created_at) " + _numbers(n_docs) + "SELECT i + 1, i % 20 + 1, printf('/bench/doc-%d.txt',"
                         " i), 'transcript', printf('Lecture %d', i), 'en', printf('lecture %d', i),"
                         " printf('%064d', i), ? FROM n", (_STAMP,))
            conn.execute(
                "INSERT INTO chunks (id, document_id, seq, text, char_start, char_end, time_start, time_end,"
                " token_estimate, extract_status, created_at) " + _numbers(n_chunks)
                + f"SELECT i + 1, i % {n_docs} + 1, i, printf('In this part of the lecture we discuss %s and %s."
                f" The %s depends on the %s, and the %s is checked at %s before release.', {word.format('i')},"
                f" {word.format('i / 3')}, {word.format('i * 7')}, {word.format('i + 11')}, {word.format('i * 5')},"
                f" {word.format('i + 4')}), 0, 160, (i % 40) * 90.0, (i % 40) * 90.0 + 90.0, 40, 'done', ? FROM n",
                (_STAMP,))
            origin = "CASE i % 6 WHEN 3 THEN 'glossary' WHEN 4 THEN 'exam' WHEN 5 THEN 'import' ELSE 'llm' END"
            conn.execute(
                "INSERT INTO qa_pairs (id, lineage_id, question, answer, evidence, evidence_start, evidence_end,"
                " evidence_score, origin, language, source_id, document_id, chunk_id, status, status_reason,"
                " created_at, updated_at) " + _numbers(n_pairs)
                + f"SELECT i + 1, printf('bench%019d', i), printf('Q%d: what does %s mean for %s%s?', i,"
                f" {word.format('i * 7')}, {word.format('i / 25')}, CASE WHEN i % {needle} = {needle // 2} THEN ' ({SEARCH_WORD})'"
                f" ELSE '' END), printf('It means the %s is settled by the %s, as the %s requires; the %s then"
                f" follows from the %s (pair %d).', {word.format('i * 3')}, {word.format('i * 11 + 1')},"
                f" {word.format('i + 2')}, {word.format('i * 13')}, {word.format('i / 7')}, i),"
                " 'this part of the lecture we discuss', 3, 38, 97.0, " + origin + ", 'en', i % 20 + 1,"
                f" (i / 10) % {n_docs} + 1, i / 10 % {n_chunks} + 1, CASE i % 10 WHEN 8 THEN 'accepted' WHEN 9 THEN"
                " 'rejected' ELSE 'pending' END, CASE i % 10 WHEN 9 THEN 'off-topic' END, ?, ? FROM n",
                (_STAMP, _STAMP))
            conn.execute("INSERT INTO clusters (id, kind, keeper_id, keeper_by, created_at) "
                         + _numbers(n_pairs // 50 + 1) + "SELECT i + 1, 'near', i * 50 + 1, 'policy', ? FROM n"
                         f" WHERE i * 50 + 2 <= {n_pairs}", (_STAMP,))
            conn.execute("INSERT INTO flags (pair_id, kind, score, reason, cluster_id, created_at) "
                         + _numbers(n_pairs) + "SELECT i + 1, 'near_duplicate', 0.91, 'near duplicate of pair '"
                         " || (i / 50 * 50 + 1 + (i % 50 = 0)), i / 50 + 1, ? FROM n WHERE i % 50 < 2"
                         f" AND i / 50 * 50 + 2 <= {n_pairs}", (_STAMP,))
            conn.execute("INSERT INTO flags (pair_id, kind, score, reason, created_at) " + _numbers(n_pairs)
                         + "SELECT i + 1, 'judge', (i / 5 * 37) % 10 + 1, 'judge quality', ? FROM n WHERE i % 5 = 0",
                         (_STAMP,))
            conn.execute("INSERT INTO flags (pair_id, kind, score, reason, created_at) " + _numbers(n_pairs)
                         + "SELECT i + 1, 'eval_low', 0.2, 'low SemScore after training', ? FROM n"
                         " WHERE i % 97 = 0", (_STAMP,))
        conn.execute("ANALYZE")
    finally:
        conn.close()
    return ws


def run_tui_bench(n_pairs: int, *, workdir: Path | None = None, accepts: int = 60) -> dict[str, Any]:
    """Generate the workspace, drive the app, and return the figures `curator bench tui` prints."""
    with tempfile.TemporaryDirectory(prefix="curator-bench-tui-", dir=workdir) as tmp:
        ws = generate_review_workspace(Path(tmp) / "ws", n_pairs)
        from benchmarks.tui_driver import drive  # textual is loaded only to run the benchmark

        figures = asyncio.run(drive(ws, accepts, search_word=SEARCH_WORD))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"pairs": n_pairs, **figures, "peak_rss_mb": round(peak, 1)}
