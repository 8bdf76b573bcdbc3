"""How far to trust the LLM judge: its verdicts against reviewers' decisions, and the review queue by doubt.

**Calibration.** Where a person accepted or rejected a pair (their latest
decision, not undone) that the judge also scored (its current verdict), the
judge's pass/fail under today's `[filters]` limits is compared with the person's
accept/reject: a 2x2 confusion table, raw agreement, Cohen's kappa (chance
agreement from each rater's own rates) and Scott's pi (chance agreement from the
pooled rates). Every quality threshold from 1 to 11 is tried the same way, and the
one whose verdicts agree best with the reviewers (highest kappa; ties go to the
threshold closest to the current one) is proposed.

**Most uncertain first.** A pending pair is uncertain when the signals about it
disagree or sit on a limit: the judge's verdict against the decisions people made
on similar pairs (members of its duplicate cluster); the judge passing it while a
rule or moderation flag fails it (or the reverse); an `eval_low` flag (the trained
model still gets it wrong); a dedup conflict (same question, other answer); a
judge quality, a similarity or a rule measurement within a step of its limit.
Each signal adds a weight; pairs with more doubt come first, the rest after them
in id order, so a reviewer's time goes where the machines are unsure.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from curator.filters.rules import LENGTH_RULES
from curator.filters.settings import FilterSettings
from curator.filters.verdicts import fails, judge_fails
from curator.store.flags import DUPLICATE_KINDS, FLAG_KIND, active_kinds_of_pairs
from curator.store.measurements import cluster_keepers, current_scores_except, current_scores_of_kind
from curator.store.pairs import pair_ids_with_status
from curator.store.review_queries import latest_human_decisions

THRESHOLDS = tuple(range(1, 12))  # quality >= t passes; 11 fails every pair, 1 passes every quality
DECISIONS = ("accept", "reject")


def cohen_kappa(table: list[list[int]]) -> float | None:
    """Cohen's kappa of a square confusion table (rows: one rater, columns: the other); None when undefined."""
    n = sum(map(sum, table))
    if n == 0:
        return None
    k = len(table)
    observed = sum(table[i][i] for i in range(k)) / n
    rows = [sum(table[i]) / n for i in range(k)]
    cols = [sum(table[r][i] for r in range(k)) / n for i in range(k)]
    expected = sum(r * c for r, c in zip(rows, cols))
    return None if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def scott_pi(table: list[list[int]]) -> float | None:
    """Scott's pi of a square confusion table: chance agreement from the two raters' pooled category rates."""
    n = sum(map(sum, table))
    if n == 0:
        return None
    k = len(table)
    observed = sum(table[i][i] for i in range(k)) / n
    pooled = [(sum(table[i]) + sum(table[r][i] for r in range(k))) / (2 * n) for i in range(k)]
    expected = sum(p * p for p in pooled)
    return None if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def agreement(table: list[list[int]]) -> dict[str, Any]:
    n = sum(map(sum, table))
    r = lambda v: None if v is None else round(v, 4)
    return {"n": n, "agreement": r(sum(table[i][i] for i in range(len(table))) / n) if n else None,
            "cohen_kappa": r(cohen_kappa(table)), "scott_pi": r(scott_pi(table))}


def reviewer_decisions(conn: sqlite3.Connection) -> dict[int, str]:
    """Each pair's latest accept or reject by a person (not undone): pair id -> 'accept' | 'reject'."""
    return latest_human_decisions(conn)


def judge_verdicts(conn: sqlite3.Connection) -> dict[int, tuple[float | None, dict[str, Any]]]:
    """The judge's current score and details of every judged pair."""
    return {pid: (score, details) for pid, (score, _reason, details) in current_scores_of_kind(conn, "judge").items()}


