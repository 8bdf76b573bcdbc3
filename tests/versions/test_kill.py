"""A create killed at any moment leaves no partial version, and the next create finishes the job."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from curator.store.runs import mark_interrupted_runs
from curator.store.versions import list_versions
from curator.versions import create_version, verify_version

# Runs create_version in a child process that SIGKILLs itself at the named moment.
KILLER = """
import os, signal, sys
import curator.versions.create as create
from curator.workspace import open_workspace

def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

moment = sys.argv[2]
if moment == "writing":        # data.parquet is written, the DatasetDict is not
    create._save_dataset_dict = die
elif moment == "before-rename":  # every file written and synced, the folder not yet in place
    create._sync_tree = die
elif moment == "before-record":  # the folder is in place, the store does not know it yet
    create.record_version = die
create.create_version(open_workspace(sys.argv[1]), message="killed")
"""


def _kill_create_at(ws, moment: str) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLER, str(ws.root), moment], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == -signal.SIGKILL, proc.stderr


def _version_folders(ws) -> list[str]:
    return sorted(p.name for p in ws.path("versions").iterdir() if not p.name.startswith("."))


@pytest.mark.parametrize("moment", ["writing", "before-rename"])
def test_kill_before_the_rename_leaves_no_version(seeded, moment):
    ws, _ = seeded
    _kill_create_at(ws, moment)
    assert _version_folders(ws) == []
    conn = ws.connect()
    assert list_versions(conn) == []
    assert mark_interrupted_runs(conn) == 1  # the run shows as interrupted, not as still running
    conn.close()
    result = create_version(ws, message="after the kill")
    assert result.created and _version_folders(ws) == [result.id]
    assert [p.name for p in ws.path("versions").iterdir()] == [result.id]  # the half-written folder is gone
    assert verify_version(ws, result.id).ok


def test_kill_between_rename_and_record_is_finished_by_the_next_create(seeded):
    ws, _ = seeded
    _kill_create_at(ws, "before-record")
    folders = _version_folders(ws)
    assert len(folders) == 1
    assert list_versions(ws.connect()) == []  # not a version until recorded: nothing reads it
    result = create_version(ws, message="after the kill")
    assert result.id == folders[0] and result.manifest["message"] == "killed"
    assert [v["id"] for v in list_versions(ws.connect())] == [result.id]
    assert verify_version(ws, result.id).ok


def test_a_damaged_unrecorded_folder_is_set_aside_and_rebuilt(seeded):
    ws, _ = seeded
    _kill_create_at(ws, "before-record")
    (folder,) = _version_folders(ws)
    data = ws.path("versions") / folder / "data.parquet"
    data.write_bytes(data.read_bytes()[:100])
    result = create_version(ws, message="rebuilt")
    assert result.id == folder and result.manifest["message"] == "rebuilt"
    assert verify_version(ws, result.id).ok
    assert any(p.name.startswith(".broken-") for p in ws.path("versions").iterdir())
