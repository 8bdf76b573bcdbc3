"""`curator bench dedup`: curator's near-duplicate detection against a plain datasketch MinHashLSH pass.

Both run on the same generated bilingual set (benchmarks.planted), each in a
fresh process of its own, so that the peak memory of one never counts against the
other. Generating the set is not timed. The baseline is the straightforward loop
(128 permutations, threshold 0.8, character 5-grams, `MinHash.bulk`, then query and
insert per question); at large sizes it runs on a sample of whole duplicate groups
(`baseline_pairs`) and its time is scaled linearly to the full size, which the JSON
says. Curator also runs on that sample, so the two F1 scores compare like with like.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.planted import pairwise_scores, planted_columns
from curator.config import default_config
from curator.filters.clusters import KeeperInputs
from curator.filters.dedup import find_duplicates
from curator.filters.normalize import normalize
from curator.filters.rules import RuleSet, check_pair
from curator.filters.settings import FilterSettings

RULES_PAIRS = 200_000  # rule throughput is measured on the first pairs of the set


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _sample(group: np.ndarray, limit: int) -> np.ndarray:
    """Indexes of whole duplicate groups (every 1 in k), about `limit` pairs: no planted twin loses its partner."""
    if limit <= 0 or group.size <= limit:
        return np.arange(group.size)
    k = -(-group.size // limit)
    return np.flatnonzero(group % k == 0)


def curator_labels(questions: list[str], answers: list[str], settings: FilterSettings
                   ) -> tuple[np.ndarray, dict, Any]:
    """Predicted cluster per pair (a pair alone gets a label of its own), timings, and the raw result."""
    n = len(questions)
    inputs = KeeperInputs(np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan),
                          np.arange(n))
    result = find_duplicates(questions, answers, inputs, settings)
    c = result.clusters
    labels = np.arange(n, dtype=np.int64) + c.count
    together = (c.kind == "keeper") | (c.score >= settings.fuzzy_cutoff) | (c.kind == "semantic_duplicate")
    labels[c.member[together]] = c.cluster[together]
    return labels, result.timings, result


def conflict_scores(group: np.ndarray, answer: np.ndarray, planted: int, result: Any) -> dict[str, float]:
    """How well members flagged `conflict` match the planted conflicts (same question, other answer)."""
    c = result.clusters
    flagged = (c.kind == "conflict") & (c.member != c.keeper)
    right = flagged & (group[c.member] == group[c.keeper]) & (answer[c.member] != answer[c.keeper])
    precision = float(right.sum() / flagged.sum()) if flagged.sum() else 1.0
    recall = float(right.sum() / planted) if planted else 1.0
    return {"conflict_precision": round(precision, 4), "conflict_recall": round(recall, 4)}


def _curator_child(pairs: int, seed: int, baseline_pairs: int) -> dict[str, Any]:
    data = planted_columns(pairs, seed)
    questions, answers = data.questions, data.answers
    settings = FilterSettings(semantic=False)  # the generated million-pair set measures spelling; see --real
    rss_before = _peak_rss_mb()
    start = time.perf_counter()
    labels, timings, result = curator_labels(questions, answers, settings)
    seconds = time.perf_counter() - start
    report: dict[str, Any] = {"seconds": round(seconds, 2), "peak_rss_mb": _peak_rss_mb(),
                              "rss_before_dedup_mb": rss_before, **pairwise_scores(data.group, labels),
                              **conflict_scores(data.group, data.answer_group, int((data.kind == "conflict").sum()),
                                                result),
                              "candidates": result.edges.candidates,
                              "stages": {k: round(v, 2) for k, v in timings.items()}}
    del result, labels
    rules = RuleSet.build(FilterSettings.from_config(default_config()["filters"]))
    measured = min(pairs, RULES_PAIRS)
    start = time.perf_counter()
    for q, a in zip(questions[:measured], answers[:measured]):
        check_pair(rules, q, a, "import")
    report["rules_pairs_per_s"] = round(measured / (time.perf_counter() - start))
    sample = _sample(data.group, baseline_pairs)
    if sample.size < pairs:
        start = time.perf_counter()
        sample_labels, _, _ = curator_labels([questions[i] for i in sample], [answers[i] for i in sample], settings)
        report["sample_seconds"] = round(time.perf_counter() - start, 2)
        report["sample_f1"] = pairwise_scores(data.group[sample], sample_labels)["f1"]
    else:
        report["sample_seconds"], report["sample_f1"] = report["seconds"], report["f1"]
    return report


def _baseline_child(pairs: int, seed: int, baseline_pairs: int) -> dict[str, Any]:
    """The straightforward pass: MinHash.bulk, then for each question query the LSH and insert it.

    A question's cluster is that of the earliest question the LSH returns for it, else its own.
    """
    from datasketch import MinHash, MinHashLSH

    data = planted_columns(pairs, seed)
    sample = _sample(data.group, baseline_pairs)
    texts = [normalize(data.questions[i]) for i in sample]
    truth = data.group[sample]
    del data
    start = time.perf_counter()
    shingles = [[t[i:i + 5].encode("utf-8") for i in range(max(1, len(t) - 4))] for t in texts]
    hashes = MinHash.bulk(shingles, num_perm=128)
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    labels = np.arange(len(texts))
    for i, m in enumerate(hashes):
        found = lsh.query(m)
        if found:
            labels[i] = labels[min(found)]
        lsh.insert(i, m)
    seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 2), "peak_rss_mb": _peak_rss_mb(), "pairs": len(texts),
            **pairwise_scores(truth, labels)}


def _in_fresh_process(target: Any, *args: Any) -> dict[str, Any]:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(target, args)


def run_benchmark(pairs: int, *, seed: int = 7, baseline_pairs: int = 100_000) -> dict[str, Any]:
    """The benchmark's JSON: curator's time, memory and pairwise precision/recall/F1, and the baseline's."""
    ours = _in_fresh_process(_curator_child, pairs, seed, baseline_pairs)
    report: dict[str, Any] = {"pairs": pairs, "seconds": ours["seconds"], "peak_rss_mb": ours["peak_rss_mb"],
                              "precision": ours["precision"], "recall": ours["recall"], "f1": ours["f1"]}
    if baseline_pairs > 0:
        base = _in_fresh_process(_baseline_child, pairs, seed, baseline_pairs)
        scale = pairs / base["pairs"]
        report.update({
            "baseline_seconds": round(base["seconds"] * scale, 2), "baseline_peak_rss_mb": base["peak_rss_mb"],
            "baseline_f1": base["f1"], "baseline_precision": base["precision"], "baseline_recall": base["recall"],
            "baseline_pairs": base["pairs"], "baseline_seconds_measured": base["seconds"],
            "baseline_scaled": scale > 1,
            "speedup": round(base["seconds"] * scale / ours["seconds"], 2) if ours["seconds"] else None,
            "speedup_same_sample": round(base["seconds"] / ours["sample_seconds"], 2) if ours["sample_seconds"] else None,
            "f1_same_sample": ours["sample_f1"],
        })
    report.update({k: ours[k] for k in ("conflict_precision", "conflict_recall", "rules_pairs_per_s", "candidates",
                                        "rss_before_dedup_mb", "stages")})
    report.update({"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], "seed": seed})
    return report


def make_workspace(folder: Path, pairs: int, seed: int = 7) -> dict[str, Any]:
    """A new workspace holding the generated set as imported pairs; 1 in 200 distinct questions is held out.

    Rows are written with executemany in one transaction (with their audit rows), not
    one `add_pair` call each: a million pairs take seconds instead of minutes.
    """
    from curator.store.connection import transaction
    from curator.store.pairs import new_lineage_id
    from curator.workspace import init_workspace

    data = planted_columns(pairs, seed)
    ws = init_workspace(folder)
    conn = ws.connect()
    start = time.perf_counter()
    held = (data.kind == "base") & (data.group % 200 == 0)
    try:
        with transaction(conn):
            source = conn.execute("INSERT INTO sources (kind, uri, doc_kind) VALUES ('file', ?, 'qa')",
                                  (f"bench:dedup?pairs={pairs}&seed={seed}",)).lastrowid
            rows = ((q, a, "import", new_lineage_id("import", q, a, f"{seed}:{k}"), lang, source, int(h))
                    for k, (q, a, lang, h) in enumerate(zip(data.questions, data.answers, data.language.tolist(),
                                                            held.tolist())))
            conn.executemany("INSERT INTO qa_pairs (question, answer, origin, lineage_id, language, source_id,"
                             " held_out) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute("INSERT INTO reviews (pair_id, action, actor, after) SELECT id, 'create', 'machine:bench',"
                         " json_object('question', question, 'answer', answer, 'status', status) FROM qa_pairs"
                         " WHERE source_id = ?", (source,))
    finally:
        conn.close()
    return {"workspace": str(ws.root), "pairs": len(data.questions), "held_out": int(held.sum()),
            "seconds": round(time.perf_counter() - start, 2)}
