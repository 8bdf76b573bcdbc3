"""`curator train --method dpo --from RUN` and `curator eval` comparing base, SFT and SFT+DPO, as a user runs them."""

from __future__ import annotations

import json

import pytest

from tests.trainer.test_cli import trained_workspace  # noqa: F401  (the fixture)
from tests.trainer.test_dpo import with_preferences

pytestmark = pytest.mark.slow  # several CLI processes, each importing torch and transformers


def test_sft_then_dpo_then_one_report_of_all_three(trained_workspace, curator_cmd, tiny_model, pairs):  # noqa: F811
    workspace, version, _ = trained_workspace
    with_preferences(version, pairs)
    w = ("-w", str(workspace.root))
    sft = curator_cmd(*w, "train", str(version), "--base", str(tiny_model), "--preset", "smoke", "--max-steps", "3",
                      "--json", timeout=300)
    assert sft.returncode == 0, sft.stderr
    sft_id = json.loads(sft.stdout)["id"]
    refused = curator_cmd(*w, "train", str(version), "--from", sft_id, timeout=120)
    assert refused.returncode != 0 and "--method dpo" in refused.stderr
    dpo = curator_cmd(*w, "train", str(version), "--method", "dpo", "--from", sft_id[:12], "--preset", "smoke",
                      "--max-steps", "3", "--json", timeout=300)
    assert dpo.returncode == 0, dpo.stderr
    manifest = json.loads(dpo.stdout)
    assert manifest["method"] == "dpo" and manifest["from_run"]["id"] == sft_id and manifest["status"] == "done"
    evaluated = curator_cmd(*w, "eval", manifest["id"], "--max-new-tokens", "6", "--json", timeout=600)
    assert evaluated.returncode == 0, evaluated.stderr
    report = json.loads(evaluated.stdout)
    comparison = report["comparison"]
    assert comparison["sft_run"] == sft_id and comparison["test_pairs"] == report["test_pairs"] == 3
    for side in ("base", "sft", "sft_dpo"):
        assert comparison[side]["semscore"]["count"] == 3
    assert comparison["base"] == report["base"] and comparison["sft_dpo"] == report["fine_tuned"]
    sft_report = json.loads((workspace.path("runs") / sft_id / "eval" / "report.json").read_text())
    assert comparison["sft"] == sft_report["fine_tuned"]
    table = (workspace.path("runs") / manifest["id"] / "eval" / "comparison.md").read_text()
    assert "| | base | SFT | SFT+DPO |" in table and "SemScore mean" in table
