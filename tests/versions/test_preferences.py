"""Preference records from scripted review sessions, frozen in versions, split without leaks, exported for TRL."""

from __future__ import annotations

import json

import polars as pl
import pytest

from curator.filters.keeper import set_keeper
from curator.filters.run import run_filters
from curator.filters.settings import FilterSettings
from curator.preferences import collect
from curator.store import transaction
from curator.store.catalog import add_chunk, add_document, add_source
from curator.store.extract_queue import store_pairs
from curator.store.pairs import add_pair, set_status
from curator.store.review_actions import decide, save_edit, undo_last
from curator.versions import create_version, export_version, verify_version, version_stats
from curator.versions.identity import split_settings, version_id
from curator.versions.preferences import NEGATIVES_FILE, PREFERENCES_FILE
from curator.versions.snapshot import read_snapshot
from tests.conftest import run_curator

CONFLICT_Q = "Who pays the freight under CIF?"


def _session(ws) -> dict[str, int]:
    """A review session: an edit, a kept regeneration, a keeper chosen in a conflict, rejects with and without
    a reason, and an edit that was undone. Returns the pair ids by name."""
    conn = ws.connect()
    ids: dict[str, int] = {}
    with transaction(conn):
        src = add_source(conn, "file", "/corpus/lecture.txt", doc_kind="document")
        doc = add_document(conn, src, "/corpus/lecture.txt", "text", "FOB and CIF explained.", language="en")
        chunk = add_chunk(conn, doc, 0, "FOB and CIF explained.", 0, 22, 6)
        conn.execute("UPDATE chunks SET extract_status = 'done' WHERE id = ?", (chunk,))
        ids["edited"] = add_pair(conn, question="What does FOB mean?", answer="Free on bored.", origin="import",
                                 actor="machine:import", language="en")
        ids["regen_old"] = add_pair(conn, question="What does CIF add to FOB?", answer="Nothing.", origin="llm",
                                    actor="machine:extract", chunk_id=chunk, document_id=doc, source_id=src,
                                    language="en")
        # the earlier pair is the policy's keeper: the reviewer overrules it
        ids["loser"] = add_pair(conn, question=CONFLICT_Q, answer="The buyer pays it after loading.",
                                origin="import", actor="machine:import", language="en")
        ids["keeper"] = add_pair(conn, question=CONFLICT_Q, answer="The seller pays the freight.", origin="import",
                                 actor="machine:import", language="en")
        ids["bad"] = add_pair(conn, question="What is demurrage?", answer="A kind of boat.", origin="import",
                              actor="machine:import", language="en")
        ids["bad_no_reason"] = add_pair(conn, question="What is a tariff?", answer="idk", origin="import",
                                        actor="machine:import", language="en")
        ids["undone"] = add_pair(conn, question="What is an HS code?", answer="A code.", origin="import",
                                 actor="machine:import", language="en")
        ids["plain"] = add_pair(conn, question="What is a bill of lading?", answer="A document of title.",
                                origin="import", actor="machine:import", language="en")
    decide(conn, ids["edited"], "accepted", "kim")
    ids["edited_new"] = save_edit(conn, ids["edited"], "kim", question="What does FOB mean?",
                                  answer="Free On Board: the seller delivers on board the vessel.", reason="typo")
    chunk_row = dict(conn.execute("SELECT c.*, d.source_id FROM chunks c JOIN documents d ON d.id = c.document_id"
                                  " WHERE c.id = ?", (chunk,)).fetchone())
    new = store_pairs(conn, chunk_row, [
        {"question": "What does CIF add to FOB?", "answer": "Cost, insurance and freight paid by the seller.",
         "language": "en"},
        {"question": "Who insures the goods under CIF?", "answer": "The seller.", "language": "en"}],
        expect_status="done", supersede=[ids["regen_old"]])
    ids["regen_new"], ids["regen_other"] = new
    decide(conn, ids["regen_new"], "accepted", "lee")
    decide(conn, ids["regen_other"], "accepted", "lee")
    for name in ("keeper", "loser", "plain"):
        decide(conn, ids[name], "accepted", "kim")
    decide(conn, ids["bad"], "rejected", "lee", reason="wrong: demurrage is a charge for late container return")
    decide(conn, ids["bad_no_reason"], "rejected", "lee")
    ids["undone_new"] = save_edit(conn, ids["undone"], "ana", question="What is an HS code?",
                                  answer="A six-digit customs code.")
    undo_last(conn, "ana")
    conn.close()
    run_filters(ws, only=["dedup"])
    conn = ws.connect()
    set_keeper(conn, ids["keeper"], "kim", FilterSettings.from_config(ws.config["filters"]), reason="the seller pays under CIF")
    conn.close()
    return ids


