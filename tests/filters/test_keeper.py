"""The keeper policy (human choice, accepted, judge score, grounding, earliest) and a reviewer swapping the keeper."""

from __future__ import annotations

import json

import numpy as np

from curator.filters.clusters import KeeperInputs, keeper_rank
from curator.filters.explain import explain_pair
from curator.filters.keeper import set_keeper
from curator.filters.run import run_filters
from curator.store import transaction
from curator.store.pairs import set_status
from tests.filters.conftest import active, add_pairs, settings_of

QUESTION = "What does the shipper declare on the export declaration?"


def inputs(**over):
    n = 4
    base = {"human_keeper": np.zeros(n, bool), "accepted": np.zeros(n, bool), "judge_quality": np.full(n, np.nan),
            "evidence_score": np.full(n, np.nan), "order": np.arange(n)}
    base.update(over)
    return KeeperInputs(**base)


def best(ki: KeeperInputs) -> int:
    return int(np.argmin(keeper_rank(ki)))


def test_policy_order():
    assert best(inputs()) == 0  # the earliest
    assert best(inputs(evidence_score=np.array([50.0, 99.0, np.nan, 70.0]))) == 1  # better grounding
    assert best(inputs(evidence_score=np.array([50.0, 99.0, np.nan, 70.0]),
                       judge_quality=np.array([5.0, 6.0, 9.0, np.nan]))) == 2  # the judge's score first
    assert best(inputs(judge_quality=np.array([5.0, 6.0, 9.0, np.nan]),
                       accepted=np.array([False, False, False, True]))) == 3  # a person accepted it
    assert best(inputs(accepted=np.array([False, False, False, True]),
                       human_keeper=np.array([True, False, False, False]))) == 0  # a reviewer chose it


def duplicates(workspace):
    return add_pairs(workspace, [(QUESTION, "The goods, their value and the exporter."),
                                 (QUESTION + " ", "The goods, their value and the exporter."),
                                 ("What does the shipper declare on the export declaraton?",
                                  "The goods, their value and the exporter.")])


def test_accepted_pair_is_kept_over_an_earlier_one(workspace):
    ids = duplicates(workspace)
    conn = workspace.connect()
    with transaction(conn):
        set_status(conn, ids[2], "accepted", "ana")
    run_filters(workspace, only=["dedup"])
    flagged = {f["pair_id"]: f for f in active(conn) if f["kind"] in ("duplicate", "near_duplicate")}
    assert set(flagged) == {ids[0], ids[1]}
    assert all(json.loads(f["details"])["keeper"] == ids[2] for f in flagged.values())
    conn.close()


def test_reviewer_swaps_the_keeper_and_later_runs_respect_it(workspace):
    ids = duplicates(workspace)
    run_filters(workspace, only=["dedup"])
    conn = workspace.connect()
    assert {f["pair_id"] for f in active(conn, "duplicate")} | {f["pair_id"] for f in active(conn, "near_duplicate")} \
        == {ids[1], ids[2]}
    result = set_keeper(conn, ids[2], "ana", settings_of(workspace))
    assert result["changed"] and result["previous_keeper"] == ids[0]
    cluster = conn.execute("SELECT keeper_id, keeper_by FROM clusters WHERE id = ?", (result["cluster_id"],)).fetchone()
    assert (cluster["keeper_id"], cluster["keeper_by"]) == (ids[2], "human")
    flagged = {f["pair_id"] for f in active(conn) if f["kind"] in ("duplicate", "near_duplicate")}
    assert flagged == {ids[0], ids[1]}
    audit = conn.execute("SELECT * FROM reviews WHERE action = 'keeper'").fetchall()
    assert len(audit) == 1 and audit[0]["pair_id"] == ids[2] and audit[0]["actor"] == "ana"
    assert json.loads(audit[0]["before"])["keeper"] == ids[0]

    run_filters(workspace, only=["dedup"])  # a later run keeps the reviewer's choice
    flagged = {f["pair_id"] for f in active(conn) if f["kind"] in ("duplicate", "near_duplicate")}
    assert flagged == {ids[0], ids[1]}
    newest = conn.execute("SELECT keeper_id, keeper_by FROM clusters ORDER BY id DESC LIMIT 1").fetchone()
    assert (newest["keeper_id"], newest["keeper_by"]) == (ids[2], "human")
    report = explain_pair(conn, ids[0], settings_of(workspace))
    assert report["clusters"][0]["keeper_id"] == ids[2] and report["clusters"][0]["keeper_by"] == "human"
    conn.close()


def test_swapping_to_a_pair_outside_the_cluster_is_refused(workspace):
    ids = duplicates(workspace)
    other = add_pairs(workspace, [("How long is the free time at Busan port?", "Usually 5 days.")])[0]
    run_filters(workspace, only=["dedup"])
    conn = workspace.connect()
    cluster = conn.execute("SELECT id FROM clusters").fetchone()[0]
    try:
        set_keeper(conn, other, "ana", settings_of(workspace), cluster_id=cluster)
    except Exception as exc:  # noqa: BLE001
        assert "not a member" in str(exc)
    else:
        raise AssertionError("a pair outside the cluster became its keeper")
    assert conn.execute("SELECT keeper_id FROM clusters WHERE id = ?", (cluster,)).fetchone()[0] == ids[0]
    conn.close()
