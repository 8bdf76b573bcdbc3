"""`curator pair`: every review action as a command, as a user (or a second reviewer) runs it."""

from __future__ import annotations

from curator.store.pairs import get_pair, history

from .conftest import as_reviewer


def _status(ws, pair_id: int) -> str:
    conn = ws.connect()
    try:
        return get_pair(conn, pair_id)["status"]
    finally:
        conn.close()


def _audit_rows(ws) -> int:
    conn = ws.connect()
    try:
        return conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    finally:
        conn.close()


def test_list_json_keeps_what_the_filters_name(review_ws, pair):
    doc = pair.json(review_ws, "list", "--status", "all", "--origin", "glossary", "--limit", "100")
    assert doc["total"] == 10 and len(doc["pairs"]) == 10
    first = doc["pairs"][0]
    assert set(first) >= {"id", "question", "answer", "status", "origin", "flags"}
    assert all(p["origin"] == "glossary" for p in doc["pairs"])
    assert {p["status"] for p in doc["pairs"]} == {"pending", "rejected"}
    flagged = pair.json(review_ws, "list", "--status", "all", "--flag", "near_duplicate")
    assert [p["id"] for p in flagged["pairs"]] == [1, 2, 51, 52]
    assert {"kind": "near_duplicate", "score": 0.91} in flagged["pairs"][0]["flags"]
    found = pair.json(review_ws, "list", "--status", "all", "--search", "pair 17)")
    assert [p["id"] for p in found["pairs"]] == [18] and "(pair 17)" in found["pairs"][0]["answer"]
    assert pair.json(review_ws, "list", "--limit", "5")["total"] == 48  # 60 pairs, 6 accepted, 6 rejected


def test_show_json_has_the_pair_and_its_history(review_ws, pair):
    assert pair(review_ws, "accept", "1")[0] == 0
    doc = pair.json(review_ws, "show", "1")
    assert doc["pair"]["status"] == "accepted" and doc["chunk"]["id"] == doc["pair"]["chunk_id"]
    assert [(h["action"], h["actor"]) for h in doc["history"]] == [("accept", "alice")]
    code, _, err = pair(review_ws, "show", "9999")
    assert code != 0 and "pair 9999 does not exist" in err


def test_accept_and_reject_as_a_named_reviewer(review_ws, pair):
    code, out, _ = pair(review_ws, "accept", "1", "2", "--reviewer", "bob")
    assert code == 0 and "pair 1: pending → accepted (bob)" in out
    doc = pair.json(review_ws, "reject", "3", "--reason", "off-topic")
    assert doc["pairs"][0]["before"] == "pending" and doc["pairs"][0]["reviewer"] == "alice"
    conn = review_ws.connect()
    assert [(h["action"], h["actor"], h["reason"]) for h in history(conn, 3)] == [("reject", "alice", "off-topic")]
    assert history(conn, 2)[0]["actor"] == "bob"
    conn.close()


def test_a_stale_decision_is_refused_and_changes_nothing(review_ws, pair):
    # alice listed pair 1 as pending; bob rejects it meanwhile
    assert pair(review_ws, "reject", "1", "--reviewer", "bob", "--reason", "wrong")[0] == 0
    rows = _audit_rows(review_ws)
    code, _, err = pair(review_ws, "accept", "1", "--expect-status", "pending")
    assert code == 4
    assert "pair 1 is now rejected (reject by bob" in err and "nothing was changed" in err
    assert _status(review_ws, 1) == "rejected" and _audit_rows(review_ws) == rows
    # without --expect-status, another reviewer's decision is still never replaced silently
    code, _, err = pair(review_ws, "accept", "1")
    assert code == 4 and "--expect-status rejected" in err and _status(review_ws, 1) == "rejected"
    # saying what you saw lets you decide it
    assert pair(review_ws, "accept", "1", "--expect-status", "rejected")[0] == 0
    assert _status(review_ws, 1) == "accepted"


def test_a_stale_edit_and_a_superseded_pair_are_refused(review_ws, pair):
    doc = pair.json(review_ws, "edit", "1", "--answer", "A better answer.", "--reviewer", "bob")
    new_id = doc["pairs"][0]["new_id"]
    code, _, err = pair(review_ws, "edit", "1", "--question", "Mine?")
    assert code == 4 and f"its replacement is pair {new_id}" in err
    code, _, err = pair(review_ws, "accept", str(new_id), "--expect-revision", "1")
    assert code == 4 and "is revision 2, not revision 1" in err
    assert _status(review_ws, new_id) == "pending"