def test_every_kind_of_correction_becomes_a_record_with_its_lineage(workspace):
    ids = _session(workspace)
    conn = workspace.connect()
    found = collect(conn)
    conn.close()
    by_kind = {p.kind: p for p in found.pairs}
    assert sorted(p.kind for p in found.pairs) == ["edit", "keeper", "regenerate"]
    edit = by_kind["edit"]
    assert (edit.prompt, edit.chosen, edit.rejected) == (
        "What does FOB mean?", "Free On Board: the seller delivers on board the vessel.", "Free on bored.")
    assert (edit.chosen_pair_id, edit.rejected_pair_id, edit.reviewer, edit.reason) == (
        ids["edited_new"], ids["edited"], "kim", "typo")
    assert edit.decided_at and edit.chosen_lineage_id == edit.rejected_lineage_id
    regen = by_kind["regenerate"]
    assert (regen.chosen, regen.rejected, regen.reviewer) == (
        "Cost, insurance and freight paid by the seller.", "Nothing.", "lee")
    assert (regen.chosen_pair_id, regen.rejected_pair_id) == (ids["regen_new"], ids["regen_old"])
    keeper = by_kind["keeper"]
    assert (keeper.prompt, keeper.chosen, keeper.rejected) == (
        CONFLICT_Q, "The seller pays the freight.", "The buyer pays it after loading.")
    assert (keeper.chosen_pair_id, keeper.rejected_pair_id, keeper.reason) == (
        ids["keeper"], ids["loser"], "the seller pays under CIF")
    # the undone edit gives nothing; only the reject with a reason is a negative
    assert all(ids["undone"] not in (p.chosen_pair_id, p.rejected_pair_id) for p in found.pairs)
    assert [(n.pair_id, n.completion, n.reviewer) for n in found.negatives] == [(ids["bad"], "A kind of boat.", "lee")]
    assert found.negatives[0].reason.startswith("wrong: demurrage")


def test_a_version_freezes_them_and_counts_them(workspace):
    ids = _session(workspace)
    created = create_version(workspace, message="with preferences")
    folder = created.path
    prefs = pl.read_parquet(folder / PREFERENCES_FILE)
    negs = pl.read_parquet(folder / NEGATIVES_FILE)
    assert sorted(prefs["kind"].to_list()) == ["edit", "keeper", "regenerate"]
    assert set(prefs.columns) >= {"prompt", "chosen", "rejected", "chosen_pair_id", "rejected_pair_id", "reviewer",
                                  "reason", "decided_at", "split"}
    assert negs["pair_id"].to_list() == [ids["bad"]]
    manifest = created.manifest
    assert manifest["preferences"]["pairs"] == 3 and manifest["preferences"]["negatives"] == 1
    assert {f["path"] for f in manifest["files"]} >= {PREFERENCES_FILE, NEGATIVES_FILE}
    assert verify_version(workspace, created.id).ok
    stats = version_stats(workspace, created.id)
    assert stats["preferences"]["pairs"] == 3 and stats["preferences"]["negatives"] == 1
    # the same store gives the same version; a new correction gives a new one
    assert create_version(workspace, message="again").id == created.id
    conn = workspace.connect()
    save_edit(conn, ids["plain"], "kim", question="What is a bill of lading?",
              answer="A document of title issued by the carrier.")
    conn.close()
    assert create_version(workspace, message="one more edit").id != created.id