@dataclass
class Calibration:
    judged: int
    decided: int
    both: int
    threshold: int
    table: list[list[int]]  # rows: reviewer accept, reject; columns: judge pass, fail
    scores: dict[str, Any]
    sweep: list[dict[str, Any]] = field(default_factory=list)
    proposed: dict[str, Any] | None = None
    pairs: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"judged": self.judged, "decided": self.decided, "both": self.both,
                "current_threshold": self.threshold,
                "confusion": {"rows": "reviewer accept, reject", "columns": "judge pass, fail", "table": self.table},
                **self.scores, "sweep": self.sweep, "proposed": self.proposed}


def _table(items: list[tuple[str, bool]]) -> list[list[int]]:
    table = [[0, 0], [0, 0]]
    for decision, passed in items:
        table[0 if decision == "accept" else 1][0 if passed else 1] += 1
    return table


def calibrate(conn: sqlite3.Connection, settings: FilterSettings) -> Calibration:
    decisions = reviewer_decisions(conn)
    verdicts = judge_verdicts(conn)
    common = sorted(set(decisions) & {p for p, (_, d) in verdicts.items() if not d.get("error")})
    current = [(decisions[p], not judge_fails(verdicts[p][0], verdicts[p][1], settings)) for p in common]
    table = _table(current)
    result = Calibration(judged=len(verdicts), decided=len(decisions), both=len(common),
                         threshold=int(settings.judge_min_quality), table=table, scores=agreement(table),
                         pairs=[{"pair_id": p, "reviewer": decisions[p], "quality": verdicts[p][0]} for p in common])
    if not common:
        return result
    for t in THRESHOLDS:
        trial = replace(settings, judge_min_quality=t)
        t_table = _table([(decisions[p], not judge_fails(verdicts[p][0], verdicts[p][1], trial)) for p in common])
        result.sweep.append({"threshold": t, "table": t_table, **agreement(t_table)})
    scored = [s for s in result.sweep if s["cohen_kappa"] is not None]
    if scored:
        best = max(scored, key=lambda s: (s["cohen_kappa"], s["agreement"], -abs(s["threshold"] - result.threshold)))
        result.proposed = {"threshold": best["threshold"], "cohen_kappa": best["cohen_kappa"],
                           "scott_pi": best["scott_pi"], "agreement": best["agreement"],
                           "setting": f"[filters] judge_min_quality = {best['threshold']}"}
    return result


# --- most uncertain first -------------------------------------------------------------------------------------

WEIGHTS = {"judge_vs_similar": 2.0, "judge_vs_rules": 1.5, "eval_low": 1.5, "conflict": 1.0,
           "judge_near_limit": 0.75, "near_limit": 0.5}


@dataclass
class Doubt:
    pair_id: int
    score: float
    signals: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"pair_id": self.pair_id, "uncertainty": round(self.score, 3), "signals": self.signals}


def _near_limit(kind: str, score: float | None, details: dict[str, Any], s: FilterSettings) -> str | None:
    """A measurement within a small step of the limit that decides it, described; else None."""
    if score is None and kind != "rule":
        return None
    limit = FLAG_KIND[kind].limit if kind in FLAG_KIND else None
    if limit == "fuzzy_cutoff" and abs(score - s.fuzzy_cutoff) <= 3.0:
        return f"{kind} similarity {score:.1f} near the cutoff {s.fuzzy_cutoff:g}"
    if limit == "semantic_threshold" and abs(score - s.semantic_threshold) <= 0.02:
        return f"semantic similarity {score:.3f} near the threshold {s.semantic_threshold:g}"
    if kind == "moderation" and abs(score - s.moderation_threshold) <= 0.1:
        return f"moderation score {score:.2f} near {s.moderation_threshold:g}"
    if kind == "rule":
        rule, value = details.get("rule"), details.get("value")
        if rule == "repetitive_answer" and score is not None and abs(score - s.max_answer_repetition) <= 0.1:
            return f"answer repetition {score:.2f} near {s.max_answer_repetition:g}"
        if rule in LENGTH_RULES and isinstance(value, (int, float)):
            limit = {"question_too_short": s.min_question_chars, "question_too_long": s.max_question_chars,
                     "answer_too_short": s.min_answer_chars, "answer_too_long": s.max_answer_chars}[rule]
            if abs(value - limit) <= max(2, 0.1 * limit):
                return f"{rule.replace('_', ' ')}: {value} characters, limit {limit}"
    return None


