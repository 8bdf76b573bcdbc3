"""Regenerate through the library and `curator pair regenerate`, against a scripted OpenAI-compatible server
on 127.0.0.1: a new request each time, a preview that changes nothing, keep / discard, undo."""

from __future__ import annotations

import json

import pytest

from curator.extract.stage import run_extraction
from curator.review.regenerate import regenerate_preview
from curator.store.pairs import get_pair
from curator.store.regenerations import keep_regeneration
from curator.store.review_actions import StaleDecision, decide
from tests.support.scripted_llm import ScriptedLLM


@pytest.fixture
def server():
    with ScriptedLLM() as srv:
        yield srv


def _pairs(ws) -> list[dict]:
    conn = ws.connect()
    try:
        return [dict(r) for r in conn.execute("SELECT id, status, question, origin FROM qa_pairs ORDER BY id")]
    finally:
        conn.close()


def test_a_pair_preview_changes_nothing_until_kept(llm_ws, server, pair):
    run_extraction(llm_ws, base_url=server.base_url)
    before = _pairs(llm_ws)
    assert len(before) == 2 and {p["status"] for p in before} == {"pending"}
    sent = len(server.requests)
    code, out, _ = pair(llm_ws, "regenerate", str(before[0]["id"]), "--base-url", server.base_url)
    assert code == 0 and "nothing changed yet" in out and "regeneration 1" in out
    assert _pairs(llm_ws) == before                      # a preview supersedes nothing
    assert len(server.requests) == sent + 1              # a new request, not the cached answer
    body = json.dumps(server.requests[-1]["body"], ensure_ascii=False)
    for p in before:                                     # the chunk's questions, to avoid
        assert json.dumps(p["question"], ensure_ascii=False)[1:-1] in body
    doc = pair.json(llm_ws, "regenerate", "--confirm", "1")
    assert doc["superseded"] == [before[0]["id"]] and len(doc["kept"]) == 1
    after = {p["id"]: p for p in _pairs(llm_ws)}
    assert after[before[0]["id"]]["status"] == "superseded" and after[before[1]["id"]]["status"] == "pending"
    assert after[doc["kept"][0]]["status"] == "pending" and after[doc["kept"][0]]["origin"] == "llm"
    conn = llm_ws.connect()
    actors = {r[0] for r in conn.execute("SELECT actor FROM reviews WHERE action = 'regenerate'")}
    conn.close()
    assert actors == {"alice"}                           # the reviewer, not machine:extract
    code, _, err = pair(llm_ws, "regenerate", "--confirm", "1")
    assert code == 4 and "already kept" in err


def test_each_regeneration_is_a_new_request(llm_ws, server, pair):
    run_extraction(llm_ws, base_url=server.base_url)
    first = _pairs(llm_ws)[0]["id"]
    sent = len(server.requests)
    a = pair.json(llm_ws, "regenerate", str(first), "--base-url", server.base_url)
    b = pair.json(llm_ws, "regenerate", str(first), "--base-url", server.base_url)
    assert len(server.requests) == sent + 2 and (a["attempt"], b["attempt"]) == (1, 2)
    assert [r["body"].get("seed") for r in server.requests[-2:]] == [1, 2]


def test_regenerate_yes_keeps_and_undo_reverts(llm_ws, server, pair):
    run_extraction(llm_ws, base_url=server.base_url)
    old = _pairs(llm_ws)
    doc = pair.json(llm_ws, "regenerate", str(old[0]["id"]), "--yes", "--base-url", server.base_url)
    assert doc["status"] == "kept"
    code, out, _ = pair(llm_ws, "undo")
    assert code == 0 and "Undid your regenerate" in out
    now = {p["id"]: p["status"] for p in _pairs(llm_ws)}
    assert now[old[0]["id"]] == "pending" and now[doc["kept"][0]] == "superseded"


def test_a_chunk_replaces_its_pending_pairs_only(llm_ws, server, pair):
    run_extraction(llm_ws, base_url=server.base_url)
    old = _pairs(llm_ws)
    conn = llm_ws.connect()
    decide(conn, old[1]["id"], "accepted", "alice")
    chunk = get_pair(conn, old[0]["id"])["chunk_id"]
    conn.close()
    doc = pair.json(llm_ws, "regenerate", "--chunk", str(chunk), "--base-url", server.base_url)
    marks = {o["id"]: o["replace"] for o in doc["old"]}
    assert marks == {old[0]["id"]: True, old[1]["id"]: False}
    kept = pair.json(llm_ws, "regenerate", "--confirm", str(doc["regeneration"]), "--keep", "0")
    assert kept["superseded"] == [old[0]["id"]] and len(kept["kept"]) == 1
    now = {p["id"]: p["status"] for p in _pairs(llm_ws)}
    assert now[old[1]["id"]] == "accepted"               # an accepted pair is never replaced by default


def test_keep_is_refused_when_the_old_pair_changed_since(llm_ws, server):
    run_extraction(llm_ws, base_url=server.base_url)
    target = _pairs(llm_ws)[0]["id"]
    preview = regenerate_preview(llm_ws, "alice", pair_id=target, base_url=server.base_url)
    conn = llm_ws.connect()
    decide(conn, target, "accepted", "bob")
    with pytest.raises(StaleDecision, match="now accepted"):
        keep_regeneration(conn, preview.id, "alice")
    assert get_pair(conn, target)["status"] == "accepted"
    assert conn.execute("SELECT COUNT(*) FROM qa_pairs").fetchone()[0] == 2
    conn.close()


def test_a_failed_answer_changes_nothing(llm_ws, server, pair):
    run_extraction(llm_ws, base_url=server.base_url)
    before = _pairs(llm_ws)
    server.queue("invalid_json", "invalid_json", "invalid_json")
    code, _, err = pair(llm_ws, "regenerate", str(before[0]["id"]), "--yes", "--base-url", server.base_url)
    assert code != 0 and "nothing was changed" in err
    assert _pairs(llm_ws) == before
    conn = llm_ws.connect()
    assert conn.execute("SELECT extract_status FROM chunks").fetchone()[0] == "done"
    conn.close()


def test_extract_regenerate_refuses_a_template_pair(review_ws):
    from curator.errors import CuratorError

    conn = review_ws.connect()
    rows = conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    with pytest.raises(CuratorError, match="pair 4 was made by a template"):
        run_extraction(review_ws, regenerate_pairs=[4])
    assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == rows
    conn.close()


def test_a_regeneration_is_recorded_as_a_run_with_its_progress(llm_ws, server):
    run_extraction(llm_ws, base_url=server.base_url)
    target = _pairs(llm_ws)[0]["id"]
    seen = []
    regenerate_preview(llm_ws, "alice", pair_id=target, base_url=server.base_url,
                       on_progress=lambda done, total: seen.append((done, total)))
    assert seen == [(0, 1), (1, 1)]
    conn = llm_ws.connect()
    row = conn.execute("SELECT status, counts FROM runs WHERE stage = 'regenerate'").fetchone()
    conn.close()
    assert row["status"] == "done" and json.loads(row["counts"]) == {"done": 1, "total": 1}
