"""The pairs are read as one moment of the store, by a child process, in parts for large workspaces, from any folder."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from curator.errors import CuratorError
from curator.store.review_actions import decide
from curator.store.versions import list_versions
from curator.versions import create_version
from curator.versions import query as query_module
from curator.versions import snapshot as snapshot_module
from curator.versions.create import selection_from_config
from curator.workspace import init_workspace


def _rows(version) -> pd.DataFrame:
    return pd.read_parquet(version.path / "data.parquet").sort_values("pair_id").reset_index(drop=True)


def test_reading_in_parts_gives_the_same_rows_as_one_read(seeded, monkeypatch):
    ws, _ = seeded
    sel = selection_from_config(ws)
    parts_used = []
    real = query_module._read_table

    def counting(uri, sql):
        if sql.startswith("SELECT id AS pair_id"):
            parts_used.append(sql)
        return real(uri, sql)

    monkeypatch.setattr(query_module, "_read_table", counting)
    together = query_module.read_selection(ws.db_path, sel, parts=3)
    assert len(parts_used) == 3
    alone = query_module.read_selection(ws.db_path, sel, parts=1)
    assert together.table.equals(alone.table)
    assert together.excluded == alone.excluded == {"flag:judge": 1, "flag:near_duplicate": 1}
    splits = together.table.column("split").to_pylist()
    assert splits == sorted(splits, reverse=True)  # train rows, then test rows: each split is one slice


def _try_to_write(db_path) -> str:
    """What another process gets when it tries to start writing at once."""
    probe = ("import sqlite3, sys\n"
             "c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
             "try:\n    c.execute('BEGIN IMMEDIATE'); c.execute('ROLLBACK'); print('landed')\n"
             "except sqlite3.OperationalError as e:\n    print(e)\n")
    return subprocess.run([sys.executable, "-c", probe, str(db_path)], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_no_other_process_can_commit_until_the_read_is_over(seeded, monkeypatch):
    ws, _ = seeded
    attempts = []
    real = snapshot_module._finish_reader

    def finish_then_try(reader):
        counts = real(reader)  # the child has read and closed its connections: the lock must still be held
        attempts.append(_try_to_write(ws.db_path))
        return counts

    monkeypatch.setattr(snapshot_module, "_finish_reader", finish_then_try)
    version = create_version(ws, message="one moment")
    assert attempts == ["database is locked"]
    assert version.pair_count == 16
    assert _try_to_write(ws.db_path) == "landed"  # and the lock is given back afterwards


def test_the_review_app_reading_beside_a_create_leaves_the_store_sound(seeded):
    ws, ids = seeded
    reader = ws.connect()  # a connection of the same process, as the review app keeps one per thread
    try:
        first = create_version(ws, message="first")
        decide(reader, ids[next(iter(ids))], "rejected", "kim")
        second = create_version(ws, message="second")
        assert second.created and second.id != first.id
        assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        reader.close()


def test_a_failed_read_says_why_and_writes_nothing(seeded, monkeypatch):
    ws, _ = seeded
    monkeypatch.setattr(snapshot_module, "_start_reader", lambda *a: subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.exit('the store went away')"], stderr=subprocess.PIPE, text=True))
    with pytest.raises(CuratorError, match="the store went away"):
        create_version(ws, message="never")
    versions = ws.root / "versions"
    assert not versions.exists() or list(versions.iterdir()) == []
    conn = ws.connect()
    assert list_versions(conn) == []
    conn.close()
    assert _try_to_write(ws.db_path) == "landed"


@pytest.mark.parametrize("folder", ["my data", "작업 공간%20"])
def test_a_workspace_in_a_folder_with_spaces_or_korean_letters(tmp_path, seed_pairs, folder):
    ws = init_workspace(tmp_path / folder)
    conn = ws.connect()
    try:
        seed_pairs(conn)
    finally:
        conn.close()
    version = create_version(ws, message="anywhere")
    rows = _rows(version)
    assert len(rows) == 16
    assert "/corpus/transcripts/incoterms_ko.srt" in set(rows["source_uri"])


def test_without_memory_files_the_rows_come_through_an_unnamed_file_in_the_versions_folder(seeded, monkeypatch):
    ws, _ = seeded
    monkeypatch.delattr(snapshot_module.os, "memfd_create", raising=False)
    version = create_version(ws, message="no memfd")
    assert version.pair_count == 16
    assert [p.name for p in (ws.root / "versions").iterdir()] == [version.id]  # the unnamed files left nothing
