"""Moving a limit re-decides from the stored scores: nothing is measured again, and the flags follow."""

from __future__ import annotations

from curator.filters.run import run_filters
from curator.filters.verdicts import failing_pairs, redecide
from tests.filters.conftest import active, add_pairs, set_filters, settings_of

PAIRS = [
    ("Which documents does the importer need for customs clearance of frozen shrimp?",
     "An invoice and a health certificate."),
    ("Which documents does the importer need for the customs clearance of frozen shrimps?",
     "An invoice and a health certificate."),
    ("Explain the bullwhip effect in supply chains with an example.",
     ("Small changes in consumer demand grow as orders move upstream: a retailer orders a little extra, the "
      "wholesaler adds safety stock, and the factory sees a large swing.")),
    ("What is the bullwhip effect?", "answer answer answer answer answer answer answer answer answer answer"),
]


def counts(conn):
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("runs", "filter_scores", "llm_calls")}


def test_changing_cutoffs_re_decides_without_recomputing(workspace):
    ids = add_pairs(workspace, PAIRS)
    run_filters(workspace, only=["dedup", "rules"])
    conn = workspace.connect()
    before = counts(conn)
    near = conn.execute("SELECT score FROM filter_scores WHERE kind = 'near_duplicate' AND current = 1").fetchall()
    assert len(near) == 1 and 90 <= near[0][0] < 100
    failing = {r["pair_id"] for r in failing_pairs(conn, settings_of(workspace))}
    assert ids[1] in failing and ids[3] in failing  # near duplicate; repetitive answer

    set_filters(workspace, fuzzy_cutoff=near[0][0] + 1, max_answer_repetition=0.95)
    failing = {r["pair_id"] for r in failing_pairs(conn, settings_of(workspace))}
    assert ids[1] not in failing and ids[3] not in failing
    assert active(conn, "near_duplicate")  # the stored flags only change when re-decided
    redecide(conn, settings_of(workspace))
    assert not active(conn, "near_duplicate")
    assert not [f for f in active(conn, "rule") if f["pair_id"] == ids[3]]

    set_filters(workspace, fuzzy_cutoff=90, max_answer_repetition=0.5, max_answer_chars=100)
    failing = {r["pair_id"]: r for r in failing_pairs(conn, settings_of(workspace))}
    assert ids[1] in failing and ids[3] in failing
    assert [r["reason"] for r in failing[ids[2]]["reasons"]] == [f"answer has {len(PAIRS[2][1])} characters, over the maximum of 100"]
    redecide(conn, settings_of(workspace))
    assert {f["pair_id"] for f in active(conn, "near_duplicate")} == {ids[1]}
    assert counts(conn) == before  # no run, no new measurement, no model call
    conn.close()


def test_accepted_pairs_are_listed_only_when_asked(workspace):
    ids = add_pairs(workspace, [PAIRS[0], PAIRS[1]])
    run_filters(workspace, only=["dedup"])
    conn = workspace.connect()
    conn.execute("UPDATE qa_pairs SET status = 'accepted' WHERE id = ?", (ids[1],))
    assert not failing_pairs(conn, settings_of(workspace))
    assert [r["pair_id"] for r in failing_pairs(conn, settings_of(workspace), include_accepted=True)] == [ids[1]]
    conn.close()
