"""A training run from start to finish: version in, adapter, metrics, plot and run manifest out.

runs/<id>/ holds run.json (the manifest: version, base model and its hash,
every hyperparameter, code version, hardware, speed, memory, time), adapter/
(safetensors), metrics.jsonl, loss.png, checkpoints/ while training, and merged/
with --merge. run.json is written first with status "running" and rewritten
whole (write then rename) when the run ends, so a kill leaves a run that
`resume` picks up from its last checkpoint.
"""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trainer import environment
from trainer.data import build, choose_max_length, encode_all, length_stats, validation_split
from trainer.errors import TrainerError
from trainer.formatting import Formatter
from trainer.loop import METRICS, fit
from trainer.model import add_lora, base_hash, load_base, load_tokenizer, merge_to, resolve_base
from trainer.presets import fit_to_data, from_dict, preset
from trainer.version import read_version

RUN_FILE = "run.json"
CPU_MESSAGE = ("no CUDA GPU found: training LoRA in float32 on the CPU, without 4-bit quantization (QLoRA needs "
               "CUDA and bitsandbytes). Keep to the smoke preset or a small model here.")


class RunError(TrainerError):
    pass


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(2)


def write_json(path: Path, document: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_run(run_dir: Path) -> dict[str, Any]:
    file = run_dir / RUN_FILE
    if not file.exists():
        raise RunError(f"{file} is missing: {run_dir} is not a training run.")
    return json.loads(file.read_text(encoding="utf-8"))


def plan(version_dir: Path, runs_dir: Path, *, base: str | None, preset_name: str, overrides: dict[str, Any],
         run_id: str | None = None, on_gpu: bool) -> Path:
    """Create runs/<id>/ with a run.json saying what will train; return the folder."""
    hyper = preset(preset_name, on_gpu).updated(**overrides)
    run_id = run_id or new_run_id()
    run_dir = runs_dir / run_id
    if (run_dir / RUN_FILE).exists():
        raise RunError(f"{run_dir} already holds a run; resume it instead.")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / RUN_FILE, {
        "id": run_id, "status": "planned", "created_at": environment.now(), "preset": preset_name,
        "given": sorted(k for k, v in overrides.items() if v is not None),  # the recipe rule leaves these alone
        "version": {"path": str(Path(version_dir).resolve())}, "base_model": {"name": base or "gemma-3-270m"},
        "hyperparameters": hyper.as_dict()})
    return run_dir


