"""Training settings: every hyperparameter in one record, and the named presets that fill it."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from trainer.errors import SettingsError

PRESETS = ("smoke", "default", "long")


@dataclass
class Hyperparameters:
    """Every setting a run uses; all of it goes into the run manifest."""

    epochs: float = 2.0
    max_steps: int = 0  # 0: as many optimizer steps as the epochs give
    learning_rate: float = 2e-4
    warmup_fraction: float = 0.05
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.0
    batch_tokens: int = 16384  # padded tokens per micro-batch (rows x longest row)
    max_batch_size: int = 256
    grad_accum: int = 1
    max_length: int = 0  # 0: the longest training example, rounded up to 64, capped at max_length_cap
    max_length_cap: int = 2048
    quantize: bool = True  # QLoRA (4-bit NF4) on CUDA; ignored on CPU
    gradient_checkpointing: bool = False
    compile: bool = False  # torch.compile each decoder layer (CUDA): fuses the many small elementwise kernels
    # ...but only for runs long enough to repay the compilation (100-150 s measured on an H100 for Gemma 3
    # 270M; eager 50k tokens/s vs compiled 82k: about 16M tokens break even).
    compile_min_tokens: int = 16_000_000
    template: str = "auto"
    system: str = ""
    context_field: str = ""  # '' | 'evidence' | 'context'
    seed: int = 0
    log_every: int = 10
    save_every: int = 200  # optimizer steps between checkpoints; the last step always saves
    keep_checkpoints: int = 2
    loss_chunk: int = 4096
    # The recipe rule (fit_to_data): batch size and epochs from the version's size and lengths, for the
    # settings the user did not give.
    auto_recipe: bool = False
    min_steps: int = 500  # optimizer steps the rule aims for at least
    # Validation: a slice of the train split, drawn by source item, scored every eval_every steps; the best
    # adapter is kept, and training stops after `patience` evaluations without a better loss.
    validation_fraction: float = 0.0
    validation_max: int = 512  # examples at most (the loss of 512 answers is steady enough to rank checkpoints)
    validation_min_train: int = 200  # smaller train splits keep every pair for training
    eval_every: int = 0  # 0: about ten evaluations per run
    patience: int = 3  # 0: never stop early (the best checkpoint is still kept)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, **changes: Any) -> Hyperparameters:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise SettingsError(f"unknown training setting(s): {', '.join(unknown)}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def preset(name: str, on_gpu: bool) -> Hyperparameters:
    """smoke: a handful of steps (tests, the demo); default: 2 epochs; long: 4 epochs."""
    if name == "smoke":
        return Hyperparameters(epochs=1, max_steps=6, learning_rate=1e-3, warmup_fraction=0.0,
                               batch_tokens=1024, max_batch_size=8, log_every=1, save_every=3, max_length_cap=512)
    if name == "default":
        fitted = {"auto_recipe": True, "validation_fraction": 0.05}
        if on_gpu:
            return Hyperparameters(compile=True, **fitted)
        return Hyperparameters(batch_tokens=2048, max_batch_size=16, log_every=5, save_every=50, **fitted)
    if name == "long":
        return preset("default", on_gpu).updated(epochs=4.0)
    raise SettingsError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")


def from_dict(values: dict[str, Any]) -> Hyperparameters:
    known = {f.name for f in fields(Hyperparameters)}
    return Hyperparameters(**{k: v for k, v in values.items() if k in known})


# Examples per optimizer step by train-split size, found by measurement (docs/benchmarks.md, "recipe rule"):
# a few thousand pairs learn best from small batches and many steps; large versions afford larger batches.
BATCH_EXAMPLES = ((2_000, 8), (6_000, 16), (15_000, 32))
LARGE_BATCH_EXAMPLES = 64
MAX_AUTO_EPOCHS = 8


def examples_per_step(n_train: int) -> int:
    return next((b for limit, b in BATCH_EXAMPLES if n_train < limit), LARGE_BATCH_EXAMPLES)


def fit_to_data(hyper: Hyperparameters, lengths: Any,
                given: set[str]) -> tuple[Hyperparameters, dict[str, Any]]:
    """The recipe rule: batch size and epochs from the train split's size and example lengths (tokens).

    A step takes `examples_per_step(n)` examples on average (batch_tokens = that many mean-length examples),
    and the epochs are raised (from the preset's, up to MAX_AUTO_EPOCHS) until the run makes at least
    `min_steps` optimizer steps, counted on the batches the run will really get (short examples share a
    budget, so a batch often holds more than the average). Settings in `given` (the user's own) are left
    alone. Returns the new settings and what the rule decided.
    """
    import numpy as np

    from trainer.data import token_batches

    lengths = np.asarray(lengths, dtype=np.int64)
    n_train = len(lengths)
    if not hyper.auto_recipe or n_train == 0:
        return hyper, {}
    mean_length = float(lengths.mean())
    batch = examples_per_step(n_train)
    changes: dict[str, Any] = {}
    if "batch_tokens" not in given:
        changes["batch_tokens"] = max(256, int(math.ceil(batch * max(mean_length, 1.0) / 64) * 64))
        changes["max_batch_size"] = max(hyper.max_batch_size, 4 * batch)
    sized = hyper.updated(**changes)
    per_epoch = max(1, len(token_batches(lengths, sized.batch_tokens, sized.max_batch_size, hyper.seed, 0))
                    // max(1, hyper.grad_accum))
    if "epochs" not in given and not hyper.max_steps:
        changes["epochs"] = float(min(MAX_AUTO_EPOCHS, max(hyper.epochs, math.ceil(hyper.min_steps / per_epoch))))
    fitted = hyper.updated(**changes)
    return fitted, {"rule": "examples per step by train size "
                            f"{dict((f'<{limit}', b) for limit, b in BATCH_EXAMPLES)}, else {LARGE_BATCH_EXAMPLES}; "
                            f"epochs raised until >= {hyper.min_steps} steps (at most {MAX_AUTO_EPOCHS})",
                    "train_examples": n_train, "mean_length": round(mean_length, 1),
                    "examples_per_step": batch, "steps_per_epoch": per_epoch,
                    "expected_steps": int(per_epoch * fitted.epochs), **changes}
