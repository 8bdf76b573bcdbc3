"""Preference data from review: every correction a person made, as (prompt, chosen, rejected) with its lineage.

Three kinds of decision say "this answer is better than that one":

- `edit`: a person edited an answer. Chosen: the edited answer; rejected: the
  answer before. The prompt is the edited question (a question fix is a fix of
  the prompt too). Edits that left the answer as it was give nothing.
- `regenerate`: a person kept a regenerated pair over the pair it replaced
  (accepted it, or confirmed the regeneration). Only when both ask the same
  question (equal once normalized): a new pair that asks something else is a new
  pair, not a better answer.
- `keeper`: a person chose the keeper of a conflict (same question, different
  answers). Chosen: the keeper's answer; rejected: each other answer to the
  same question.

Rejects with a reason and no better answer (the pair is still rejected: nothing
replaced it) are unpaired negatives, kept apart (KTO-style training reads them).
Undone decisions and decisions of pipeline stages (`machine:...`) count for
nothing. Each record names both pairs, their lineage ids, the reviewer, the
reason and the time.
"""

from __future__ import annotations

import sqlite3
from dataclasses import asdict, dataclass, field
from typing import Any

from curator.filters.normalize import normalize
from curator.store.preferences import (
    edit_events,
    keeper_events,
    pairs_by_id,
    reasoned_rejects,
    regeneration_events,
)

KINDS = ("edit", "regenerate", "keeper")


@dataclass
class Preference:
    kind: str
    prompt: str
    chosen: str
    rejected: str
    chosen_pair_id: int
    rejected_pair_id: int
    chosen_lineage_id: str
    rejected_lineage_id: str
    reviewer: str
    reason: str | None
    decided_at: str
    review_id: int
    chunk_id: int | None = None
    language: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Negative:
    prompt: str
    completion: str
    pair_id: int
    lineage_id: str
    reviewer: str
    reason: str
    decided_at: str
    review_id: int
    chunk_id: int | None = None
    language: str | None = None
    held_out: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Preferences:
    pairs: list[Preference] = field(default_factory=list)
    negatives: list[Negative] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # why decisions gave no record, and how many

    def counts(self) -> dict[str, Any]:
        by_kind = {k: sum(p.kind == k for p in self.pairs) for k in KINDS}
        return {"pairs": len(self.pairs), "by_kind": by_kind, "negatives": len(self.negatives),
                "skipped": dict(self.skipped)}


def collect(conn: sqlite3.Connection) -> Preferences:
    """Every preference record and unpaired negative the store's review log holds now."""
    edits, regens, keepers = edit_events(conn), regeneration_events(conn), keeper_events(conn)
    rejects = reasoned_rejects(conn)
    wanted = [e["old_id"] for e in edits] + [e["new_id"] for e in edits]
    wanted += [e["new_id"] for e in regens] + [i for e in regens for i in e["old_ids"]]
    wanted += [e["keeper_id"] for e in keepers] + [i for e in keepers for i in e["other_ids"]]
    wanted += [r["pair_id"] for r in rejects]
    pairs = pairs_by_id(conn, wanted)
    result = Preferences()

    def skip(why: str) -> None:
        result.skipped[why] = result.skipped.get(why, 0) + 1

    for e in edits:
        old, new = pairs.get(e["old_id"]), pairs.get(e["new_id"])
        if old is None or new is None:
            skip("edit of a missing pair")
            continue
        if normalize(old["answer"]) == normalize(new["answer"]):
            skip("edit that kept the answer")
            continue
        result.pairs.append(_record("edit", new, old, e, prompt=new["question"]))
    for e in regens:
        new = pairs.get(e["new_id"])
        matched = False
        for old_id in e["old_ids"]:
            old = pairs.get(old_id)
            if new is None or old is None or normalize(old["question"]) != normalize(new["question"]):
                continue
            if normalize(old["answer"]) == normalize(new["answer"]):
                continue
            result.pairs.append(_record("regenerate", new, old, e, prompt=new["question"]))
            matched = True
        if not matched:
            skip("regeneration that asks another question or repeats the answer")
    for e in keepers:
        keeper = pairs.get(e["keeper_id"])
        if keeper is None:
            skip("keeper choice of a missing pair")
            continue
        made = 0
        for other_id in e["other_ids"]:
            other = pairs.get(other_id)
            if other is None or normalize(other["question"]) != normalize(keeper["question"]):
                continue
            if normalize(other["answer"]) == normalize(keeper["answer"]):
                continue
            result.pairs.append(_record("keeper", keeper, other, e, prompt=keeper["question"]))
            made += 1
        if not made:
            skip("keeper choice with no other answer to the same question")
    for r in rejects:
        pair = pairs[r["pair_id"]]
        result.negatives.append(Negative(
            prompt=pair["question"], completion=pair["answer"], pair_id=pair["id"], lineage_id=pair["lineage_id"],
            reviewer=r["actor"], reason=r["reason"].strip(), decided_at=r["at"], review_id=r["review_id"],
            chunk_id=pair["chunk_id"], language=pair["language"], held_out=int(pair["held_out"] or 0)))
    result.pairs = _latest_per_couple(result.pairs)
    return result


def _record(kind: str, chosen: dict[str, Any], rejected: dict[str, Any], event: dict[str, Any], *,
            prompt: str) -> Preference:
    return Preference(kind=kind, prompt=prompt, chosen=chosen["answer"], rejected=rejected["answer"],
                      chosen_pair_id=chosen["id"], rejected_pair_id=rejected["id"],
                      chosen_lineage_id=chosen["lineage_id"], rejected_lineage_id=rejected["lineage_id"],
                      reviewer=event["actor"], reason=event["reason"], decided_at=event["at"],
                      review_id=event["review_id"], chunk_id=chosen["chunk_id"], language=chosen["language"])


def _latest_per_couple(records: list[Preference]) -> list[Preference]:
    """One record per (chosen pair, rejected pair): the latest decision about them, in review order."""
    latest: dict[tuple[int, int], Preference] = {}
    for rec in sorted(records, key=lambda r: r.review_id):
        latest[(rec.chosen_pair_id, rec.rejected_pair_id)] = rec
    return sorted(latest.values(), key=lambda r: (r.review_id, r.rejected_pair_id))
