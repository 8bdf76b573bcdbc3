"""The recipe rule (batch size and epochs from the version), the validation slice drawn by source item,
validation loss during training and the best checkpoint kept (early stopping), with a tiny model on the CPU."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
import torch

from trainer.data import build, validation_split
from trainer.presets import Hyperparameters, examples_per_step, fit_to_data, preset
from trainer.run import execute, plan
from trainer.version import Example, item_group, read_version


def _lengths(n: int, mean: float = 110.0) -> np.ndarray:
    """Example lengths spread like a glossary's: short term questions and long definitions."""
    return np.random.default_rng(n).gamma(4.0, mean / 4.0, size=n).astype(np.int64) + 8


@pytest.mark.parametrize("n_train", [1_000, 3_000, 10_000, 20_000, 30_000])
def test_the_rule_gives_every_version_size_enough_optimizer_steps(n_train):
    from trainer.data import Tokenized
    from trainer.loop import schedule

    hyper = preset("default", on_gpu=True)
    lengths = _lengths(n_train)
    fitted, decided = fit_to_data(hyper, lengths, given=set())
    # Counted on the batches the run really makes, not on an average:
    _, steps = schedule(Tokenized([np.zeros(int(x), np.int64) for x in lengths], np.zeros(n_train, np.int64)),
                        fitted, world=1)
    assert steps >= hyper.min_steps - fitted.epochs  # a small version is no longer trained for 47 steps
    assert abs(steps - decided["expected_steps"]) <= 0.02 * steps  # epochs shuffle differently: a few batches
    assert fitted.epochs >= hyper.epochs and fitted.epochs <= 8
    assert fitted.batch_tokens == pytest.approx(decided["examples_per_step"] * lengths.mean(), abs=64)
    # Steps are not bought with endless epochs on large versions: past the minimum, two epochs stay.
    if n_train >= 20_000:
        assert fitted.epochs == hyper.epochs


def test_larger_versions_take_larger_batches_and_given_settings_stay():
    sizes = [1_000, 3_000, 10_000, 30_000]
    assert [examples_per_step(n) for n in sizes] == sorted(examples_per_step(n) for n in sizes)
    assert examples_per_step(1_000) < examples_per_step(30_000)
    hyper = preset("default", on_gpu=True).updated(epochs=1.0, batch_tokens=4096)
    fitted, decided = fit_to_data(hyper, _lengths(2_000), given={"epochs", "batch_tokens"})
    assert (fitted.epochs, fitted.batch_tokens) == (1.0, 4096)
    smoke, decided = fit_to_data(preset("smoke", on_gpu=False), _lengths(2_000), given=set())
    assert decided == {} and smoke == preset("smoke", on_gpu=False)  # the rule is the default preset's


def _examples(groups: list[str]) -> list[Example]:
    return [Example(question=f"q{i}", answer=f"a{i}", lineage_id=f"lin{i}", group=g) for i, g in enumerate(groups)]


def test_validation_takes_whole_items_and_is_stable():
    groups = [f"chunk:{i // 2}" for i in range(2_000)]  # two pairs per item, like a glossary entry's directions
    examples = _examples(groups)
    train, val = validation_split(examples, 0.05, 512, 200, seed=0)
    assert sorted(train + val) == list(range(2_000))
    assert 40 <= len(val) <= 512
    assert not {groups[i] for i in train} & {groups[i] for i in val}  # no item on both sides
    again = validation_split(examples[:1_500], 0.05, 512, 200, seed=0)[1]
    assert set(again) == {i for i in val if i < 1_500}  # a pair's side does not depend on the other pairs
    capped = validation_split(examples, 0.5, 100, 200, seed=0)[1]
    assert len(capped) <= 100 and len(capped) % 2 == 0
    assert validation_split(examples[:150], 0.05, 512, 200, seed=0) == (list(range(150)), [])


