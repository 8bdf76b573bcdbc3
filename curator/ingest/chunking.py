"""Cutting stored documents into chunks for the extraction prompt, each with its character span.

Prose is packed sentence by sentence up to `[chunking].target_tokens`,
preferring to end a chunk where a paragraph ends; a chunk cut inside a
paragraph repeats up to `overlap_tokens` of its last sentences at the start of
the next one so no sentence loses its context. Transcripts with cues are cut
into time windows of about `transcript_window_s` seconds, again on sentence
boundaries, and each chunk keeps the start and end time of the speech it holds.
Structured records (glossary entries, exam items, imported QA) become one chunk
marked 'skipped': their pairs come from the deterministic formatters, and the
chunk is there so review can show the record a pair came from.
"""

from __future__ import annotations

import bisect
import sqlite3
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from curator.ingest.segment import Span, estimate_tokens, sentence_units, sentences
from curator.store.catalog import add_chunk, cue_spans, get_document, has_chunks, set_chunk_status

STRUCTURED_KINDS = ("glossary_entry", "exam_item", "qa_item")
_DEFAULTS = {"target_tokens": 400, "overlap_tokens": 40, "transcript_window_s": 90}


@dataclass(frozen=True)
class ChunkPlan:
    start: int
    end: int
    tokens: int
    time_start: float | None = None
    time_end: float | None = None


def chunk_document(conn: sqlite3.Connection, document_id: int, config: dict[str, Any]) -> int:
    """Create the chunks of one stored document and return how many were created.

    `config` is the workspace config (`ws.config`) or just its `[chunking]`
    table. Call it inside the caller's transaction, right after adding the
    document. A document that already has chunks gets none added (0 is
    returned), so calling it twice is harmless.
    """
    if has_chunks(conn, document_id):
        return 0
    doc = get_document(conn, document_id)
    if doc is None:
        raise KeyError(f"no document with id {document_id}")
    settings = {**_DEFAULTS, **config.get("chunking", config)}
    text = doc["content"]
    if doc["kind"] in STRUCTURED_KINDS:
        if not text.strip():
            return 0
        chunk_id = add_chunk(conn, document_id, 0, text, 0, len(text), estimate_tokens(text))
        set_chunk_status(conn, chunk_id, "skipped")
        return 1
    cues = _load_cues(conn, document_id)
    if cues:
        plans = plan_transcript_chunks(text, cues, settings["transcript_window_s"], settings["target_tokens"])
    else:
        plans = plan_text_chunks(text, settings["target_tokens"], settings["overlap_tokens"])
    for seq, p in enumerate(plans):
        add_chunk(conn, document_id, seq, text[p.start:p.end], p.start, p.end, p.tokens,
                  time_start=p.time_start, time_end=p.time_end)
    return len(plans)


def plan_text_chunks(text: str, target_tokens: int, overlap_tokens: int) -> list[ChunkPlan]:
    """Chunk spans for prose: sentences packed up to target_tokens, cut at paragraph ends where possible."""
    units = sentences(text, target_tokens)
    starts, ends, paragraphs = units.starts, units.ends, units.paragraphs
    # Running token totals (tokens of units[:k] at k) and the units that open a paragraph turn each step of
    # the packing below into a binary search instead of a walk over the sentences.
    total = [0, *accumulate(units.tokens)]
    opens_paragraph = [k for k in range(1, len(units)) if paragraphs[k] != paragraphs[k - 1]]
    plans: list[ChunkPlan] = []
    i, n = 0, len(units)
    while i < n:
        j = max(i + 1, bisect.bisect_right(total, total[i] + target_tokens) - 1)
        at_paragraph = j == n or paragraphs[j] != paragraphs[j - 1]
        if not at_paragraph:
            last_open = bisect.bisect_left(opens_paragraph, j) - 1
            if last_open >= 0:
                m = opens_paragraph[last_open]
                if m > i and total[m] - total[i] >= target_tokens // 2:
                    j, at_paragraph = m, True
        if j < n and j - 1 > i and text.startswith("#", starts[j - 1]):
            j -= 1  # a Markdown heading belongs with the text after it, not at the end of a chunk
        plans.append(ChunkPlan(starts[i], ends[j - 1], units.tokens_between(starts[i], ends[j - 1])))
        if j >= n:
            break
        # a cut inside a paragraph repeats the last sentences that fit in overlap_tokens
        i = j if at_paragraph else min(j, max(i + 1, bisect.bisect_left(total, total[j] - overlap_tokens)))
    return plans


def plan_transcript_chunks(text: str, cues: list[dict[str, Any]], window_s: float,
                           target_tokens: int) -> list[ChunkPlan]:
    """Chunk spans for a transcript: sentences grouped into windows of about window_s seconds.

    A sentence's times come from the cues it starts and ends in (see
    `time_at`). A window also closes at twice target_tokens, so
    fast speech never overflows the extraction prompt.
    """
    units = sentence_units(text, target_tokens)
    starts = [c["char_start"] for c in cues]
    plans: list[ChunkPlan] = []
    group: list[Span] = []
    t0 = t1 = 0.0
    for u in units:
        us, ue = time_at(cues, u.start, starts), time_at(cues, u.end, starts)
        tokens = sum(g.tokens for g in group)
        if group and (max(ue, t1) - t0 > window_s or tokens + u.tokens > 2 * target_tokens):
            plans.append(_plan(text, group, t0, t1))
            group = []
        if not group:
            t0, t1 = us, ue
        group.append(u)
        t1 = max(t1, ue)
    if group:
        plans.append(_plan(text, group, t0, t1))
    return plans


def time_at(cues: list[dict[str, Any]], offset: int, starts: list[int] | None = None) -> float:
    """The time at a character offset of a transcript, interpolated inside its cue.

    A cue often holds the end of one sentence and the start of the next;
    interpolating by characters places each sentence at about its own second
    instead of at the cue's start.
    """
    starts = starts if starts is not None else [c["char_start"] for c in cues]
    cue = cues[max(0, bisect.bisect_right(starts, offset) - 1)]
    span = cue["char_end"] - cue["char_start"]
    if span <= 0 or offset <= cue["char_start"]:
        return cue["time_start"]
    share = min(1.0, (offset - cue["char_start"]) / span)
    return round(cue["time_start"] + share * (cue["time_end"] - cue["time_start"]), 3)


def _plan(text: str, group: list[Span], t0: float | None = None, t1: float | None = None) -> ChunkPlan:
    start, end = group[0].start, group[-1].end
    return ChunkPlan(start, end, estimate_tokens(text[start:end]), t0, t1)


def _load_cues(conn: sqlite3.Connection, document_id: int) -> list[dict[str, Any]]:
    return cue_spans(conn, document_id)