def test_edit_makes_a_new_revision(review_ws, pair):
    doc = pair.json(review_ws, "edit", "1", "--question", "What is FOB?")
    new_id = doc["pairs"][0]["new_id"]
    shown = pair.json(review_ws, "show", str(new_id))
    assert shown["pair"]["question"] == "What is FOB?" and shown["pair"]["revision"] == 2
    assert [c["id"] for c in shown["chain"]] == [1, new_id]
    code, _, err = pair(review_ws, "edit", "1")
    assert code != 0 and "--question" in err


def test_superseded_pairs_are_listed_with_their_replacement_and_restored(review_ws, pair):
    new_id = pair.json(review_ws, "edit", "1", "--answer", "Edited answer.")["pairs"][0]["new_id"]
    listed = pair.json(review_ws, "list", "--status", "superseded")
    assert listed["pairs"] == [{**listed["pairs"][0], "id": 1, "status": "superseded", "replaced_by": [new_id]}]
    code, out, _ = pair(review_ws, "restore", "1")
    assert code == 0 and "restored pair 1 as pair" in out
    restored = pair.json(review_ws, "list", "--status", "all", "--search", "Edited answer.")["pairs"]
    assert restored == []  # the edited text is superseded now
    conn = review_ws.connect()
    current = conn.execute("SELECT id, answer, revision FROM qa_pairs WHERE lineage_id = (SELECT lineage_id FROM"
                           " qa_pairs WHERE id = 1) AND status != 'superseded'").fetchall()
    original = get_pair(conn, 1)["answer"]
    conn.close()
    assert [(r["answer"], r["revision"]) for r in current] == [(original, 3)]
    code, _, err = pair(review_ws, "restore", "2")
    assert code != 0 and "pair 2 is pending, not superseded" in err
    # undo of the restore brings the edited text back
    assert "Undid your restore of pair" in pair(review_ws, "undo")[1]
    again = pair.json(review_ws, "list", "--status", "all", "--search", "Edited answer.")["pairs"]
    assert len(again) == 1 and again[0]["revision"] == 4


def test_undo_says_what_it_undid_and_older_actions_by_id(review_ws, pair):
    code, out, err = pair(review_ws, "undo")
    assert code != 0 and "nothing to undo" in err
    pair(review_ws, "accept", "1")
    pair(review_ws, "reject", "2", "--reason", "dup")
    pair(review_ws, "accept", "3", "--reviewer", "bob")
    stack = pair.json(review_ws, "undo", "--list")["actions"]
    assert [e["description"] for e in stack] == ["your reject of pair 2", "your accept of pair 1"]
    code, out, _ = pair(review_ws, "undo", "--action", str(stack[1]["id"]))
    assert code == 0 and out.strip() == "Undid your accept of pair 1."
    assert _status(review_ws, 1) == "pending" and _status(review_ws, 2) == "rejected"
    doc = pair.json(review_ws, "undo")
    assert doc["pair_ids"] == [2] and doc["description"] == "undid your reject of pair 2"
    assert _status(review_ws, 2) == "pending" and _status(review_ws, 3) == "accepted"  # bob's stays
    code, _, err = pair(review_ws, "undo", "--action", str(stack[1]["id"]))
    assert code != 0 and "already undone" in err


def test_undo_leaves_a_pair_someone_changed_since(review_ws, pair):
    pair(review_ws, "accept", "1")
    pair(review_ws, "reject", "1", "--reviewer", "bob", "--expect-status", "accepted")
    doc = pair.json(review_ws, "undo")
    assert doc["skipped"] == 1 and doc["pair_ids"] == []
    assert _status(review_ws, 1) == "rejected"


def test_regenerate_a_template_pair_is_refused_and_changes_nothing(review_ws, pair):
    rows = _audit_rows(review_ws)
    for pair_id, kind in ((4, "a glossary entry"), (5, "an exam item"), (6, "an imported QA file")):
        code, _, err = pair(review_ws, "regenerate", str(pair_id), "--yes")
        assert code != 0 and f"pair {pair_id} was made from {kind} by a template" in err
        assert "nothing was changed" in err
    assert _audit_rows(review_ws) == rows
    conn = review_ws.connect()
    assert conn.execute("SELECT COUNT(*) FROM regenerations").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM llm_calls").fetchone()[0] == 0
    conn.close()


def test_writes_use_the_workspace_reviewer_by_default(review_ws, pair):
    ws = as_reviewer(review_ws, "carol") if 'reviewer = "alice"' not in review_ws.config_path.read_text() \
        else review_ws
    pair(ws, "accept", "7")
    conn = ws.connect()
    assert history(conn, 7)[-1]["actor"] == "alice"
    conn.close()
