"""Rule filters: cheap checks on each pair, each flag with its rule, its measured value and a reason.

Rules: length bounds per field; empty or placeholder answers; an answer equal to or
contained in its question as whole words ("Tunis" is not in "Tunisia") (not for multiple-choice questions, whose options hold the
answer); questions that are not self-contained ("according to the text", "이 글에
따르면"); an answer repeating itself; boilerplate phrases in answers; personal data;
control characters. Lengths and repetition are stored with their measured value, so
moving a limit re-decides them without running the rules again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from curator.filters.normalize import normalize
from curator.filters.pair_pool import PairPool
from curator.filters.personal import find_personal_data
from curator.filters.results import FilterOutput, ScoreRow
from curator.filters.settings import FilterSettings
from curator.filters.words import PARTICLES

RULE_KINDS = ("rule",)
LENGTH_RULES = ("question_too_short", "question_too_long", "answer_too_short", "answer_too_long")
WHITESPACE = " \t\n\r"  # what lengths are trimmed of, in Python and in SQL alike (curator.store.pairs)
REPETITION_FLOOR = 0.25  # repetition at or above this is recorded, whatever the current limit
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_OPTION_MARKS = re.compile(r"(?:^|\s|[?.:)])(?:[1-9][.)]|\([1-9]\)|[①-⑨]|[a-e][.)])\s?\S", re.IGNORECASE)
_MIN_CONTAINED = 4  # answers shorter than this ("yes", "2") are found inside questions by chance


@dataclass
class RuleSet:
    """The settings' phrase lists compiled once."""

    settings: FilterSettings
    not_self_contained: re.Pattern | None
    boilerplate: re.Pattern | None
    placeholders: frozenset[str]

    @classmethod
    def build(cls, settings: FilterSettings) -> RuleSet:
        return cls(settings, _phrases(settings.not_self_contained_phrases), _phrases(settings.boilerplate_phrases),
                   frozenset(normalize(p) for p in settings.placeholder_answers))


# a Korean word (eojeol) may carry a particle after the term it holds: "서울은" holds "서울", "서울대" does not
_PARTICLE_TAIL = "(?:" + "|".join(PARTICLES) + ")?"


def whole_words(phrase: str) -> str:
    """A pattern finding `phrase` (normalized) only as whole words: never inside a longer word.

    "tunis" is not in "tunisia"; a phrase ending in Hangul may be followed by a particle.
    """
    tail = _PARTICLE_TAIL if phrase and "\uac00" <= phrase[-1] <= "\ud7a3" else ""
    head = r"(?<!\w)" if phrase[:1].isalnum() else ""
    end = r"(?!\w)" if phrase[-1:].isalnum() else ""
    return f"{head}{re.escape(phrase)}{tail}{end}"


def contains_words(text: str, phrase: str) -> bool:
    """Whether normalized `text` holds normalized `phrase` as whole words (a Korean particle may follow)."""
    return bool(phrase) and phrase in text and re.search(whole_words(phrase), text) is not None


def _phrases(phrases: Iterable[str]) -> re.Pattern | None:
    cleaned = sorted({normalize(p) for p in phrases if normalize(p)}, key=len, reverse=True)
    return re.compile("|".join(whole_words(p) for p in cleaned)) if cleaned else None


def repetition(text: str) -> float:
    """Share of the answer's word trigrams (character 6-grams for text without spaces) that repeat an earlier one."""
    words = text.split()
    if len(words) >= 8:
        grams = list(zip(words, words[1:], words[2:]))
    elif len(text) >= 40:
        grams = [text[i:i + 6] for i in range(len(text) - 5)]
    else:
        return 0.0
    return 1.0 - len(set(grams)) / len(grams)


