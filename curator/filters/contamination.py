"""Contamination: training pairs that near-duplicate an item held out for evaluation.

The reference items are the pairs marked held out (an exam bank kept for
evaluation) and the test split of a version (`[filters].contamination_version`).
A training pair whose question is the same as, or a near duplicate of, a reference
question is flagged, so the evaluation measures something. A pair is never
contaminated by itself: a test item with the pair's own lineage is the pair.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from curator.filters.dedup import distinct_texts, near_edges
from curator.filters.normalize import normalize_all
from curator.filters.pair_pool import PairPool
from curator.filters.results import FilterOutput, ScoreRow
from curator.filters.settings import FilterSettings
from curator.filters.subjects import SubjectIndex
from curator.store.versions import get_version, newest_version_id, version_ids_starting

CONTAMINATION_KINDS = ("contamination",)


@dataclass(frozen=True)
class Reference:
    question: str
    lineage: str
    label: str      # how a reader finds it: "held-out pair #12", "test item of version 3fa1..."
    source: str     # held_out | version
    ref: str        # pair id or version id


def held_out_references(pool: PairPool) -> list[Reference]:
    return [Reference(pool.question[k], pool.lineage[k], f"held-out pair #{int(pool.ids[k])}", "held_out",
                      str(int(pool.ids[k]))) for k in np.flatnonzero(pool.held_out).tolist()]


def version_references(conn: sqlite3.Connection, which: str) -> tuple[list[Reference], str | None]:
    """The test split of the chosen version ("latest", an id or a unique prefix; "" for none).

    Returns the references and a problem to report (no such version, unreadable file), if any.
    """
    which = which.strip()
    if not which:
        return [], None
    if which == "latest":
        vid = newest_version_id(conn)
        if vid is None:
            return [], None
    else:
        ids = version_ids_starting(conn, which)
        if len(ids) != 1:
            return [], (f"[filters].contamination_version = {which!r} names "
                        f"{'no version' if not ids else 'several versions'}; only held-out pairs were checked")
        vid = ids[0]
    path = Path(get_version(conn, vid)["path"])
    data = path / "data.parquet"
    try:
        frame = pl.read_parquet(data, columns=["question", "lineage_id", "split"])
    except (OSError, pl.exceptions.PolarsError) as exc:
        return [], f"{data}: cannot read the test split of version {vid} ({exc}); only held-out pairs were checked"
    test = frame.filter(pl.col("split") == "test")
    return [Reference(q or "", lin or "", f"test item of version {vid[:12]}", "version", vid)
            for q, lin in test.select("question", "lineage_id").iter_rows()], None


def contamination_output(pool: PairPool, refs: list[Reference], settings: FilterSettings) -> FilterOutput:
    """Contamination measurements for the training pairs of `pool` against `refs`."""
    out = FilterOutput(kinds=CONTAMINATION_KINDS)
    train = np.flatnonzero(pool.training)
    out.counts = {"references": len(refs), "checked": int(train.size)}
    if not refs or not train.size:
        return out
    normalized = pool.normalized_questions()
    q_train = [normalized[k] for k in train.tolist()]
    q_ref = normalize_all([r.question for r in refs])
    texts, text_of = distinct_texts(q_train + q_ref)
    train_text, ref_text = text_of[:len(q_train)], text_of[len(q_train):]
    is_ref = np.zeros(len(texts), dtype=bool)
    is_ref[ref_text] = True
    refs_of_text: dict[int, list[int]] = {}
    for r, t in enumerate(ref_text.tolist()):
        refs_of_text.setdefault(t, []).append(r)
    # a text on the reference side is compared with the texts only training pairs ask
    links: dict[int, list[tuple[int, float]]] = {t: [(t, 100.0)] for t in set(train_text.tolist()) if is_ref[t]}
    raw = [pool.question[k] for k in train.tolist()] + [r.question for r in refs]
    edges = near_edges(texts, settings, only_across=is_ref, subjects=SubjectIndex(raw, text_of))
    for (a, b), s in zip(edges.pairs.tolist(), edges.scores.tolist()):
        t_train, t_ref = (a, b) if is_ref[b] else (b, a)
        if not is_ref[t_train]:
            links.setdefault(t_train, []).append((t_ref, s))
    found = 0
    for k, t in zip(train.tolist(), train_text.tolist()):
        best: tuple[float, Reference] | None = None
        for t_ref, s in links.get(t, ()):
            for r in refs_of_text[t_ref]:
                ref = refs[r]
                if ref.lineage and ref.lineage == pool.lineage[k]:
                    continue  # the pair itself, in the version's test split
                if best is None or s > best[0]:
                    best = (s, ref)
        if best is None:
            continue
        s, ref = best
        found += 1
        how = "the same question as" if s >= 100.0 else f"question {s:.0f}% like"
        out.scores.append(ScoreRow(int(pool.ids[k]), "contamination", round(s, 2), f"{how} {ref.label}",
                                   {"reference": ref.ref, "source": ref.source, "lineage": ref.lineage}))
    out.counts["contaminated"] = found
    return out
