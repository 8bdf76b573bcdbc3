"""Pairs and decisions are never deleted; edits are revisions; every decision is in the audit log."""

import sqlite3

import pytest

from curator.store import transaction
from curator.store.pairs import add_pair, get_pair, history, revise_pair, revision_chain, set_status


def _pair(conn, q="What is FOB?", a="Free On Board."):
    with transaction(conn):
        return add_pair(conn, question=q, answer=a, origin="import", actor="tester")


def test_pairs_and_reviews_cannot_be_deleted(conn):
    pid = _pair(conn)
    with transaction(conn):
        set_status(conn, pid, "accepted", "alice")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        conn.execute("DELETE FROM qa_pairs WHERE id = ?", (pid,))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM reviews")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE reviews SET actor = 'mallory'")
    assert [h["action"] for h in history(conn, pid)] == ["create", "accept"]


def test_edit_makes_a_revision_and_keeps_the_old_one(conn):
    pid = _pair(conn)
    with transaction(conn):
        set_status(conn, pid, "accepted", "alice")
        new_id = revise_pair(conn, pid, "alice", answer="Free On Board: risk passes when goods are on the vessel.")
    old, new = get_pair(conn, pid), get_pair(conn, new_id)
    assert old["status"] == "superseded" and old["answer"] == "Free On Board."
    assert new["parent_id"] == pid and new["revision"] == 2 and new["lineage_id"] == old["lineage_id"]
    assert new["status"] == "accepted"
    assert [p["id"] for p in revision_chain(conn, new_id)] == [pid, new_id]
    edit = [h for h in history(conn, pid) if h["action"] == "edit"][0]
    assert edit["actor"] == "alice"
    assert edit["before"]["answer"] == "Free On Board."
    assert edit["after"]["superseded_by"] == new_id


def test_a_failed_transaction_leaves_no_half_pair(conn):
    with pytest.raises(RuntimeError):
        with transaction(conn):
            add_pair(conn, question="Q?", answer="A", origin="import", actor="tester")
            raise RuntimeError("crash between the pair and anything after it")
    assert conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 0


def test_unknown_origin_is_refused(conn):
    with pytest.raises(ValueError, match="unknown origin"):
        add_pair(conn, question="Q?", answer="A", origin="magic", actor="tester")
