"""Training on CPU with a tiny model: the loss falls, the outputs are complete, a killed run resumes exactly."""

from __future__ import annotations

import json

import pytest
import torch

from tests.trainer.resume_check import assert_resume_matches_straight_run
from trainer.run import execute, plan

FAST = {"learning_rate": 5e-3, "lora_r": 8, "lora_alpha": 16, "log_every": 1, "save_every": 2}


def _train(version_dir, runs, model, run_id, **overrides):
    run_dir = plan(version_dir, runs, base=str(model), preset_name="smoke", overrides={**FAST, **overrides},
                   run_id=run_id, on_gpu=False)
    return run_dir, execute(run_dir, log=lambda _: None)


def test_a_few_cpu_steps_lower_the_loss_and_write_every_output(tiny_model, version_dir, tmp_path):
    run_dir, manifest = _train(version_dir, tmp_path / "runs", tiny_model, "fall", max_steps=12)
    losses = [json.loads(line)["loss"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(losses) == 12
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.3
    assert (run_dir / "adapter" / "adapter_model.safetensors").exists()
    assert (run_dir / "loss.png").stat().st_size > 1000
    assert not (run_dir / "checkpoints").exists()
    assert manifest["status"] == "done" and manifest["version"]["id"] == "ab12cd34ef56ab78"
    assert manifest["base_model"]["sha256"] and len(manifest["base_model"]["sha256"]) == 64
    assert manifest["hyperparameters"]["learning_rate"] == 5e-3 and manifest["hyperparameters"]["quantize"] is False
    assert manifest["template"] == "gemma" and manifest["data"]["train_examples"] == 9
    assert manifest["hardware"]["device"] == "cpu" and manifest["code"]["packages"]["torch"]
    results = manifest["results"]
    assert results["steps"] == 12 and results["tokens_per_s"] > 0 and results["wall_s"] > 0


@pytest.mark.slow  # three trainer processes
def test_a_killed_run_resumes_from_its_checkpoint_and_ends_as_if_never_killed(tiny_model, version_dir, tmp_path):
    common = ["--base", str(tiny_model), "--preset", "smoke", "--max-steps", "8", "--save-every", "2",
              "--learning-rate", "5e-3", "--lora-r", "8"]
    assert_resume_matches_straight_run(version_dir, common, tmp_path, steps=8, kill_at=4, timeout=300, atol=1e-6)


@pytest.mark.slow  # a second training run and a merged model
def test_adapter_loads_back_and_merges_to_the_same_model(tiny_model, version_dir, tmp_path):
    from transformers import AutoModelForCausalLM

    from trainer.model import load_trained, merge_to

    run_dir, _ = _train(version_dir, tmp_path / "runs", tiny_model, "merge", max_steps=4)
    model, tokenizer, _ = load_trained(run_dir, device="cpu")
    ids = torch.tensor([tokenizer("What is FOB?").input_ids])
    with torch.no_grad():
        tuned = model(input_ids=ids).logits
        with model.disable_adapter():
            base = model(input_ids=ids).logits
    assert not torch.allclose(tuned, base, atol=1e-4)  # the adapter changed the model
    merged_dir = merge_to(run_dir, tmp_path / "merged", log=lambda _: None)
    saved = json.loads((merged_dir / "config.json").read_text())
    assert "bfloat16" in (saved.get("dtype"), saved.get("torch_dtype"))
    merged = AutoModelForCausalLM.from_pretrained(merged_dir, dtype=torch.float32)
    with torch.no_grad():
        assert torch.allclose(merged(input_ids=ids).logits, tuned, atol=0.05)
