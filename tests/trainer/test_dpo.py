"""DPO with TRL's DPOTrainer on a tiny model on the CPU: the loss falls, the adapter is saved, a killed run resumes."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from safetensors.torch import load_file

from tests.trainer.conftest import all_pairs, write_version
from tests.trainer.resume_check import assert_resume_matches_straight_run
from trainer.dpo import execute_dpo, plan_dpo, read_preferences
from trainer.run import execute, plan

SFT_FAST = {"learning_rate": 5e-3, "lora_r": 8, "lora_alpha": 16, "log_every": 1, "save_every": 2, "max_steps": 4}
DPO_FAST = {"learning_rate": 5e-3, "lora_r": 8, "lora_alpha": 16, "save_every": 2, "batch_size": 4}


def with_preferences(folder: Path, pairs: list[tuple[str, str]]) -> Path:
    """preferences.parquet as `version create` writes it: the version's answers chosen over worse ones."""
    data = pq.read_table(folder / "data.parquet").to_pylist()
    rows = []
    for n, row in enumerate(data):
        rows.append({"kind": "edit", "prompt": row["question"], "chosen": row["answer"],
                     "rejected": "I do not know, sorry." if n % 2 else row["answer"].split(":")[0][:12] + " maybe.",
                     "chosen_pair_id": row["pair_id"], "rejected_pair_id": 1000 + n,
                     "chosen_lineage_id": row["lineage_id"], "rejected_lineage_id": row["lineage_id"],
                     "reviewer": "kim", "reason": None, "decided_at": "2026-01-01T00:00:00Z", "review_id": n + 1,
                     "chunk_id": row["chunk_id"], "language": row["language"], "split": row["split"]})
    pq.write_table(pa.Table.from_pylist(rows), folder / "preferences.parquet")
    return folder


@pytest.fixture
def pref_version(tmp_path) -> Path:
    return with_preferences(write_version(tmp_path / "versions", all_pairs()), all_pairs())


def _losses(run_dir: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]


def test_records_are_read_by_split(pref_version):
    found = read_preferences(pref_version)
    assert len(found["train"]) == 9 and len(found["test"]) == 3
    example, rejected = found["train"][0]
    assert example.question == all_pairs()[0][0] and example.answer == all_pairs()[0][1] and rejected


def test_dpo_on_an_sft_run_lowers_the_loss_and_saves_the_adapter(tiny_model, pref_version, tmp_path):
    runs = tmp_path / "runs"
    sft_dir = plan(pref_version, runs, base=str(tiny_model), preset_name="smoke", overrides=SFT_FAST, run_id="sft",
                   on_gpu=False)
    execute(sft_dir, log=lambda _: None)
    run_dir = plan_dpo(pref_version, runs, base=None, preset_name="smoke", overrides={**DPO_FAST, "max_steps": 12},
                       from_run=sft_dir, run_id="dpo")
    events = []
    manifest = execute(run_dir, log=lambda _: None, on_log=events.append)  # run.json says dpo: dispatched to TRL
    losses = _losses(run_dir)
    assert len(losses) == 12
    assert losses[0] == pytest.approx(0.6931, abs=0.02)  # log(2): the policy starts as its reference (the SFT model)
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.2
    assert manifest["status"] == "done" and manifest["method"] == "dpo"
    assert manifest["from_run"]["id"] == "sft" and manifest["base_model"]["path"] == str(tiny_model)
    assert manifest["template"] == "gemma" and manifest["version"]["train_preferences"] == 9
    assert manifest["results"]["steps"] == 12 and manifest["results"]["tokens_per_s"] > 0
    assert (run_dir / "adapter" / "adapter_model.safetensors").exists()
    assert not (run_dir / "adapter" / "ref").exists()  # only the trained adapter, not TRL's frozen reference copy
    assert (run_dir / "loss.png").stat().st_size > 1000 and not (run_dir / "checkpoints").exists()
    assert any(e.get("event") == "checkpoint" for e in events)
    assert all(e["total_steps"] == 12 for e in events if "loss" in e)
    # the DPO adapter moved away from the SFT adapter it started from
    sft = load_file(str(sft_dir / "adapter" / "adapter_model.safetensors"))
    dpo = load_file(str(run_dir / "adapter" / "adapter_model.safetensors"))
    assert sft.keys() == dpo.keys()
    assert any(not torch.allclose(sft[k], dpo[k]) for k in sft)


def test_dpo_on_the_base_model_trains_a_fresh_adapter(tiny_model, pref_version, tmp_path):
    run_dir = plan_dpo(pref_version, tmp_path / "runs", base=str(tiny_model), preset_name="smoke",
                       overrides={**DPO_FAST, "max_steps": 6}, run_id="plain")
    manifest = execute_dpo(run_dir, log=lambda _: None)
    assert manifest["from_run"] is None and manifest["results"]["steps"] == 6
    assert _losses(run_dir)[0] == pytest.approx(0.6931, abs=0.02)
    assert (run_dir / "adapter" / "adapter_config.json").exists()


def test_a_version_without_preferences_is_refused_with_a_clear_message(tiny_model, tmp_path):
    version = write_version(tmp_path / "versions", all_pairs())
    with pytest.raises(Exception, match="holds no preference records"):
        plan_dpo(version, tmp_path / "runs", base=str(tiny_model), preset_name="smoke", overrides={})
    assert not (tmp_path / "runs").exists()  # refused before any run folder was made


@pytest.mark.slow  # three trainer processes
def test_a_killed_dpo_run_resumes_and_ends_with_the_same_adapter(tiny_model, pref_version, tmp_path):
    common = ["--method", "dpo", "--base", str(tiny_model), "--preset", "smoke", "--max-steps", "8",
              "--save-every", "2", "--learning-rate", "5e-3", "--lora-r", "8", "--batch-size", "4"]
    assert_resume_matches_straight_run(pref_version, common, tmp_path, steps=8, kill_at=4, timeout=600, atol=1e-5)