def test_the_trainer_names_items_as_curator_does():
    from curator.versions.identity import split_group, split_groups

    rows = [{"lineage_id": "a", "chunk_id": 7, "document_id": 3, "source_id": 1},
            {"lineage_id": "b", "chunk_id": None, "document_id": 4, "source_id": 1},
            {"lineage_id": "c", "chunk_id": None, "document_id": None, "source_id": 2},
            {"lineage_id": "d", "chunk_id": None, "document_id": None, "source_id": None}]
    assert [item_group(r) for r in rows] == [split_group(r, "item") for r in rows] \
        == split_groups(pl.DataFrame(rows), "item").to_list()


def _glossary_version(make_version, root, pairs):
    """Two directions per entry, sharing a chunk, as curator writes a glossary."""
    both = []
    for q, a in pairs:
        both += [(q, a), (f"Which term is this? {a}", q.split(" ", 2)[-1].rstrip("?"))]
    folder = make_version(root, both, test_every=10**9)
    table = pl.read_parquet(folder / "data.parquet").with_columns(chunk_id=(pl.int_range(pl.len()) // 2) + 1)
    table.write_parquet(folder / "data.parquet")
    return folder


def test_validation_loss_is_logged_and_the_best_checkpoint_is_what_the_run_keeps(tiny_model, make_version,
                                                                                 tmp_path):
    from trainer.data import encode_all
    from trainer.formatting import Formatter
    from trainer.loss import AnswerOnlyLoss
    from trainer.model import load_trained

    pairs = [(f"What is term {i} in logistics?", f"Term {i} is a logistics word number {i}.") for i in range(130)]
    version = _glossary_version(make_version, tmp_path / "versions", pairs)
    overrides = {"max_steps": 24, "learning_rate": 3e-2, "lora_r": 8, "lora_alpha": 16, "log_every": 2,
                 "save_every": 4, "validation_fraction": 0.2, "validation_max": 40, "validation_min_train": 100,
                 "eval_every": 2, "patience": 3}
    run_dir = plan(version, tmp_path / "runs", base=str(tiny_model), preset_name="smoke", overrides=overrides,
                   run_id="val", on_gpu=False)
    manifest = execute(run_dir, log=lambda _: None)
    validation = manifest["results"]["validation"]
    curve = validation["curve"]
    assert curve[0][0] == 0 and len(curve) >= 3  # measured before training, then every 2 steps
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [[r["step"], r["val_loss"]] for r in records if "val_loss" in r] == curve
    assert any("loss" in r for r in records) and manifest["results"]["train_curve"]
    best_step, best_loss = min(curve, key=lambda p: p[1])
    assert (validation["best_step"], validation["best_val_loss"]) == (best_step, best_loss)
    assert manifest["results"]["adapter_step"] == best_step
    if validation["stopped_early"]:
        assert manifest["results"]["steps"] < 24 and curve[-1][0] - best_step == 3 * 2
    # The validation slice holds whole entries: both directions of an entry on one side.
    data = read_version(version)
    train_rows, val_rows = validation_split(data.train, 0.2, 40, 100, 0)
    assert manifest["data"]["validation_examples"] == len(val_rows) > 0
    assert not {data.train[i].group for i in train_rows} & {data.train[i].group for i in val_rows}
    # The saved adapter is the best checkpoint's: its validation loss is the best one, not the last one.
    model, tokenizer, _ = load_trained(run_dir, device="cpu")
    formatter = Formatter(tokenizer, manifest["template"], None)
    held = build(encode_all(formatter, [data.train[i] for i in val_rows]), manifest["hyperparameters"]["max_length"])
    from trainer.data import collate

    batch = collate(held, list(range(len(held))), tokenizer.pad_token_id)
    with torch.no_grad():
        total, count = AnswerOnlyLoss(model)(batch["input_ids"], batch["labels"])
    assert float(total / count) == pytest.approx(best_loss, abs=2e-3)
    assert not (run_dir / "best").exists() and (run_dir / "loss.png").stat().st_size > 1000


def test_hyper_defaults_keep_the_smoke_preset_without_validation():
    assert preset("smoke", on_gpu=False).validation_fraction == 0.0
    assert preset("default", on_gpu=False).validation_fraction > 0 and preset("default", on_gpu=True).auto_recipe
    assert Hyperparameters().auto_recipe is False and np.isfinite(Hyperparameters().warmup_fraction)
