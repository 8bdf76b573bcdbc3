"""Content addressing (the same pairs give the same id anywhere) and splits that never move a pair."""

from __future__ import annotations

import pandas as pd

from curator.store import transaction
from curator.store.pairs import add_pair, revise_pair, set_status
from curator.versions import create_version
from curator.workspace import init_workspace


def _splits(version) -> dict[str, str]:
    rows = pd.read_parquet(version.path / "data.parquet", columns=["lineage_id", "split"])
    return dict(zip(rows["lineage_id"], rows["split"]))


def _add_accepted(ws, n: int, start: int = 0) -> None:
    conn = ws.connect()
    with transaction(conn):
        for i in range(start, start + n):
            pair = add_pair(conn, question=f"Question number {i}?", answer=f"Answer number {i}.", origin="import",
                            actor="machine:import", language="en")
            set_status(conn, pair, "accepted", "lee")
    conn.close()


def test_same_pairs_in_another_workspace_give_the_same_id(tmp_path, seed_pairs):
    one, two = init_workspace(tmp_path / "one"), init_workspace(tmp_path / "two")
    conn = one.connect()
    seed_pairs(conn)
    conn.close()
    conn = two.connect()
    with transaction(conn):  # other rows first, so every pair id and timestamp differs
        for i in range(7):
            set_status(conn, add_pair(conn, question=f"noise {i}", answer="x", origin="import", actor="t"),
                       "rejected", "t")
    seed_pairs(conn)
    conn.close()
    a, b = create_version(one, message="one"), create_version(two, message="two")
    assert a.id == b.id
    assert a.manifest["files"] != [] and len(a.id) == 16


def test_the_id_changes_with_the_content_and_the_split_settings(seeded):
    ws, ids = seeded
    base = create_version(ws, message="base").id
    assert create_version(ws, message="other seed", seed=7).id != base
    assert create_version(ws, message="other size", test_size=0.3).id != base
    conn = ws.connect()
    with transaction(conn):
        revise_pair(conn, ids["glossary"], "kim", answer="은행이 지급을 약속하는 서류입니다.")
    conn.close()
    assert create_version(ws, message="edited").id not in (base,)


def test_a_pair_keeps_its_split_as_the_dataset_grows_and_changes(workspace):
    _add_accepted(workspace, 300)
    first = _splits(create_version(workspace, message="300"))
    _add_accepted(workspace, 300, start=300)
    conn = workspace.connect()
    with transaction(conn):
        for pair_id in range(1, 40):  # edits keep the lineage id, so they keep the split
            revise_pair(conn, pair_id, "lee", answer=f"Edited answer {pair_id}.")
    conn.close()
    second = _splits(create_version(workspace, message="600 and edits"))
    assert len(first) == 300 and len(second) == 600
    assert all(second[lineage] == split for lineage, split in first.items())
    test_share = sum(s == "test" for s in second.values()) / len(second)
    assert 0.05 < test_share < 0.16  # test_size 0.1, decided per pair by a hash


def test_a_larger_test_size_only_moves_pairs_from_train_to_test(workspace):
    _add_accepted(workspace, 400)
    small = _splits(create_version(workspace, message="0.1", test_size=0.1))
    large = _splits(create_version(workspace, message="0.3", test_size=0.3))
    assert all(large[lineage] == "test" for lineage, split in small.items() if split == "test")
    assert sum(s == "test" for s in large.values()) > sum(s == "test" for s in small.values())


def test_held_out_pairs_go_to_test_or_stay_out(seeded):
    ws, ids = seeded
    rows = pd.read_parquet(create_version(ws, message="held out", test_size=0.0).path / "data.parquet")
    assert set(rows.loc[rows["split"] == "test", "pair_id"]) == {ids["exam"]}
    ws.config["version"]["held_out"] = "exclude"
    version = create_version(ws, message="exclude held out", test_size=0.0)
    assert ids["exam"] not in set(pd.read_parquet(version.path / "data.parquet")["pair_id"])
    assert version.manifest["filters"]["excluded"]["held_out"] == 1
