"""Training pairs near-duplicating held-out pairs, or a version's test split, are flagged as contamination."""

from __future__ import annotations

import polars as pl

from curator.filters.run import run_filters
from curator.store import transaction
from curator.store.versions import record_version
from tests.filters.conftest import active, add_pairs

EXAM = "다음 중 FOB 조건에서 매도인이 부담하는 비용은 무엇인가?\n1. 해상운임\n2. 수출통관비용\n3. 보험료\n4. 양하비용"


def test_training_pairs_like_a_held_out_exam_item_are_flagged(workspace):
    held = add_pairs(workspace, [{"question": EXAM, "answer": "2", "held_out": 1}], origin="exam")[0]
    ids = add_pairs(workspace, [
        (EXAM, "2. 수출통관비용"),                                          # the same item in the training pool
        (EXAM.replace("무엇인가?", "무엇인가 ?"), "2"),                      # a near duplicate of it
        (EXAM.replace("FOB", "CIF").replace("보험료", "선적비용"), "3"),     # another question
        ("FOB 조건에서 위험은 언제 이전되나요?", "물품이 본선에 적재될 때 이전됩니다."),
    ])
    run_filters(workspace, only=["contamination"])
    conn = workspace.connect()
    flags = {f["pair_id"]: f for f in active(conn, "contamination")}
    assert set(flags) == {ids[0], ids[1]}
    assert flags[ids[0]]["score"] == 100.0 and f"held-out pair #{held}" in flags[ids[0]]["reason"]
    assert 90 <= flags[ids[1]]["score"] < 100
    assert held not in flags  # a held-out pair is the reference, not a training pair
    conn.close()


def test_a_versions_test_split_is_a_reference_but_a_pair_is_not_its_own(workspace, tmp_path):
    ids = add_pairs(workspace, [
        ("What is the latest shipment date on a letter of credit?", "The last day goods may be shipped."),
        ("What is the latest shipment date on a letter of credit ?", "The last day goods may be shipped."),
        ("Who pays terminal handling charges under FOB?", "The seller at origin."),
    ])
    conn = workspace.connect()
    lineage = conn.execute("SELECT lineage_id FROM qa_pairs WHERE id = ?", (ids[0],)).fetchone()[0]
    folder = tmp_path / "v1"
    folder.mkdir()
    pl.DataFrame({"question": ["What is the latest shipment date on a letter of credit?"],
                  "lineage_id": [lineage], "split": ["test"]}).write_parquet(folder / "data.parquet")
    with transaction(conn):
        record_version(conn, "a" * 64, parent_id=None, message="test", path=str(folder), pair_count=1,
                       manifest={})
    run_filters(workspace, only=["contamination"])
    flagged = {f["pair_id"]: f for f in active(conn, "contamination")}
    assert set(flagged) == {ids[1]}  # ids[0] is the test item itself
    assert "test item of version aaaaaaaaaaaa" in flagged[ids[1]]["reason"]
    conn.close()


def test_an_unreadable_version_is_reported_and_held_out_pairs_still_checked(workspace, tmp_path):
    add_pairs(workspace, [{"question": "What is a bonded warehouse?", "answer": "A store for goods under customs "
                           "control.", "held_out": 1}])
    ids = add_pairs(workspace, [("What is a bonded warehouse?", "A customs-controlled store.")])
    conn = workspace.connect()
    with transaction(conn):
        record_version(conn, "b" * 64, parent_id=None, message="gone", path=str(tmp_path / "missing"),
                       pair_count=1, manifest={})
    run_filters(workspace, only=["contamination"])
    assert [f["pair_id"] for f in active(conn, "contamination")] == ids
    errors = conn.execute("SELECT location, message FROM errors WHERE stage = 'filter'").fetchall()
    assert len(errors) == 1 and "cannot read the test split" in errors[0]["message"]
    conn.close()
