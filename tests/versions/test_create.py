"""version create: what goes in, what each row says about where it came from, and the files it leaves."""

from __future__ import annotations

import json

import datasets
import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from curator.errors import CuratorError
from curator.schemas import load_schema, validation_errors
from curator.store import transaction
from curator.store.pairs import revise_pair, set_status
from curator.store.versions import get_version, list_versions
from curator.versions import NothingToVersion, create_version


def _rows(version) -> pd.DataFrame:
    return pd.read_parquet(version.path / "data.parquet")


def test_version_holds_accepted_pairs_that_pass_the_filters(seeded):
    ws, ids = seeded
    version = create_version(ws, message="first")
    rows = _rows(version)
    taken = set(rows["pair_id"])
    expected_in = {ids[n] for n in ("llm", "glossary", "exam", "good_judge", *(f"import{i}" for i in range(12)))}
    assert taken == expected_in  # the retired duplicate flag on import0 no longer excludes it
    excluded = version.manifest["filters"]["excluded"]
    assert excluded == {"flag:near_duplicate": 1, "flag:judge": 1}
    assert version.pair_count == len(expected_in) == version.manifest["counts"]["total"]


def test_include_pending_adds_pending_but_never_rejected_or_superseded(seeded):
    ws, ids = seeded
    conn = ws.connect()
    with transaction(conn):
        new_id = revise_pair(conn, ids["import1"], "kim", answer="선적 전에 세관에 신고합니다.")
    conn.close()
    rows = _rows(create_version(ws, message="with pending", include_pending=True))
    assert ids["pending"] in set(rows["pair_id"])
    assert ids["rejected"] not in set(rows["pair_id"])
    assert ids["import1"] not in set(rows["pair_id"]) and new_id in set(rows["pair_id"])
    assert rows.loc[rows["pair_id"] == ids["pending"], "status"].item() == "pending"


def test_every_origin_carries_its_lineage(seeded):
    ws, ids = seeded
    rows = _rows(create_version(ws, message="lineage")).set_index("pair_id")
    for name in ("llm", "glossary", "exam", "import3"):
        row = rows.loc[ids[name]]
        assert row["source_uri"].startswith("/corpus/"), name
        assert row["document_uri"], name
        assert row["reviewer"] == "kim" and row["review_decision"] == "accept", name
        assert row["reviewed_at"] and row["created_at"], name
    llm = rows.loc[ids["llm"]]
    assert llm["origin"] == "llm" and llm["model"] == "gemma-3-270m" and llm["prompt_version"] == "qa-v2"
    assert llm["llm_call_id"] > 0 and llm["chunk_id"] > 0
    assert (llm["char_start"], llm["time_start"], llm["time_end"]) == (0, 12.0, 27.25)
    assert (llm["evidence_time_start"], llm["evidence_time_end"]) == (15.5, 21.0)  # the cue the evidence sits in
    assert rows.loc[ids["good_judge"], "judge_score"] == 8
    assert json.loads(rows.loc[ids["good_judge"], "flags"])[0]["kind"] == "judge"
    assert rows.loc[ids["glossary"], "template"] == "glossary_term_to_definition_ko"


def test_rows_and_manifest_match_their_schemas(seeded):
    ws, _ = seeded
    version = create_version(ws, message="schemas")
    for schema in ("qa_record", "version_manifest"):
        Draft202012Validator.check_schema(load_schema(schema))
    for record in pq_records(version):
        assert validation_errors("qa_record", record) == []
    manifest = json.loads((version.path / "manifest.json").read_text(encoding="utf-8"))
    assert validation_errors("version_manifest", manifest) == []
    assert manifest == get_version(ws.connect(), version.id)["manifest"]
    assert manifest["counts"]["by_origin"] == {"llm": 1, "glossary": 1, "exam": 1, "import": 13}
    assert manifest["counts"]["by_source"]["/corpus/qa/faq_ko.jsonl"] == 13
    assert manifest["prompt_versions"] == ["qa-v2"] and manifest["models"] == ["gemma-3-270m"]
    assert manifest["review"]["reviewers"] == {"kim": 16}
    assert manifest["split"]["seed"] == ws.config["split"]["seed"]
    assert {f["path"] for f in manifest["files"]} >= {"data.parquet", "contexts.parquet", "hf/dataset_dict.json"}


def pq_records(version) -> list[dict]:
    frame = _rows(version)
    return [{k: (None if pd.isna(v) else v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


def test_hf_dataset_dict_has_both_splits_and_matches_the_parquet(seeded):
    ws, ids = seeded
    version = create_version(ws, message="hf")
    dd = datasets.load_from_disk(str(version.path / "hf"))
    rows = _rows(version)
    assert set(dd) == {"train", "test"}
    for split in ("train", "test"):
        assert sorted(dd[split]["pair_id"]) == sorted(rows.loc[rows["split"] == split, "pair_id"])
    assert ids["exam"] in dd["test"]["pair_id"]  # held out for evaluation: always test


def test_creating_the_same_pairs_again_changes_nothing(seeded):
    ws, _ = seeded
    first = create_version(ws, message="first")
    again = create_version(ws, message="a different message")
    assert again.id == first.id and again.created is False
    assert [v["id"] for v in list_versions(ws.connect())] == [first.id]
    assert get_version(ws.connect(), first.id)["message"] == "first"


def test_an_edit_or_a_decision_makes_a_new_version_with_its_parent(seeded):
    ws, ids = seeded
    first = create_version(ws, message="first")
    conn = ws.connect()
    with transaction(conn):
        set_status(conn, ids["import5"], "rejected", "kim")
    conn.close()
    second = create_version(ws, message="second")
    assert second.id != first.id and second.created
    assert second.manifest["parent"] == first.id
    assert second.pair_count == first.pair_count - 1


def test_nothing_accepted_says_so_and_writes_nothing(workspace):
    with pytest.raises(NothingToVersion, match="nothing to version"):
        create_version(workspace, message="empty")
    assert list_versions(workspace.connect()) == []
    root = workspace.path("versions")
    assert not root.exists() or not any(root.iterdir())


def test_bad_test_size_is_refused(seeded):
    ws, _ = seeded
    with pytest.raises(CuratorError, match="test-size"):
        create_version(ws, message="bad", test_size=1.5)


def test_empty_answers_are_left_out_and_reported(seeded):
    ws, ids = seeded
    conn = ws.connect()
    with transaction(conn):
        conn.execute("UPDATE qa_pairs SET answer = '  ' WHERE id = ?", (ids["import2"],))
    version = create_version(ws, message="empty answer")
    assert ids["import2"] not in set(_rows(version)["pair_id"])
    assert version.manifest["filters"]["excluded"]["empty_question_or_answer"] == 1
    errors = conn.execute("SELECT location, message FROM errors WHERE stage = 'version'").fetchall()
    message = "empty question or answer: left out of the version"
    assert [tuple(e) for e in errors] == [(f"pair {ids['import2']}", message)]
    conn.close()
