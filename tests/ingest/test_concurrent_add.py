"""Two `curator add` of one folder at once: every file stored once, no error, no good source marked bad."""

from __future__ import annotations

import json
import os
import subprocess
import sys

FILES = 300


def test_two_adds_of_one_folder_at_once(tmp_path, workspace, conn):
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"note{i:04d}.md").write_text(
            f"# Note {i}\n\nShipment {i} travels under FOB terms; the seller clears export customs for it.\n",
            encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1"}
    runs = [subprocess.Popen([sys.executable, "-m", "curator", "add", str(folder), "--json"], cwd=workspace.root,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [r.communicate(timeout=300) for r in runs]
    for run, (stdout, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr[-2000:]
        assert "please report it" not in stdout + stderr
    assert conn.execute("SELECT COUNT(*) FROM sources WHERE status != 'ok'").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == FILES
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == FILES
    assert conn.execute("SELECT COUNT(*) FROM errors").fetchone()[0] == 0
    # between them the two runs added every file once; the rest they found already stored
    counts = [json.loads(stdout)["counts"] for stdout, _ in outputs]
    assert sum(c["added"] for c in counts) == FILES
    assert all(c["added"] + c["unchanged"] == FILES for c in counts)