def uncertain_first(conn: sqlite3.Connection, settings: FilterSettings, *, status: str = "pending",
                    limit: int | None = None) -> list[Doubt]:
    """Pairs of `status` ('all' for every current pair), most uncertain first, then the rest in id order."""
    ids = pair_ids_with_status(conn, status)
    wanted = set(ids)
    signals: dict[int, list[tuple[str, str]]] = defaultdict(list)
    verdicts = {p: v for p, v in judge_verdicts(conn).items() if p in wanted and not v[1].get("error")}
    decisions = reviewer_decisions(conn)
    passed = {p: not judge_fails(q, d, settings) for p, (q, d) in verdicts.items()}
    for p, (quality, _) in verdicts.items():
        if quality is not None and abs(quality - settings.judge_min_quality) <= 1:
            near = f"judge quality {quality:g} next to the limit {settings.judge_min_quality}"
            signals[p].append(("judge_near_limit", near))
    failing_rules: dict[int, list[str]] = defaultdict(list)
    cluster_of: dict[int, set[int]] = defaultdict(set)
    members: dict[int, set[int]] = defaultdict(set)
    for pid, kind, score, details_text, cluster in current_scores_except(conn, "judge"):
        if cluster is not None and kind in DUPLICATE_KINDS:
            members[cluster].add(pid)
            cluster_of[pid].add(cluster)
        if pid not in wanted:
            continue
        details = json.loads(details_text or "{}")
        near = _near_limit(kind, score, details, settings)
        if near:
            signals[pid].append(("near_limit", near))
        if kind in ("rule", "moderation") and fails(kind, score, details, settings):
            failing_rules[pid].append(details.get("rule") or kind)
    for cluster_id, keeper in cluster_keepers(conn):
        if cluster_id in members:
            members[cluster_id].add(keeper)
            cluster_of[keeper].add(cluster_id)
    for pid, kind in active_kinds_of_pairs(conn, ("eval_low", "conflict")):
        if pid in wanted:
            signals[pid].append((kind, "the trained model still gets it wrong (eval_low)" if kind == "eval_low"
                                 else "another pair asks the same question with another answer"))
    for p, ok in passed.items():
        rules = failing_rules.get(p)
        if rules and ok:
            signals[p].append(("judge_vs_rules", f"the judge passes it, the rules fail it ({', '.join(rules)})"))
        neighbours = {m for c in cluster_of.get(p, ()) for m in members[c]} - {p}
        said = [decisions[m] for m in neighbours if m in decisions]
        if said:
            accepted = sum(d == "accept" for d in said)
            majority_ok = accepted * 2 >= len(said)
            if majority_ok != ok:
                why = (f"the judge {'passes' if ok else 'fails'} it; reviewers accepted {accepted} of {len(said)}"
                       " similar pairs")
                signals[p].append(("judge_vs_similar", why))
    doubts = [Doubt(p, sum(WEIGHTS[k] for k, _ in signals[p]), [text for _, text in signals[p]]) for p in ids]
    doubts.sort(key=lambda d: (-d.score, d.pair_id))
    return doubts[:limit] if limit else doubts


def order_by_doubt(conn: sqlite3.Connection, settings: FilterSettings, ids: Sequence[int], status: str
                   ) -> tuple[list[int], dict[int, Doubt]]:
    """`ids` (a review list of pairs of `status`) reordered most uncertain first, the rest keeping their order;
    and the doubt of each uncertain one (its signals say why), for the review app's "uncertain first" order."""
    doubts = [d for d in uncertain_first(conn, settings, status=status if status in ("pending", "accepted", "rejected")
                                         else "all") if d.score > 0]
    wanted = set(ids)
    first = [d for d in doubts if d.pair_id in wanted]
    ahead = {d.pair_id for d in first}
    return [d.pair_id for d in first] + [i for i in ids if i not in ahead], {d.pair_id: d for d in first}
