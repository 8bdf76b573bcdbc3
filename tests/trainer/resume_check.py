"""The kill-and-resume check shared by the SFT and DPO tests: a run killed right after a
checkpoint, then resumed, must end with the steps and the adapter of a run never killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file

REPO = Path(__file__).resolve().parents[2]


def run_trainer(args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-m", "trainer", *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, **kw)


def assert_resume_matches_straight_run(version: Path, common: list[str], tmp_path: Path, *, steps: int,
                                       kill_at: int, timeout: float, atol: float) -> None:
    straight = run_trainer(["train", str(version), "--runs", str(tmp_path / "a"), "--run-id", "straight", *common])
    assert straight.wait(timeout=timeout) == 0, straight.stdout.read()
    victim = run_trainer(["train", str(version), "--runs", str(tmp_path / "b"), "--run-id", "victim", *common])
    for line in victim.stdout:
        if f'"event": "checkpoint", "step": {kill_at}' in line:
            victim.send_signal(signal.SIGKILL)
            break
    victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    run_dir = tmp_path / "b" / "victim"
    assert json.loads((run_dir / "run.json").read_text())["status"] == "running"
    resumed = run_trainer(["train", "--resume", str(run_dir)])
    output = resumed.stdout.read()
    assert resumed.wait(timeout=timeout) == 0, output
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "done" and manifest["results"]["resumed_from_step"] >= kill_at
    logged = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert logged == list(range(1, steps + 1))
    a = load_file(str(tmp_path / "a" / "straight" / "adapter" / "adapter_model.safetensors"))
    b = load_file(str(run_dir / "adapter" / "adapter_model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.allclose(a[key], b[key], atol=atol), key
