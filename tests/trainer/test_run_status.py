"""A training run that stops says so in its run.json: cancelled after Ctrl-C (or the app's cancel), failed after an
error, instead of staying "running" for ever."""

from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize(("raised", "status", "words"), [
    (KeyboardInterrupt(), "cancelled", "cancelled by the user"),
    (RuntimeError("CUDA out of memory"), "failed", "RuntimeError: CUDA out of memory"),
])
def test_a_stopped_run_says_so_in_run_json(workspace, make_version, pairs, monkeypatch, tiny_model, raised, status,
                                           words):
    import trainer.run

    version = make_version(workspace.path("versions"), pairs)

    def stop(run_dir, **_kwargs):
        manifest = json.loads((run_dir / "run.json").read_text())
        (run_dir / "run.json").write_text(json.dumps({**manifest, "status": "running"}))  # as the trainer does
        raise raised
    monkeypatch.setattr(trainer.run, "execute", stop)
    from curator.cli import main

    with pytest.raises((KeyboardInterrupt, RuntimeError, SystemExit)):  # Ctrl-C exits 130
        main(["-w", str(workspace.root), "train", str(version), "--base", str(tiny_model), "--preset", "smoke"])
    (run_json,) = workspace.path("runs").glob("*/run.json")
    manifest = json.loads(run_json.read_text())
    assert manifest["status"] == status and words in manifest["error"]
    conn = workspace.connect()
    assert conn.execute("SELECT status FROM runs WHERE stage = 'train'").fetchone()[0] == status
    conn.close()
