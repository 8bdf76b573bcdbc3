"""Evaluation on the test split only: scores, report files, the judge through the engine, eval_low written back."""

from __future__ import annotations

import json

import pytest

from trainer.evaluate import EvalOptions, evaluate
from trainer.generate import Settings
from trainer.run import execute, plan
from trainer.semscore import SemScorer


@pytest.fixture(scope="module")
def trained_run(tiny_model, tmp_path_factory, make_version, pairs):
    root = tmp_path_factory.mktemp("evalrun")
    contaminated = {4: [{"kind": "contamination", "score": 0.97, "reason": "near copy of a training pair"}]}
    version = make_version(root / "versions", pairs, flags=contaminated)
    run_dir = plan(version, root / "runs", base=str(tiny_model), preset_name="smoke",
                   overrides={"max_steps": 3, "lora_r": 4}, run_id="evalrun", on_gpu=False)
    execute(run_dir, log=lambda _: None)
    return run_dir


def test_semscore_of_the_packaged_model_orders_known_pairs():
    scorer = SemScorer()
    same, close, far, empty = scorer.scores(
        ["A bill of lading is a document issued by a carrier.",
         "The carrier issues a bill of lading as a receipt for the goods.",
         "Bananas are rich in potassium.", ""],
        ["A bill of lading is a document issued by a carrier."] * 2 + ["A bill of lading is a carrier's receipt."] * 2)
    assert same > 0.99 and 0.5 < close < same and far < 0.3 and empty == 0.0


def test_report_covers_the_test_split_only_and_leaves_out_contaminated_pairs(trained_run):
    report = evaluate(trained_run, EvalOptions(settings=Settings(max_new_tokens=8, batch_size=4)),
                      log=lambda _: None)
    answers = [json.loads(line) for line in (trained_run / "eval" / "answers.jsonl").read_text().splitlines()]
    assert report["left_out_contaminated"] == 1
    assert {a["pair_id"] for a in answers} == {8, 12}  # test rows are every 4th; pair 4 is contaminated
    assert report["test_pairs"] == 2
    for side in ("base", "fine_tuned"):
        assert report[side]["semscore"]["count"] == 2
        assert set(report[side]["errors"]) == {"empty", "unfinished", "too_long", "repetitive"}
    assert report["judge"] == {"enabled": False, "reason": "no judge endpoint is configured"}
    assert report["eval_low"]["count"] == len(report["eval_low"]["pairs"])
    files = {p.name for p in (trained_run / "eval").iterdir()}
    assert files == {"answers.jsonl", "report.json", "report.md", "semscore.png"}
    markdown = (trained_run / "eval" / "report.md").read_text()
    assert "| SemScore mean |" in markdown and "Truthfulness judge: off" in markdown


def test_judge_scores_before_and_after_and_is_plotted(trained_run):
    calls = []

    def judge(question, reference, answer):
        calls.append(question)
        return 4 if "FOB" in question or "체선료" in question else 2

    report = evaluate(trained_run, EvalOptions(settings=Settings(max_new_tokens=4), judge=judge),
                      log=lambda _: None)
    assert len(calls) == 2 * report["test_pairs"]
    for side in ("base", "fine_tuned"):
        assert sum(report[side]["truthfulness"]["distribution"].values()) == report["test_pairs"]
    assert (trained_run / "eval" / "truthfulness.png").exists()
    low = {p["pair_id"] for p in report["eval_low"]["pairs"] if p["truthfulness"] == 2}
    assert low  # a truthfulness of 2 is at the eval_low threshold


def test_without_an_embedding_model_the_answers_wait_for_semscore(trained_run):
    report = evaluate(trained_run, EvalOptions(settings=Settings(max_new_tokens=4), embedding_model="none"),
                      log=lambda _: None)
    answers = [json.loads(line) for line in (trained_run / "eval" / "answers.jsonl").read_text().splitlines()]
    assert report["embedding_model"] == "none" and report["base"]["semscore"] == {"count": 0}
    assert all(a[side]["semscore"] is None and a[side]["answer"] is not None
               for a in answers for side in ("base", "fine_tuned"))
    assert "SemScore" not in report["eval_low"]["rule"] or report["eval_low"]["count"] == 0