def length_findings(question: str, answer: str, s: FilterSettings) -> list[tuple[str, float | None, str, dict]]:
    """The length rules a pair breaks: characters of each field, surrounding whitespace not counted."""
    found: list[tuple[str, float | None, str, dict]] = []
    for field, text, low, high in (("question", question, s.min_question_chars, s.max_question_chars),
                                   ("answer", answer, s.min_answer_chars, s.max_answer_chars)):
        n = len(text.strip(WHITESPACE))
        if n < low:
            found.append((f"{field}_too_short", float(n), f"{field} has {n} characters, under the minimum of {low}",
                          {"rule": f"{field}_too_short", "field": field, "value": n, "limit": low}))
        elif n > high:
            found.append((f"{field}_too_long", float(n), f"{field} has {n} characters, over the maximum of {high}",
                          {"rule": f"{field}_too_long", "field": field, "value": n, "limit": high}))
    return found


def check_pair(rules: RuleSet, question: str, answer: str, origin: str = "") -> list[tuple[str, float | None, str, dict]]:
    """(rule, score, reason, details) for every rule the pair breaks."""
    s = rules.settings
    found = length_findings(question, answer, s)
    q_norm, a_norm = normalize(question), normalize(answer)
    if not a_norm.strip(" .?!-…"):
        found.append(("empty_answer", None, "the answer is empty", {"field": "answer"}))
    elif a_norm in rules.placeholders:
        found.append(("placeholder_answer", None, f"the answer is a placeholder ({answer.strip()[:40]!r})",
                      {"field": "answer"}))
    if a_norm and a_norm == q_norm:
        found.append(("answer_is_question", None, "the answer repeats the question", {"field": "answer"}))
    elif (len(a_norm) >= _MIN_CONTAINED and contains_words(q_norm, a_norm.rstrip(".!。")) and origin != "exam"
          and len(_OPTION_MARKS.findall(q_norm)) < 2):
        found.append(("answer_in_question", None, "the question already contains the answer", {"field": "answer"}))
    if rules.not_self_contained and (m := rules.not_self_contained.search(q_norm)):
        reason = f"the question refers to a text the reader does not have ({m.group()!r})"
        found.append(("not_self_contained", None, reason, {"field": "question", "phrase": m.group()}))
    rep = repetition(a_norm)
    if rep >= min(REPETITION_FLOOR, s.max_answer_repetition):
        found.append(("repetitive_answer", round(rep, 3), f"{rep:.0%} of the answer repeats itself",
                      {"field": "answer", "value": round(rep, 3), "limit": s.max_answer_repetition}))
    if rules.boilerplate and (m := rules.boilerplate.search(a_norm)):
        found.append(("boilerplate", None, f"the answer contains boilerplate ({m.group()!r})",
                      {"field": "answer", "phrase": m.group()}))
    if s.personal_data:
        for field, text in (("question", question), ("answer", answer)):
            hits = find_personal_data(normalize_keep_case(text))
            if hits:
                kinds = sorted({k for k, _ in hits})
                found.append(("personal_data", None, f"the {field} contains personal data: "
                              + ", ".join(f"{k} {v}" for k, v in hits[:3]), {"field": field, "kinds": kinds}))
    for field, text in (("question", question), ("answer", answer)):
        if _CONTROL.search(text):
            found.append(("control_characters", None, f"the {field} contains control characters",
                          {"field": field}))
    return found


def normalize_keep_case(text: str) -> str:
    """NFKC only (full-width digits and @ become plain), for patterns that care about layout."""
    return unicodedata.normalize("NFKC", text)


def rules_output(pool: PairPool, settings: FilterSettings, *, mask: np.ndarray | None = None) -> FilterOutput:
    """Rule flags for the pairs of `pool` (all of them, or those where `mask` is true)."""
    rules = RuleSet.build(settings)
    out = FilterOutput(kinds=RULE_KINDS)
    by_rule: dict[str, int] = {}
    for k, (pid, q, a, origin) in enumerate(zip(pool.ids.tolist(), pool.question, pool.answer, pool.origin.tolist())):
        if mask is not None and not mask[k]:
            continue
        for rule, score, reason, details in check_pair(rules, q, a, origin):
            out.scores.append(ScoreRow(pid, "rule", score, reason, {"rule": rule, **details}))
            by_rule[rule] = by_rule.get(rule, 0) + 1
    out.counts = {"measured": len(out.scores), **{f"rule:{r}": n for r, n in sorted(by_rule.items())}}
    return out
