"""The pairs the filters look at, read from the store in one pass into aligned arrays.

Superseded revisions are left out (their latest revision stands for them) and so are
rejected pairs (a person already decided). Held-out pairs (an exam bank reserved for
evaluation) are read too: they are the reference of the contamination check and are
not part of the training pool.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass, field

import numpy as np

from curator.filters.normalize import normalize_all
from curator.store.flags import active_scores_of_kind
from curator.store.pairs import evidence_of as stored_evidence
from curator.store.pairs import live_pair_columns

_COLUMNS = ("id", "question", "answer", "status", "origin", "held_out", "evidence_score", "chunk_id", "lineage_id")


@dataclass
class PairPool:
    ids: np.ndarray             # int64, ascending (creation order)
    question: list[str]
    answer: list[str]
    status: np.ndarray          # object
    origin: np.ndarray          # object
    held_out: np.ndarray        # bool
    evidence_score: np.ndarray  # float, nan when unknown
    chunk_id: np.ndarray        # int64, -1 without a source chunk (imports)
    lineage: list[str]
    _normalized: list[str] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return int(self.ids.size)

    @property
    def training(self) -> np.ndarray:
        """Pairs that may end up in a training set (not held out for evaluation)."""
        return ~self.held_out

    def normalized_questions(self) -> list[str]:
        """The questions normalized (curator.filters.normalize), computed once per pool and shared by the filters."""
        if self._normalized is None:
            self._normalized = normalize_all(self.question)
        return self._normalized

    def index_of(self) -> dict[int, int]:
        return {int(pid): k for k, pid in enumerate(self.ids.tolist())}

    def subset(self, mask: np.ndarray) -> PairPool:
        keep = np.flatnonzero(mask).tolist()
        normalized = None if self._normalized is None else [self._normalized[k] for k in keep]
        return PairPool(self.ids[mask], [self.question[k] for k in keep], [self.answer[k] for k in keep],
                        self.status[mask], self.origin[mask], self.held_out[mask], self.evidence_score[mask],
                        self.chunk_id[mask], [self.lineage[k] for k in keep], normalized)


def load_pool(conn: sqlite3.Connection, *, include_held_out: bool = True) -> PairPool:
    """Every pair that is neither superseded nor rejected, in id order."""
    cols = live_pair_columns(conn, _COLUMNS, include_held_out=include_held_out)
    ids, question, answer, status, origin, held, evidence_score, chunk, lineage = cols
    return PairPool(
        ids=np.asarray(ids, dtype=np.int64),
        question=[q or "" for q in question],
        answer=[a or "" for a in answer],
        status=np.asarray(status, dtype=object),
        origin=np.asarray(origin, dtype=object),
        held_out=np.asarray(held, dtype=bool),
        evidence_score=np.asarray([math.nan if v is None else float(v) for v in evidence_score], dtype=np.float64),
        chunk_id=np.asarray([-1 if v is None else int(v) for v in chunk], dtype=np.int64),
        lineage=lineage,
    )


def evidence_of(conn: sqlite3.Connection, ids: np.ndarray) -> list[str | None]:
    """The evidence quote of each pair (read only for the few stages that need it)."""
    wanted = ids.tolist()
    found = stored_evidence(conn, wanted)
    return [found.get(i) for i in wanted]


def judge_scores(conn: sqlite3.Connection, ids: np.ndarray) -> np.ndarray:
    """The judge's quality score per pair (nan where it has none), from the active judge flags."""
    out = np.full(ids.size, np.nan)
    where = {int(pid): k for k, pid in enumerate(ids.tolist())}
    for pair_id, score in active_scores_of_kind(conn, "judge"):
        k = where.get(pair_id)
        if k is not None and score is not None:
            out[k] = score
    return out
