"""Verdicts: pass or fail of a stored measurement under today's [filters] limits, the pairs failing them,
and re-deriving the flags.

One function (`fails`) decides for every kind, used when a run writes its flags, when
the flags are re-derived after a limit moved (`redecide`), and when failing pairs are
listed (`failing_pairs`). Moving a limit in curator.toml changes what `failing_pairs`
reports at once; `redecide` rewrites the active flags (what reviews and versions read)
from the stored measurements in one transaction, without hashing, comparing or calling
a model again. Lengths are decided from the pairs themselves (a length is always known),
so a tighter limit catches pairs no run recorded.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from curator.filters.rules import LENGTH_RULES, length_findings
from curator.filters.settings import FilterSettings
from curator.store.connection import transaction
from curator.store.flags import FLAG_KIND, FLAG_KINDS, SIMILARITY_LIMITS, insert_flags, retire_flags
from curator.store.measurements import current_kinds, current_scores_of_pairs_in
from curator.store.pairs import pairs_outside_lengths, statuses_of


def fails(kind: str, score: float | None, details: dict[str, Any], s: FilterSettings) -> bool:
    """Whether a measurement of `kind` makes its pair fail under the settings' limits."""
    if kind == "duplicate":
        return True
    limit = FLAG_KIND[kind].limit if kind in FLAG_KIND else None
    if limit in SIMILARITY_LIMITS:  # near and semantic duplicates, conflicts, contamination
        return score is not None and score >= getattr(s, limit)
    if kind == "rule":
        rule = details.get("rule")
        if rule in LENGTH_RULES:
            return _length_fails(rule, details.get("value"), s)
        if rule == "repetitive_answer":
            return score is not None and score >= s.max_answer_repetition
        return True
    if kind == "moderation":
        return bool(details.get("flagged")) or (score is not None and score >= s.moderation_threshold)
    if kind == "judge":
        return judge_fails(score, details, s)
    return True


def judge_fails(quality: float | None, details: dict[str, Any], s: FilterSettings) -> bool:
    if details.get("error"):
        return False  # no verdict: nothing to hold against the pair
    if details.get("grounded") is False and details.get("has_source", True):
        return True
    if details.get("self_contained") is False:
        return True
    return quality is not None and quality < s.judge_min_quality


def _length_fails(rule: str, value: Any, s: FilterSettings) -> bool:
    if value is None:
        return True
    limits = {"question_too_short": (s.min_question_chars, -1), "question_too_long": (s.max_question_chars, 1),
              "answer_too_short": (s.min_answer_chars, -1), "answer_too_long": (s.max_answer_chars, 1)}
    limit, direction = limits[rule]
    return value < limit if direction < 0 else value > limit




def raises_flag(kind: str, score: float | None, details: dict[str, Any], settings: FilterSettings) -> bool:
    return kind == "judge" or fails(kind, score, details, settings)


SCORED_KINDS = tuple(k for k in FLAG_KINDS if k != "eval_low")  # eval_low comes from evaluations, not filters


def _length_rows(conn: sqlite3.Connection, settings: FilterSettings, statuses: tuple[str, ...]):
    rows = pairs_outside_lengths(conn, statuses, (settings.min_question_chars, settings.max_question_chars),
                                 (settings.min_answer_chars, settings.max_answer_chars))
    for pid, q, a in rows:
        for rule, score, reason, details in length_findings(q or "", a or "", settings):
            yield pid, score, reason, details


def failing_pairs(conn: sqlite3.Connection, settings: FilterSettings, *, include_accepted: bool = False,
                  kinds: tuple[str, ...] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
    """Pairs (pending, and accepted too if asked) that today's limits fail, with every reason, by pair id."""
    statuses = ("pending", "accepted") if include_accepted else ("pending",)
    found: dict[int, list[dict[str, Any]]] = {}
    for pid, kind, score, reason, cluster_id, details in current_scores_of_pairs_in(conn, statuses):
        info = json.loads(details) if details else {}
        if kind == "rule" and info.get("rule") in LENGTH_RULES:
            continue  # lengths are decided from the pairs themselves, below
        if (kinds is None or kind in kinds) and fails(kind, score, info, settings):
            found.setdefault(pid, []).append({"kind": kind, "score": score, "reason": reason,
                                              "cluster_id": cluster_id})
    if kinds is None or "rule" in kinds:
        for pid, score, reason, _details in _length_rows(conn, settings, statuses):
            found.setdefault(pid, []).append({"kind": "rule", "score": score, "reason": reason, "cluster_id": None})
    ids = sorted(found)[:limit] if limit else sorted(found)
    status = statuses_of(conn, ids)
    return [{"pair_id": pid, "status": status.get(pid), "reasons": found[pid]} for pid in ids]


def redecide(conn: sqlite3.Connection, settings: FilterSettings, *, run_id: int | None = None) -> dict[str, int]:
    """Rewrite the active flags of the scored kinds from the stored measurements under today's limits."""
    statuses = ("pending", "accepted")
    counts: dict[str, int] = {}
    with transaction(conn):
        have = current_kinds(conn)
        kinds = [k for k in SCORED_KINDS if k in have]
        if not kinds:
            return counts
        counts["retired"] = retire_flags(conn, kinds)
        rows = []
        for pid, kind, score, reason, cluster_id, details in current_scores_of_pairs_in(conn, statuses):
            info = json.loads(details) if details else {}
            if kind == "rule" and info.get("rule") in LENGTH_RULES:
                continue
            if raises_flag(kind, score, info, settings):
                rows.append((pid, kind, score, reason, cluster_id, details, run_id))
                counts[kind] = counts.get(kind, 0) + 1
        if "rule" in kinds:
            for pid, score, reason, details in _length_rows(conn, settings, statuses):
                rows.append((pid, "rule", score, reason, None, json.dumps(details, ensure_ascii=False), run_id))
                counts["rule"] = counts.get("rule", 0) + 1
        insert_flags(conn, rows)
    return counts
