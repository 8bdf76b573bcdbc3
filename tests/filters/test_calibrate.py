"""The judge against reviewers: kappa and pi on known tables, the proposed threshold, and the queue by doubt."""

from __future__ import annotations

import json

import pytest

from curator.filters.calibrate import calibrate, cohen_kappa, scott_pi, uncertain_first
from curator.store import transaction
from curator.store.flags import add_flag
from curator.store.review_actions import decide, undo_last
from tests.conftest import run_curator
from tests.filters.conftest import add_pairs, judged_and_decided, record_judge_verdict, settings_of


@pytest.mark.parametrize("table, kappa, pi", [
    ([[20, 5], [10, 15]], 0.4, 0.39394),          # po 0.70, pe 0.50 (kappa) and 0.505 (pi)
    ([[45, 15], [25, 15]], 0.13043, 0.12088),     # po 0.60, pe 0.54 and 0.545
    ([[10, 0], [0, 5]], 1.0, 1.0),                 # perfect agreement
    ([[0, 10], [10, 0]], -1.0, -1.0),              # perfect disagreement with balanced marginals
])
def test_kappa_and_pi_on_known_tables(table, kappa, pi):
    assert cohen_kappa(table) == pytest.approx(kappa, abs=1e-4)
    assert scott_pi(table) == pytest.approx(pi, abs=1e-4)


def test_kappa_is_undefined_when_both_raters_use_one_category():
    assert cohen_kappa([[10, 0], [0, 0]]) is None and scott_pi([[10, 0], [0, 0]]) is None
    assert cohen_kappa([[0, 0], [0, 0]]) is None


def test_calibration_compares_with_reviewers_and_proposes_their_threshold(workspace):
    ids = judged_and_decided(workspace)  # reviewers accept quality 8 and up; two pairs stay undecided
    conn = workspace.connect()
    decide(conn, ids[0], "accepted", "ana")
    undo_last(conn, "ana")  # an undone decision is no decision: pair 0 stays rejected by kim
    decide(conn, ids[1], "accepted", "machine:import")  # a pipeline stage is not a reviewer
    result = calibrate(conn, settings_of(workspace))
    conn.close()
    assert (result.judged, result.both) == (20, 18)
    # at the default threshold 6, qualities 6 and 7 pass the judge but reviewers rejected them
    assert result.table == [[4, 0], [4, 10]]
    assert result.scores["cohen_kappa"] == pytest.approx(cohen_kappa([[4, 0], [4, 10]]), abs=1e-4)
    assert result.proposed["threshold"] == 8 and result.proposed["cohen_kappa"] == 1.0
    assert result.proposed["setting"] == "[filters] judge_min_quality = 8"
    assert [s["threshold"] for s in result.sweep] == list(range(1, 12))


def test_calibrate_cli_reports_the_table_and_the_proposal(workspace):
    ids = add_pairs(workspace, [(f"Question number {n}?", f"Answer {n}.") for n in range(6)])
    conn = workspace.connect()
    with transaction(conn):
        for n, pid in enumerate(ids):
            record_judge_verdict(conn, pid, [2, 3, 9, 9, 4, 8][n])
    for n, pid in enumerate(ids):
        decide(conn, pid, "accepted" if n in (2, 3, 5) else "rejected", "kim")
    conn.close()
    done = run_curator("-w", str(workspace.root), "judge", "calibrate", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["both"] == 6 and report["confusion"]["table"] == [[3, 0], [0, 3]]
    assert report["cohen_kappa"] == 1.0 and report["scott_pi"] == 1.0
    text = run_curator("-w", str(workspace.root), "judge", "calibrate")
    assert "Cohen's kappa 1.000" in text.stdout and "proposed:" in text.stdout


def test_most_uncertain_first(workspace):
    names = ["near", "eval_low", "conflict", "disputed", "quiet", "rules", "neighbour"]
    ids = dict(zip(names, add_pairs(workspace, [(f"Question about {n}?", f"Answer about {n}.") for n in names])))
    conn = workspace.connect()
    with transaction(conn):
        record_judge_verdict(conn, ids["near"], 6)          # right at judge_min_quality
        record_judge_verdict(conn, ids["disputed"], 9)      # the judge passes it...
        record_judge_verdict(conn, ids["rules"], 9)         # the judge passes it, a rule fails it
        record_judge_verdict(conn, ids["quiet"], 9)
        cluster = conn.execute("INSERT INTO clusters (kind, keeper_id) VALUES ('near', ?)",
                               (ids["neighbour"],)).lastrowid
        conn.execute("INSERT INTO filter_scores (pair_id, kind, score, reason, cluster_id) VALUES"
                     " (?, 'near_duplicate', 80, 'similar', ?)", (ids["disputed"], cluster))
        conn.execute("INSERT INTO filter_scores (pair_id, kind, score, reason, details) VALUES"
                     " (?, 'rule', 0.9, 'repeats', ?)", (ids["rules"], json.dumps({"rule": "repetitive_answer"})))
        add_flag(conn, ids["eval_low"], "eval_low", score=0.2, reason="SemScore 0.20 < 0.5")
        add_flag(conn, ids["conflict"], "conflict", score=100, reason="same question, other answer")
    decide(conn, ids["neighbour"], "rejected", "kim")  # ...but reviewers rejected the similar pair
    order = uncertain_first(conn, settings_of(workspace))
    conn.close()
    assert [d.pair_id for d in order] == [ids[n] for n in ("disputed", "eval_low", "rules", "conflict", "near",
                                                           "quiet")]
    assert "reviewers accepted 0 of 1 similar pairs" in order[0].signals[0]
    assert order[-1].score == 0 and order[-1].signals == []
    cli = run_curator("-w", str(workspace.root), "judge", "uncertain", "--json", "--limit", "2")
    assert cli.returncode == 0, cli.stderr
    assert [p["pair_id"] for p in json.loads(cli.stdout)["pairs"]] == [ids["disputed"], ids["eval_low"]]
    listed = run_curator("-w", str(workspace.root), "pair", "list", "--order", "uncertain", "--json")
    assert listed.returncode == 0, listed.stderr
    pairs = json.loads(listed.stdout)["pairs"]
    assert [p["id"] for p in pairs] == [d.pair_id for d in order]
    assert pairs[0]["uncertainty"] == 2.0 and pairs[-1].get("uncertainty", 0) == 0
