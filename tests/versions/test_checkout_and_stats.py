"""checkout puts pair statuses back as a version had them (logged); stats measures lengths and suggests max_length."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from curator.errors import CuratorError
from curator.store import transaction
from curator.store.pairs import add_pair, get_pair, history, revise_pair, set_status
from curator.versions import checkout_version, create_version, version_stats


def test_checkout_restores_statuses_in_one_logged_transaction(seeded):
    ws, ids = seeded
    version = create_version(ws, message="reviewed")
    conn = ws.connect()
    with transaction(conn):
        set_status(conn, ids["import1"], "rejected", "park")
        set_status(conn, ids["rejected"], "accepted", "park")
        newer = revise_pair(conn, ids["import2"], "park", answer="다시 쓴 답입니다.")
        extra = add_pair(conn, question="New after the version?", answer="Yes.", origin="import", actor="t")
        set_status(conn, extra, "accepted", "park")
    conn.close()

    preview = checkout_version(ws, version.id, actor="lee", dry_run=True)
    conn = ws.connect()
    assert get_pair(conn, ids["import1"])["status"] == "rejected"  # a dry run changes nothing
    result = checkout_version(ws, version.id, actor="lee")
    assert result.changes == preview.changes
    assert get_pair(conn, ids["import1"])["status"] == "accepted"
    assert get_pair(conn, ids["rejected"])["status"] == "pending"  # accepted now, not in the version: review again
    assert get_pair(conn, extra)["status"] == "pending"
    assert get_pair(conn, newer)["status"] == "pending"
    assert result.edited_since == [ids["import2"]]
    assert get_pair(conn, ids["dup"])["status"] == "accepted"  # left out by its flag, not by review: untouched
    last = history(conn, ids["import1"])[-1]
    assert (last["action"], last["actor"], last["after"]["status"]) == ("checkout", "lee", "accepted")
    assert version.id in last["reason"]
    conn.close()
    again = create_version(ws, message="after checkout")  # all but the edited pair, whose old text is gone
    before = set(pd.read_parquet(version.path / "data.parquet")["pair_id"])
    assert set(pd.read_parquet(again.path / "data.parquet")["pair_id"]) == before - {ids["import2"]}


def test_checkout_of_the_current_state_changes_nothing(seeded):
    ws, _ = seeded
    version = create_version(ws, message="now")
    result = checkout_version(ws, version.id, actor="lee")
    assert result.changes == [] and result.unchanged == version.pair_count


def test_stats_without_a_tokenizer_are_labelled_approximate(seeded, tmp_path):
    ws, _ = seeded
    version = create_version(ws, message="stats")
    png = tmp_path / "lengths.png"
    report = version_stats(ws, version.id, png=png)
    assert report["method"].startswith("approximate")
    assert report["lengths"]["question"]["count"] == version.pair_count
    assert report["lengths"]["example"]["max"] > report["lengths"]["answer"]["max"]
    assert report["suggested_max_length"] % 64 == 0
    assert report["suggested_max_length"] >= report["lengths"]["example"]["p99"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def tiny_tokenizer(tmp_path):
    """A word-level tokenizer trained here on a few strings (no download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(["What does FOB mean ?", "The seller loads the goods on board ."],
                            trainers.WordLevelTrainer(special_tokens=["[UNK]"]))
    path = tmp_path / "tok"
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(str(path))
    return path


def test_stats_with_a_tokenizer_count_its_tokens(seeded, tmp_path, tiny_tokenizer):
    ws, _ = seeded
    version = create_version(ws, message="tok")
    report = version_stats(ws, version.id, tokenizer=tiny_tokenizer, png=tmp_path / "s.png")
    assert report["method"] == f"tokenizer {tiny_tokenizer}"
    # The longest question, "Which Incoterm puts insurance on the seller?\nA) FOB B) CIF", is 14 tokens for a
    # whitespace word-level tokenizer: 7 words, "?", "A", ")", "FOB", "B", ")", "CIF".
    assert report["lengths"]["question"]["max"] == 14
    assert report["lengths"]["example"]["min"] >= report["lengths"]["question"]["min"] + 1


def test_stats_command_prints_json_and_refuses_a_missing_tokenizer(seeded, curator_cmd, tmp_path):
    ws, _ = seeded
    create_version(ws, message="cli stats")
    res = curator_cmd("-w", str(ws.root), "version", "stats", "latest", "--json", "--png", str(tmp_path / "p.png"))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["suggested_max_length"] >= 64
    with pytest.raises(CuratorError, match="not a folder"):
        version_stats(ws, "latest", tokenizer=tmp_path / "nope", png=tmp_path / "q.png")
