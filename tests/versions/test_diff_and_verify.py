"""diff finds exactly what changed between versions; verify finds any change to a version's files."""

from __future__ import annotations

import json

import pytest

from curator.store import transaction
from curator.store.pairs import add_pair, get_pair, revise_pair, set_status
from curator.versions import VersionError, create_version, diff_versions, export_version, verify_version


@pytest.fixture
def two_versions(seeded):
    ws, ids = seeded
    first = create_version(ws, message="first")
    conn = ws.connect()
    with transaction(conn):
        edited = revise_pair(conn, ids["llm"], "kim", answer="The seller delivers the goods on board the vessel.")
        set_status(conn, ids["import4"], "rejected", "kim")
        added = add_pair(conn, question="What is demurrage?", answer="A charge for holding a container too long.",
                         origin="import", actor="machine:import", language="en")
        set_status(conn, added, "accepted", "kim")
        lineage = {name: get_pair(conn, pid)["lineage_id"] for name, pid in
                   (("edited", edited), ("removed", ids["import4"]), ("added", added))}
    conn.close()
    second = create_version(ws, message="second")
    return ws, first, second, lineage


def test_diff_lists_added_removed_and_changed_pairs(two_versions):
    ws, first, second, lineage = two_versions
    d = diff_versions(ws, first.id, second.id)
    assert d.added["lineage_id"].to_list() == [lineage["added"]]
    assert d.removed["lineage_id"].to_list() == [lineage["removed"]]
    assert d.changed["lineage_id"].to_list() == [lineage["edited"]]
    assert d.changed["fields"].to_list() == [["answer"]]
    assert d.counts == {"a_pairs": 16, "b_pairs": 16, "added": 1, "removed": 1, "changed": 1, "unchanged": 14,
                        "moved_split": 0}
    assert "1 added, 1 removed, 1 changed (answer 1)" in d.summary
    same = diff_versions(ws, second.id, second.id)
    assert same.counts["added"] == same.counts["removed"] == same.counts["changed"] == 0


def test_diff_json_from_the_command_line(two_versions, curator_cmd):
    ws, first, _, lineage = two_versions
    res = curator_cmd("-w", str(ws.root), "version", "diff", first.id[:6], "latest", "--json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["counts"]["changed"] == 1 and doc["changed"][0]["lineage_id"] == lineage["edited"]
    assert doc["added"][0]["question"] == "What is demurrage?"


def test_verify_passes_on_an_intact_version(two_versions):
    ws, first, _, _ = two_versions
    report = verify_version(ws, first.id)
    assert report.ok, report.problems
    assert report.rows_checked == 16 and report.files_checked >= 5


def _flip_a_byte(path, at: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if at is None else at
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("target", ["data.parquet", "hf/train/data-00000-of-00001.arrow", "contexts.parquet"])
def test_verify_catches_a_flipped_byte(two_versions, target):
    ws, first, _, _ = two_versions
    _flip_a_byte(first.path / target)
    report = verify_version(ws, first.id)
    assert not report.ok
    assert any(target in p and "changed" in p for p in report.problems), report.problems


def test_verify_catches_an_edited_manifest_a_missing_and_an_added_file(two_versions):
    ws, first, _, _ = two_versions
    manifest_path = first.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["counts"]["total"] += 1
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    (first.path / "hf" / "test" / "state.json").unlink()
    (first.path / "extra.txt").write_text("smuggled", encoding="utf-8")
    problems = " | ".join(verify_version(ws, first.id).problems)
    assert "manifest.json differs from the manifest recorded" in problems
    assert "hf/test/state.json: missing" in problems
    assert "extra.txt: not listed in the manifest" in problems


def test_data_rewritten_consistently_is_still_caught_by_the_id(two_versions):
    """Someone edits an answer and updates the file hash in both manifests: the id no longer matches the rows."""
    import polars as pl

    from curator.versions.layout import file_digest

    ws, first, _, _ = two_versions
    data = first.path / "data.parquet"
    frame = pl.read_parquet(data).with_columns(answer=pl.col("answer") + " (tampered)")
    frame.write_parquet(data)
    sha, size = file_digest(data)
    conn = ws.connect()
    manifest = json.loads((first.path / "manifest.json").read_text(encoding="utf-8"))
    for f in manifest["files"]:
        if f["path"] == "data.parquet":
            f.update(sha256=sha, bytes=size)
    (first.path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    conn.execute("DROP TRIGGER versions_frozen")  # only a tamperer would do this
    conn.execute("UPDATE versions SET manifest = ? WHERE id = ?", (json.dumps(manifest), first.id))
    conn.close()
    problems = verify_version(ws, first.id).problems
    assert any("hash to version id" in p for p in problems), problems


def test_a_damaged_version_is_never_read(two_versions, tmp_path):
    ws, first, _, _ = two_versions
    _flip_a_byte(first.path / "data.parquet")
    with pytest.raises(VersionError, match="damaged"):
        export_version(ws, first.id, "jsonl", out=tmp_path / "out")
    with pytest.raises(VersionError, match="damaged"):
        diff_versions(ws, first.id, "latest")
    assert not (tmp_path / "out").exists()


def test_verify_command_exits_1_and_names_the_file(two_versions, curator_cmd):
    ws, first, _, _ = two_versions
    ok = curator_cmd("-w", str(ws.root), "version", "verify", first.id, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["ok"] is True
    _flip_a_byte(first.path / "data.parquet")
    bad = curator_cmd("-w", str(ws.root), "version", "verify", first.id)
    assert bad.returncode == 1
    assert "DAMAGED" in bad.stdout and "data.parquet" in bad.stdout


def test_status_check_names_a_version_whose_file_changed(two_versions, curator_cmd):
    ws, first, second, _ = two_versions
    assert curator_cmd("-w", str(ws.root), "status", "--check").returncode == 0
    _flip_a_byte(second.path / "data.parquet")
    result = curator_cmd("-w", str(ws.root), "status", "--check", "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)["integrity"]["problems"]
    assert any(p.startswith(f"version {second.id}: ") and "data.parquet" in p for p in problems), problems
    assert not any(first.id in p for p in problems)