def execute(run_dir: Path, *, merge: bool = False, report_to: str = "",
            log: Callable[[str], None] = print, on_log: Callable[[dict[str, Any]], None] | None = None) -> dict:
    """Train (or resume) the run planned in run_dir; return its final manifest."""
    if read_run(run_dir).get("method") == "dpo":  # preference tuning: TRL's DPOTrainer (trainer/dpo.py)
        from trainer.dpo import execute_dpo

        return execute_dpo(run_dir, log=log, on_log=on_log)
    accelerator = _accelerator()
    main = accelerator.is_main_process
    manifest = read_run(run_dir)
    if manifest.get("status") == "done":
        raise RunError(f"run {manifest['id']} is already finished; start a new one with `curator train`.")
    hyper = from_dict(manifest["hyperparameters"])
    device = str(accelerator.device)
    on_gpu = device.startswith("cuda")
    if not on_gpu and hyper.quantize:
        if main:
            log(CPU_MESSAGE)
        hyper = hyper.updated(quantize=False)
    if hyper.quantize and importlib.util.find_spec("bitsandbytes") is None:
        raise RunError("4-bit QLoRA needs bitsandbytes on this CUDA machine: pip install 'curator[gpu]', "
                       "or train bf16 LoRA with --no-quant.")
    version = read_version(Path(manifest["version"]["path"]), hyper.context_field)
    if not version.train:
        raise RunError(f"version {version.id} has no training pairs (split 'train' is empty).")
    base_path = resolve_base(manifest["base_model"].get("path") or manifest["base_model"]["name"], log)
    tokenizer = load_tokenizer(base_path)
    formatter = Formatter(tokenizer, hyper.template, hyper.system or None)
    encoded = encode_all(formatter, version.train)
    lengths = length_stats(_lengths(encoded))
    max_length = hyper.max_length or choose_max_length(_lengths(encoded), hyper.max_length_cap)
    train_rows, val_rows = validation_split(version.train, hyper.validation_fraction, hyper.validation_max,
                                            hyper.validation_min_train, hyper.seed)
    data = build([encoded[i] for i in train_rows], max_length)
    validation = build([encoded[i] for i in val_rows], max_length) if val_rows else None
    hyper, recipe = fit_to_data(hyper, data.lengths, set(manifest.get("given", [])))
    manifest.update({
        "status": "running", "started_at": manifest.get("started_at") or environment.now(),
        "version": {"id": version.id, "path": str(version.path), "train_pairs": len(version.train),
                    "test_pairs": len(version.test)},
        "base_model": {**manifest["base_model"], "path": base_path,  # only the main process writes the hash
                       "sha256": manifest["base_model"].get("sha256") or (base_hash(base_path) if main else None)},
        "template": formatter.template, "stop_token_ids": formatter.stop_ids(),
        "hyperparameters": {**hyper.as_dict(), "max_length": max_length},
        "data": {"train_examples": len(data), "length_stats": lengths, "truncated_answers": data.truncated,
                 "dropped_long_prompts": data.dropped,
                 "validation_examples": len(validation) if validation is not None else 0,
                 "validation_items": len({version.train[i].group for i in val_rows})},
        "recipe": recipe,
        "code": environment.code_version(), "hardware": environment.hardware(accelerator)})
    if main:
        write_json(run_dir / RUN_FILE, manifest)
        log(f"run {manifest['id']}: {len(data)} training pairs from version {version.id}, "
            f"template {formatter.template}, max_length {max_length}, on {manifest['hardware']['device']}"
            + (" with 4-bit QLoRA" if hyper.quantize else " with LoRA (no quantization)"))
        if recipe:
            log(f"recipe: about {recipe['examples_per_step']} examples a step (batch_tokens {hyper.batch_tokens}), "
                f"{hyper.epochs:g} epochs, about {recipe['expected_steps']} steps")
        if validation is not None:
            log(f"validation: {len(validation)} pairs of {manifest['data']['validation_items']} source items "
                "held out of training")
    model = load_base(base_path, device=device, quantize=hyper.quantize)
    import torch

    torch.manual_seed(hyper.seed)  # the same seed gives the same LoRA initialization, so runs are repeatable
    model = add_lora(model, hyper.lora_r, hyper.lora_alpha, hyper.lora_dropout, hyper.gradient_checkpointing)
    reporter = _reporter(report_to, run_dir, manifest) if main else None
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else formatter.eos_id

    def logged(record: dict[str, Any]) -> None:
        if reporter and "loss" in record:
            reporter(record)
        if on_log:
            on_log(record)

    result = fit(model, data, hyper, run_dir, pad_id=pad_id, on_log=logged, accelerator=accelerator,
                 validation=validation)
    if not main:
        return manifest
    adapter = run_dir / "adapter"
    model.save_pretrained(str(adapter))
    tokenizer.save_pretrained(str(adapter))
    from trainer.plots import loss_curve

    loss_curve(run_dir / METRICS, run_dir / "loss.png", f"run {manifest['id']} on version {version.id}")
    manifest.update({"status": "done", "finished_at": environment.now(), "results": {
        "steps": result.steps, "total_steps": result.total_steps, "resumed_from_step": result.resumed_from,
        "tokens": result.tokens, "answer_tokens": result.answer_tokens, "wall_s": round(result.wall_s, 2),
        "tokens_per_s": round(result.tokens_per_s, 1),
        "steady_tokens_per_s": None if result.steady_tokens_per_s is None else round(result.steady_tokens_per_s, 1),
        "peak_memory_gib": None if result.peak_memory_gib is None else round(result.peak_memory_gib, 3),
        "peak_rss_gib": environment.peak_rss_gib(), "final_loss": result.final_loss,
        "compiled_layers": result.compiled, "train_curve": [list(p) for p in result.losses],
        "validation": result.validation or None,
        # The adapter saved is the best validation checkpoint's when there is a validation slice.
        "adapter_step": result.steps if not result.validation else result.validation["best_step"]}})
    if merge:
        del model
        manifest["merged"] = str(merge_to(run_dir, run_dir / "merged", log))
    write_json(run_dir / RUN_FILE, manifest)
    shutil.rmtree(run_dir / "checkpoints", ignore_errors=True)  # adapter/ holds the final weights
    shutil.rmtree(run_dir / "best", ignore_errors=True)
    return manifest


def _accelerator() -> Any:
    """The Accelerator, joined with every process the launcher started.

    torchrun (what `accelerate launch --multi_gpu` runs) sets WORLD_SIZE, but on a
    machine without CUDA accelerate ignores it unless told to use the CPU: each
    process then trains the whole run alone and all of them write the same files.
    Asking for the CPU there joins them over gloo instead.
    """
    import torch
    from accelerate import Accelerator

    launched = int(os.environ.get("WORLD_SIZE", "1"))
    accelerator = Accelerator(cpu=launched > 1 and not torch.cuda.is_available())
    if launched > 1 and accelerator.num_processes != launched:
        raise RunError(f"{launched} processes were launched but accelerate joined {accelerator.num_processes}; "
                       "they would not share the gradients (`accelerate env` shows the setup).")
    return accelerator


def _lengths(encoded: list[tuple[list[int], list[int]]]):
    import numpy as np

    return np.fromiter((len(p) + len(a) for p, a in encoded), dtype=np.int64, count=len(encoded))


def _reporter(report_to: str, run_dir: Path, manifest: dict[str, Any]) -> Callable[[dict], None] | None:
    """Optional TensorBoard or Weights & Biases logging of the same records metrics.jsonl gets."""
    if not report_to:
        return None
    if report_to == "tensorboard":
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise RunError("--report-to tensorboard needs the tensorboard package (pip install tensorboard).") from exc
        writer = SummaryWriter(str(run_dir / "tensorboard"))
        return lambda r: [writer.add_scalar(k, r[k], r["step"]) for k in ("loss", "lr") if r.get(k) is not None] \
            and writer.flush()
    if report_to == "wandb":
        try:
            import wandb
        except ImportError as exc:
            raise RunError("--report-to wandb needs the wandb package (pip install wandb).") from exc
        wandb.init(project="curator", name=manifest["id"], config=manifest["hyperparameters"])
        return lambda r: wandb.log({k: v for k, v in r.items() if isinstance(v, (int, float))}, step=r["step"])
    raise RunError(f"unknown --report-to {report_to!r}; use tensorboard or wandb.")
