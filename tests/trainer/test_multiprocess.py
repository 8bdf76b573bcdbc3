"""`curator train --gpus N` on a machine without CUDA: N CPU processes over gloo, the data-parallel path CI can run.

The slow test trains the tiny model as two processes through the CLI and checks
what a user would: the run finished, it ran as two joined processes, only the
main process wrote the run's files, the step count halves, and the adapter is
the one a single process gets from the same batches (two micro-batches a step).
"""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from curator.cli import training
from curator.errors import CuratorError

RUN_FILES = {"run.json", "metrics.jsonl", "loss.png", "adapter"}


def test_without_cuda_the_launch_is_cpu_processes_joined_over_gloo(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    said: list[str] = []
    command, env = training._launcher(2, said.append)
    assert command[command.index("--num_processes") + 1] == "2" and "--multi_gpu" in command
    assert "--cpu" not in command  # accelerate's --cpu starts one process, whatever --num_processes says
    assert env["ACCELERATE_USE_CPU"] == "true"
    assert len(said) == 1 and "2 CPU processes" in said[0] and "test the data-parallel path" in said[0]


def test_with_cuda_the_launch_is_unchanged(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.delenv("NCCL_NVLS_ENABLE", raising=False)
    monkeypatch.delenv("ACCELERATE_USE_CPU", raising=False)
    said: list[str] = []
    command, env = training._launcher(4, said.append)
    assert command[1:] == ["-m", "accelerate.commands.launch", "--num_processes", "4", "--multi_gpu",
                           "--mixed_precision", "no"]
    assert env["NCCL_NVLS_ENABLE"] == "0" and "ACCELERATE_USE_CPU" not in env and not said


def test_more_gpus_than_cuda_shows_is_refused_before_launching(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    training._check_gpus(2)
    with pytest.raises(CuratorError, match="--gpus 3 asks for more GPUs than the 2"):
        training._check_gpus(3)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    training._check_gpus(3)  # CPU processes: as many as asked


def _single_process_reference(manifest: dict, tmp_path, tiny_model):
    """The same run in one process taking both micro-batches of each step, as gradient accumulation."""
    from trainer.run import execute, plan

    hyper = {**manifest["hyperparameters"], "grad_accum": 2}
    run_dir = plan(manifest["version"]["path"], tmp_path / "reference", base=str(tiny_model), preset_name="smoke",
                   overrides=hyper, run_id="reference", on_gpu=False)
    return run_dir, execute(run_dir, log=lambda _: None)


@pytest.mark.slow  # three processes importing torch, two of them training
def test_two_cpu_processes_train_one_run_as_one_process_would(workspace, curator_cmd, make_version, pairs,
                                                              tiny_model, tmp_path):
    version = make_version(workspace.path("versions"), pairs)
    # One example a micro-batch (every example is longer than 64 tokens / 2) and one epoch, not the smoke
    # preset's fixed step count: the step count then follows from the data size and the number of processes.
    result = curator_cmd("-w", str(workspace.root), "train", str(version), "--base", str(tiny_model),
                         "--preset", "smoke", "--gpus", "2", "--max-steps", "0", "--epochs", "1",
                         "--batch-tokens", "64", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    manifest = json.loads(result.stdout)  # the trainer processes' logs stayed off stdout
    assert "2 CPU processes" in result.stderr
    run_dir = workspace.path("runs") / manifest["id"]
    assert manifest == json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "done"
    assert manifest["hardware"]["processes"] == 2 and manifest["hardware"]["backend"] == "gloo"

    examples = manifest["data"]["train_examples"]
    steps = manifest["results"]["steps"]
    assert examples == 9 and steps == examples // 2  # one micro-batch per process per step

    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == list(range(1, steps + 1))  # one writer, so no line twice
    assert records[-1]["epoch"] == round(steps * 2 / examples, 3)
    assert {p.name for p in run_dir.iterdir()} == RUN_FILES  # checkpoints removed, no temporary files left
    adapter = load_file(str(run_dir / "adapter" / "adapter_model.safetensors"))

    reference_dir, reference = _single_process_reference(manifest, tmp_path, tiny_model)
    assert reference["hardware"]["processes"] == 1 and reference["results"]["steps"] == steps
    expected = [json.loads(line) for line in (reference_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["loss"] for r in records] == pytest.approx([r["loss"] for r in expected], abs=1e-4)
    assert [r["tokens"] for r in records] == [r["tokens"] for r in expected]
    single = load_file(str(reference_dir / "adapter" / "adapter_model.safetensors"))
    assert adapter.keys() == single.keys()
    for key in adapter:
        assert torch.allclose(adapter[key], single[key], atol=1e-5), key