def test_editing_a_preference_table_is_caught_by_verify(workspace):
    _session(workspace)
    created = create_version(workspace, message="with preferences")
    path = created.path / PREFERENCES_FILE
    frame = pl.read_parquet(path).with_columns(chosen=pl.lit("tampered"))
    path.chmod(0o644)
    frame.write_parquet(path)
    report = verify_version(workspace, created.id)
    assert not report.ok and any(PREFERENCES_FILE in p for p in report.problems)


def test_a_version_without_preferences_keeps_its_id(workspace):
    conn = workspace.connect()
    with transaction(conn):
        for n in range(6):
            pid = add_pair(conn, question=f"Question {n}?", answer=f"Answer {n}.", origin="import", actor="t")
            set_status(conn, pid, "accepted", "kim")
    created = create_version(workspace, message="plain")
    sel_settings = created.manifest["split"]
    from curator.versions.create import selection_from_config

    snapshot = read_snapshot(conn, workspace.db_path, selection_from_config(workspace))
    conn.close()
    assert created.id == version_id(snapshot.table, split_settings(
        sel_settings["seed"], sel_settings["test_size"], sel_settings["held_out"], sel_settings.get("group_by", "pair")))
    assert "preferences" not in created.manifest
    assert not (created.path / PREFERENCES_FILE).exists()


def test_no_test_prompt_appears_in_the_training_preferences(workspace):
    """Many edited pairs, half of them in test: every record of a test pair, or whose prompt is a test
    question (a conflicting duplicate of it), is on the test side."""
    conn = workspace.connect()
    ids = []
    with transaction(conn):
        for n in range(40):
            ids.append(add_pair(conn, question=f"What is term {n}?", answer=f"Draft {n}.", origin="import",
                                actor="machine:import"))
        for n in range(0, 40, 4):  # a second pair asking the same question as pair n, with its own lineage
            ids.append(add_pair(conn, question=f"What is term {n}?", answer=f"Other draft {n}.", origin="import",
                                actor="machine:import"))
    for pid in ids:
        decide(conn, pid, "accepted", "kim")
    for pid in ids:
        save_edit(conn, pid, "kim", question=conn.execute("SELECT question FROM qa_pairs WHERE id = ?",
                                                          (pid,)).fetchone()[0], answer=f"Reviewed answer {pid}.")
    conn.close()
    created = create_version(workspace, message="half test", test_size=0.5)
    data = pl.read_parquet(created.path / "data.parquet")
    prefs = pl.read_parquet(created.path / PREFERENCES_FILE)
    test_questions = set(data.filter(pl.col("split") == "test")["question"].to_list())
    assert 0 < len(test_questions) < data.height
    train = prefs.filter(pl.col("split") == "train")
    assert train.height > 0
    assert not set(train["prompt"].to_list()) & test_questions
    split_of = dict(zip(data["lineage_id"].to_list(), data["split"].to_list()))
    for row in prefs.iter_rows(named=True):
        if split_of[row["chosen_lineage_id"]] == "test":
            assert row["split"] == "test"


def test_dpo_and_kto_exports_load_with_datasets(workspace, tmp_path):
    import datasets

    _session(workspace)
    created = create_version(workspace, message="with preferences", test_size=0.0)
    dpo = export_version(workspace, created.id, "dpo", out=tmp_path / "dpo", system="Answer briefly.")
    export_version(workspace, created.id, "kto", out=tmp_path / "kto")
    assert [f["split"] for f in dpo.files] == ["train"] and dpo.skipped_empty == ["test"]
    loaded = datasets.load_dataset("json", data_files={"train": str(tmp_path / "dpo" / "train.jsonl")})["train"]
    assert loaded.num_rows == 3 and set(loaded.column_names) == {"prompt", "chosen", "rejected"}
    edit = next(r for r in loaded if r["chosen"][0]["content"].startswith("Free On Board"))
    assert edit["prompt"] == [{"role": "system", "content": "Answer briefly."},
                              {"role": "user", "content": "What does FOB mean?"}]
    assert edit["rejected"] == [{"role": "assistant", "content": "Free on bored."}]
    unpaired = datasets.load_dataset("json", data_files=str(tmp_path / "kto" / "train.jsonl"))["train"]
    assert set(unpaired.column_names) == {"prompt", "completion", "label"}
    labels = unpaired["label"]
    assert labels.count(False) == 4  # three rejected answers of the records and one reasoned reject
    assert labels.count(True) == created.pair_count
    bad = [r for r in unpaired if not r["label"]]
    assert {r["completion"][0]["content"] for r in bad} >= {"A kind of boat.", "Nothing."}


