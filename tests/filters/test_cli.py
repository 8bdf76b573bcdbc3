"""`curator filter` and `curator bench dedup` as a user runs them."""

from __future__ import annotations

import json

import numpy as np

from tests.filters.conftest import add_pairs
from tests.support.planted import pairwise_scores, planted_set

PAIRS = [("What is a bill of lading?", "A document of title issued by the carrier."),
         ("What is a bill of ladng?", "A document of title issued by the carrier."),
         ("What is the bill of lading?", "It is a receipt only."),
         ("According to the text, what is demurrage?", "A charge for late return of containers.")]


def test_filter_then_explain_failing_and_keep(workspace, curator_cmd):
    ids = add_pairs(workspace, PAIRS)
    env = {"CURATOR_WORKSPACE": str(workspace.root)}
    done = curator_cmd("filter", "--json", env=env)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["dedup"]["near_duplicate"] == 1 and counts["dedup"]["conflict"] == 1
    assert counts["rules"]["rule:not_self_contained"] == 1

    explained = json.loads(curator_cmd("filter", "--explain", str(ids[1]), "--json", env=env).stdout)
    assert explained["fails"] is True
    assert explained["clusters"][0]["keeper_id"] == ids[0]
    assert explained["measurements"][0]["kind"] == "near_duplicate"
    assert explained["measurements"][0]["decision"].startswith("fails")
    text = curator_cmd("filter", "--explain", str(ids[1]), env=env).stdout
    assert "keeper #" in text and "near_duplicate" in text

    failing = json.loads(curator_cmd("filter", "--failing", "--json", env=env).stdout)
    assert {row["pair_id"] for row in failing["pairs"]} == set(ids)

    kept = json.loads(curator_cmd("filter", "--keep", str(ids[1]), "--json", env=env).stdout)
    assert kept["changed"] and kept["previous_keeper"] == ids[0]
    again = json.loads(curator_cmd("filter", "--explain", str(ids[0]), "--json", env=env).stdout)
    assert again["clusters"][0]["keeper_id"] == ids[1] and again["clusters"][0]["keeper_by"] == "human"


def test_filter_errors_are_one_line(workspace, curator_cmd):
    env = {"CURATOR_WORKSPACE": str(workspace.root)}
    done = curator_cmd("filter", "--only", "dedup,spellcheck", env=env)
    assert done.returncode != 0 and "unknown filter spellcheck" in done.stderr
    done = curator_cmd("filter", "--only", "moderation", env=env)
    assert done.returncode != 0 and "needs an OpenAI endpoint" in done.stderr
    done = curator_cmd("filter", "--explain", "999", env=env)
    assert done.returncode != 0 and "no pair 999" in done.stderr
    assert "Traceback" not in done.stderr


def test_bench_dedup_prints_one_json_object(curator_cmd, tmp_path):
    done = curator_cmd("bench", "dedup", "--pairs", "3000", "--baseline-pairs", "1000", "--json", cwd=tmp_path,
                       timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    for key in ("pairs", "seconds", "peak_rss_mb", "precision", "recall", "f1", "baseline_seconds",
                "baseline_peak_rss_mb", "baseline_f1", "rules_pairs_per_s"):
        assert key in report
    assert report["pairs"] == 3000 and report["baseline_scaled"] is True
    assert 0 < report["f1"] <= 1 and 0 <= report["baseline_f1"] <= 1


def test_planted_set_is_deterministic_and_scored_pairwise():
    a, b = planted_set(500, seed=3), planted_set(500, seed=3)
    assert a == b and len(a) == 500
    assert {r.kind for r in a} >= {"base", "exact", "near", "conflict"}
    assert {r.language for r in a} == {"ko", "en"}
    truth = np.array([1, 1, 1, 2, 3])
    assert pairwise_scores(truth, np.array([7, 7, 7, 8, 9]))["f1"] == 1.0
    split = pairwise_scores(truth, np.array([7, 7, 8, 9, 10]))  # one of three true pairs found
    assert split["precision"] == 1.0 and round(split["recall"], 4) == round(1 / 3, 4)
