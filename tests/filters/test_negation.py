"""A negation that only one question has makes it another question: never a duplicate, a conflict or a paraphrase.

"Does X block?" and "Does X not block?" look alike to spelling and to sentence
embeddings, and a shared answer ("Yes.") would make them duplicates; a version would
lose one. English and Korean, as a user would meet them.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from curator.filters.clusters import KeeperInputs
from curator.filters.dedup import find_duplicates
from curator.filters.lexicon import is_negation, negation_differs
from curator.filters.normalize import normalize_all
from curator.filters.run import run_filters
from curator.filters.variants import changed_words_similarity
from tests.filters.conftest import active, add_pairs, set_filters

NEGATED = [
    ("Does the queue block when it is full?", "Does the queue not block when it is full?"),
    ("Why don't importers pay the duty at the port?", "Why do importers pay the duty at the port?"),
    ("Can a bill of lading be transferred to a third party?", "Can a bill of lading never be transferred to a third party?"),
    ("이 서류는 통관에 필요합니까?", "이 서류는 통관에 필요하지 않습니까?"),
    ("수입자는 관세를 납부할 수 있습니까?", "수입자는 관세를 납부할 수 없습니까?"),
]


def _grouped(pairs: list[tuple[str, str]], answer: str, settings) -> list[bool]:
    questions = [q for pair in pairs for q in pair]
    n = len(questions)
    inputs = KeeperInputs(np.zeros(n, bool), np.zeros(n, bool), np.full(n, np.nan), np.full(n, np.nan), np.arange(n))
    c = find_duplicates(questions, [answer] * n, inputs, settings).clusters
    cluster_of = dict(zip(c.member.tolist(), c.cluster.tolist()))
    return [cluster_of.get(2 * k, -1) == cluster_of.get(2 * k + 1, -2) for k in range(len(pairs))]


def test_negation_words_are_known_in_english_and_korean():
    assert all(is_negation(w) for w in ("not", "never", "dont", "cannot", "안", "않습니까", "없습니까"))
    assert not any(is_negation(w) for w in ("note", "know", "안전", "bill", "있습니까"))
    assert negation_differs(("is", "it", "not", "free"), ("is", "it", "free"))
    assert not negation_differs(("is", "it", "not", "free"), ("it", "is", "not", "free"))


@pytest.mark.parametrize("a, b", NEGATED)
def test_a_negation_on_one_side_is_a_changed_question(a, b):
    x, y = normalize_all([a, b])
    assert changed_words_similarity(x, y) == 0.0


def test_negated_questions_with_one_answer_are_not_clustered_but_a_typo_still_is(settings):
    assert _grouped(NEGATED, "Yes, in most cases it does.", settings) == [False] * len(NEGATED)
    typos = [("Does the queue block when it is full?", "Does the queue blokc when it is full?"),
             ("이 서류는 통관에 필요합니까?", "이 서류는 통관에 필요합니까"),
             ("Does the queue block when it is full?", "Does teh queue blokc when it is full?")]  # two slips
    assert _grouped(typos, "Yes, in most cases it does.", settings) == [True, True, True]


@pytest.mark.slow
@pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("all_minilm_l6_v2", "onnxruntime", "faiss")),
                    reason="needs the embedding model (extra `local`) and faiss-cpu")
def test_the_embeddings_do_not_merge_a_question_with_its_negation(workspace, tmp_path, monkeypatch):
    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    set_filters(workspace, semantic=True)
    answer = "The carrier issues it once the goods are loaded on board."
    ids = add_pairs(workspace, [("When is a clean bill of lading issued?", answer),
                                ("When is a clean bill of lading not issued?", answer),
                                ("When is a clean bill of lading given out?", answer)])
    counts = run_filters(workspace, only=["dedup"])
    assert counts["dedup"]["semantic"]["embedded"] == 3
    conn = workspace.connect()
    try:
        flagged = {f["pair_id"] for kind in ("duplicate", "near_duplicate", "semantic_duplicate", "conflict")
                   for f in active(conn, kind)}
    finally:
        conn.close()
    assert ids[1] not in flagged  # the negated question stays its own
    assert ids[2] in flagged  # the paraphrase is still found
