"""Large workspaces are read by several processes at once: the result is the same as one process reading."""

from __future__ import annotations

import pandas as pd
import pytest

from curator.store import transaction
from curator.store.pairs import add_pair, set_status
from curator.versions import create_version, verify_version
from curator.versions import snapshot as snapshot_module


def _rows(version) -> pd.DataFrame:
    return pd.read_parquet(version.path / "data.parquet").sort_values("pair_id").reset_index(drop=True)


@pytest.fixture
def parallel(monkeypatch):
    monkeypatch.setattr(snapshot_module, "PARALLEL_MIN_PAIRS", 1)
    monkeypatch.setattr(snapshot_module.os, "cpu_count", lambda: 3)


def test_parts_read_in_child_processes_give_the_same_version(seeded, tmp_path, parallel, monkeypatch):
    ws, _ = seeded
    calls = []
    real = snapshot_module._read_parallel
    monkeypatch.setattr(snapshot_module, "_read_parallel", lambda *a: calls.append(len(a[2])) or real(*a))
    together = create_version(ws, message="three parts")
    assert calls == [3]
    monkeypatch.setattr(snapshot_module, "PARALLEL_MIN_PAIRS", 10**9)
    alone = create_version(ws, message="one part")
    assert alone.id == together.id and alone.created is False
    assert verify_version(ws, together.id).ok
    in_file = list(pd.read_parquet(together.path / "data.parquet")["split"])
    assert in_file == sorted(in_file, reverse=True)  # train rows, then test rows: each split is one slice
    assert together.manifest["filters"]["excluded"] == {"flag:judge": 1, "flag:near_duplicate": 1}


def test_a_write_during_the_parallel_read_makes_it_read_again_in_one_transaction(seeded, parallel, monkeypatch):
    ws, _ = seeded
    real = snapshot_module._read_parallel

    def read_while_someone_accepts(db_path, sel, ranges, while_waiting, scratch):
        parts = real(db_path, sel, ranges, while_waiting, scratch)
        other = ws.connect()
        with transaction(other):
            pair = add_pair(other, question="Accepted during the read?", answer="Yes.", origin="import", actor="t")
            set_status(other, pair, "accepted", "kim")
        other.close()
        return parts

    monkeypatch.setattr(snapshot_module, "_read_parallel", read_while_someone_accepts)
    version = create_version(ws, message="consistent")
    assert "Accepted during the read?" in set(_rows(version)["question"])
    assert version.pair_count == 17