def test_dpo_export_of_a_version_without_records_says_so(workspace, tmp_path):
    conn = workspace.connect()
    with transaction(conn):
        pid = add_pair(conn, question="Q?", answer="A.", origin="import", actor="t")
        set_status(conn, pid, "accepted", "kim")
    conn.close()
    create_version(workspace, message="plain")
    result = run_curator("-w", str(workspace.root), "export", "latest", "--format", "dpo", "-o", str(tmp_path / "x"))
    assert result.returncode != 0
    assert "holds no preference records" in (result.stderr + result.stdout)
    assert not (tmp_path / "x").exists()


@pytest.mark.slow  # three curator processes
def test_the_cli_exports_dpo_and_shows_the_counts(workspace, tmp_path):
    _session(workspace)
    made = run_curator("-w", str(workspace.root), "version", "create", "-m", "prefs", "--json")
    assert made.returncode == 0, made.stderr
    vid = json.loads(made.stdout)["id"]
    stats = run_curator("-w", str(workspace.root), "version", "stats", vid)
    assert "Preference records: 3" in stats.stdout and "unpaired negatives: 1" in stats.stdout
    exported = run_curator("-w", str(workspace.root), "export", vid, "--format", "dpo", "-o",
                           str(tmp_path / "prefs.jsonl"), "--json")
    assert exported.returncode == 0, exported.stderr
    lines = (tmp_path / "prefs.jsonl").read_text().splitlines()
    assert len(lines) == 3 and all(set(json.loads(line)) == {"prompt", "chosen", "rejected"} for line in lines)


def test_a_regeneration_the_reviewer_confirmed_is_a_record_and_an_undone_one_is_not(workspace):
    from curator.store.regenerations import keep_regeneration, record_preview
    from curator.store.review_actions import undo_last

    conn = workspace.connect()
    with transaction(conn):
        src = add_source(conn, "file", "/corpus/lecture.txt", doc_kind="document")
        doc = add_document(conn, src, "/corpus/lecture.txt", "text", "Demurrage and detention.", language="en")
        chunk = add_chunk(conn, doc, 0, "Demurrage and detention.", 0, 24, 6)
        old = add_pair(conn, question="What is demurrage?", answer="A boat.", origin="llm", actor="machine:extract",
                       chunk_id=chunk, document_id=doc, source_id=src)
        other = add_pair(conn, question="What is detention?", answer="Jail.", origin="llm", actor="machine:extract",
                         chunk_id=chunk, document_id=doc, source_id=src)

    def regenerate(pair_id: int, question: str, answer: str) -> dict:
        row = conn.execute("SELECT id, status, revision FROM qa_pairs WHERE id = ?", (pair_id,)).fetchone()
        regen = record_preview(conn, actor="ana", target="pair", chunk_id=chunk, pair_id=pair_id, attempt=1,
                               old=[{"id": row["id"], "status": row["status"], "revision": row["revision"],
                                     "replace": True}],
                               candidates=[{"question": question, "answer": answer}], llm_call_id=None)
        return keep_regeneration(conn, regen, "ana")

    kept = regenerate(old, "What is demurrage?", "A charge for containers kept past the free time.")
    regenerate(other, "What is detention?", "A charge for keeping equipment outside the terminal.")
    undo_last(conn, "ana")  # the second regeneration is undone
    found = collect(conn)
    conn.close()
    assert [(p.kind, p.chosen_pair_id, p.rejected_pair_id, p.reviewer) for p in found.pairs] == [
        ("regenerate", kept["kept"][0], old, "ana")]
