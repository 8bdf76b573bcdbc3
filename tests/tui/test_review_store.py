"""The review queries and decisions in the store, without the app: what a filter keeps, bulk and undo."""

from __future__ import annotations

import json

import pytest

from curator.store.pairs import get_pair, history
from curator.store.review_actions import NothingToUndo, bulk_decide, decide, save_edit, undo_last
from curator.store.review_queries import ReviewFilter, matching_ids, pair_detail, row_summaries, status_counts


@pytest.fixture
def conn(review_ws):
    c = review_ws.connect()
    yield c
    c.close()


def _expected(conn, sql: str, *params) -> list[int]:
    return [r[0] for r in conn.execute(sql, params)]


@pytest.mark.parametrize(("f", "sql"), [
    (ReviewFilter(), "SELECT id FROM qa_pairs WHERE status = 'pending'"),
    (ReviewFilter(status="all"), "SELECT id FROM qa_pairs WHERE status != 'superseded'"),
    (ReviewFilter(status="rejected", origin="llm"),
     "SELECT id FROM qa_pairs WHERE status = 'rejected' AND origin = 'llm'"),
    (ReviewFilter(status="all", source_id=3), "SELECT id FROM qa_pairs WHERE source_id = 3 AND status != 'superseded'"),
    (ReviewFilter(status="all", flag="any"),
     "SELECT id FROM qa_pairs WHERE id IN (SELECT pair_id FROM flags WHERE active = 1)"),
    (ReviewFilter(flag="none"),
     "SELECT id FROM qa_pairs WHERE status = 'pending' AND id NOT IN (SELECT pair_id FROM flags WHERE active = 1)"),
    (ReviewFilter(status="all", judge_min=5, judge_max=8),
     "SELECT pair_id FROM flags WHERE kind = 'judge' AND active = 1 AND score BETWEEN 5 AND 8"),
    (ReviewFilter(status="all", cluster_id=1), "SELECT pair_id FROM flags WHERE cluster_id = 1 AND active = 1"),
    (ReviewFilter(status="all", eval="low"), "SELECT pair_id FROM flags WHERE kind = 'eval_low' AND active = 1"),
    (ReviewFilter(status="all", text="NEEDLE"), "SELECT id FROM qa_pairs WHERE question LIKE '%needle%'"),
])
def test_a_filter_keeps_exactly_the_pairs_it_names(conn, f, sql):
    assert matching_ids(conn, f).tolist() == sorted(set(_expected(conn, sql)))


def test_text_search_treats_percent_and_underscore_as_text(conn):
    assert matching_ids(conn, ReviewFilter(status="all", text="100%")).tolist() == []
    decide(conn, 1, "accepted", "tester")
    new = save_edit(conn, 1, "tester", question="Is 100% of the value insured?", answer="Yes, 110% under CIF.")
    assert matching_ids(conn, ReviewFilter(status="all", text="100%")).tolist() == [new]


def test_rows_details_and_counts(conn):
    rows = row_summaries(conn, [1, 2, 999])
    assert set(rows) == {1, 2}
    assert ("near_duplicate", 0.91) in rows[1]["flags"]
    detail = pair_detail(conn, 1)
    assert detail["chunk"]["text"].startswith("In this part") and detail["document"]["title"] == "Lecture 0"
    assert detail["clusters"][0]["members"][0]["keeper"] is True
    assert {m["id"] for m in detail["clusters"][0]["members"]} == {1, 2}
    counts = status_counts(conn)
    assert sum(counts.values()) == conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0]


def test_bulk_changes_only_pairs_with_another_status_and_logs_each(conn):
    decide(conn, 1, "accepted", "tester")
    assert get_pair(conn, 10)["status"] == "rejected"
    logged_before = len(history(conn, 1))
    changed = bulk_decide(conn, [1, 2, 3, 10], "accepted", "tester", filter_text="status=pending")
    assert changed == 3  # 2 and 3 (pending) and 10 (rejected); 1 was accepted already
    assert [get_pair(conn, i)["status"] for i in (1, 2, 3, 10)] == ["accepted"] * 4
    assert len(history(conn, 1)) == logged_before
    entry = history(conn, 2)[-1]
    assert entry["action"] == "accept" and entry["before"]["status"] == "pending"
    assert entry["after"] == {**entry["before"], "status": "accepted", "status_reason": None}


def test_undo_reverts_a_bulk_as_one_and_leaves_pairs_changed_since(conn):
    bulk_decide(conn, [2, 3, 4], "rejected", "tester", reason="off-topic")
    decide(conn, 3, "accepted", "someone-else")  # a colleague overrules one of them
    result = undo_last(conn, "tester")
    assert result.action == "bulk reject" and sorted(result.pair_ids) == [2, 4] and result.skipped == 1
    assert [get_pair(conn, i)["status"] for i in (2, 3, 4)] == ["pending", "accepted", "pending"]
    with pytest.raises(NothingToUndo):
        undo_last(conn, "tester")


def test_undo_is_per_reviewer_and_survives_a_restart(review_ws, conn):
    decide(conn, 2, "accepted", "tester")
    decide(conn, 3, "accepted", "someone-else")
    conn.close()
    again = review_ws.connect()
    assert undo_last(again, "tester").pair_ids == [2]
    assert get_pair(again, 3)["status"] == "accepted"
    undo_rows = again.execute("SELECT after FROM reviews WHERE action = 'undo'").fetchall()
    assert json.loads(undo_rows[-1][0])["status"] == "pending"
    again.close()
