"""Pass or fail, derived from a stored measurement and today's [filters] limits.

One function decides for every kind, used when a run writes its flags, when the
flags are re-derived after a limit moved (`redecide`), and when failing pairs are
listed. Lengths are decided from the pairs themselves (a length is always known),
so a tighter limit catches pairs no run recorded.
"""

from __future__ import annotations

from typing import Any

from curator.filters.settings import FilterSettings

LENGTH_RULES = ("question_too_short", "question_too_long", "answer_too_short", "answer_too_long")


def fails(kind: str, score: float | None, details: dict[str, Any], s: FilterSettings) -> bool:
    """Whether a measurement of `kind` makes its pair fail under the settings' limits."""
    if kind == "duplicate":
        return True
    if kind in ("near_duplicate", "conflict", "contamination"):
        return score is not None and score >= s.fuzzy_cutoff
    if kind == "semantic_duplicate":
        return score is not None and score >= s.semantic_threshold
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


WHITESPACE = " \t\n\r"  # what lengths are trimmed of, in Python and in SQL alike (curator.store.pairs)
