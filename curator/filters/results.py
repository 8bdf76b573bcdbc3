"""What a filter finds: measurements of pairs (`ScoreRow`), duplicate clusters (`ClusterRow`), per filter
(`FilterOutput`). `curator.filters.run.write_outputs` writes them all at the end of a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Progress = Callable[[str], None]  # told what a filter is doing now (the CLI's progress line)


@dataclass
class ClusterRow:
    key: int                  # the run's own number for the cluster; measurements point at it
    kind: str                 # exact | near | semantic | conflict
    keeper_id: int
    keeper_by: str = "policy"


@dataclass
class ScoreRow:
    """One measurement of one pair: it raises a flag of `kind` when it fails the limits."""

    pair_id: int
    kind: str
    score: float | None
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    cluster_key: int | None = None  # a ClusterRow.key of the same output


@dataclass
class FilterOutput:
    """One filter's findings: the kinds it owns (replaced wholesale) and its measurements."""

    kinds: tuple[str, ...]
    scores: list[ScoreRow] = field(default_factory=list)
    clusters: list[ClusterRow] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
