"""The training loop: token-budget batches, answer-only loss, AdamW, checkpoints that a killed run resumes from.

One loop for one GPU, several GPUs (launched with `accelerate launch`: each
process takes every world-size-th micro-batch, and the loss is normalized by the
answer tokens of all processes so the gradient is the same as on one GPU), and
the CPU. The batch order is a function of (seed, epoch), so a resumed run
continues with exactly the batches the killed one had not done.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from trainer.data import Tokenized, answer_token_count, collate, real_token_count, token_batches
from trainer.loss import AnswerOnlyLoss
from trainer.presets import Hyperparameters

CHECKPOINTS = "checkpoints"
METRICS = "metrics.jsonl"
BEST = "best"  # the adapter of the best validation loss so far (kept apart from the rolling checkpoints)


@dataclass
class FitResult:
    steps: int
    total_steps: int
    tokens: int
    answer_tokens: int
    wall_s: float
    tokens_per_s: float
    steady_tokens_per_s: float | None
    peak_memory_gib: float | None
    final_loss: float | None
    resumed_from: int = 0
    compiled: bool = False
    losses: list[tuple[int, float]] = field(default_factory=list)
    validation: dict[str, Any] = field(default_factory=dict)  # curve, best step and loss, stopped early


def schedule(data: Tokenized, hyper: Hyperparameters, world: int) -> tuple[list[list[int]], int]:
    """Every micro-batch in order over all epochs, and the number of optimizer steps they make."""
    lengths = data.lengths
    micro: list[list[int]] = []
    for epoch in range(max(1, math.ceil(hyper.epochs))):
        micro.extend(token_batches(lengths, hyper.batch_tokens, hyper.max_batch_size, hyper.seed, epoch))
    per_step = hyper.grad_accum * world
    per_epoch = len(micro) / max(1, math.ceil(hyper.epochs))
    steps = int(per_epoch * hyper.epochs) // per_step
    if hyper.max_steps:  # as in transformers: a step count overrides the epochs
        steps = hyper.max_steps
        while len(micro) < steps * per_step:  # a smoke run on a tiny version cycles through it again
            micro.extend(token_batches(lengths, hyper.batch_tokens, hyper.max_batch_size, hyper.seed, len(micro)))
    return micro, max(steps, 1)


def lr_lambda(total: int, warmup: int) -> Callable[[int], float]:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / (warmup + 1)
        progress = (step - warmup) / max(1, total - warmup)
        return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return factor


def latest_checkpoint(run_dir: Path) -> Path | None:
    folder = run_dir / CHECKPOINTS
    done = sorted(p for p in folder.glob("step-*") if p.is_dir() and (p / "state.json").exists()) \
        if folder.is_dir() else []
    return done[-1] if done else None


def _save_checkpoint(run_dir: Path, step: int, model: Any, optimizer: Any, scheduler: Any, state: dict[str, Any],
                     keep: int) -> None:
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    folder = run_dir / CHECKPOINTS
    target = folder / f"step-{step:07d}"
    tmp = folder / f".tmp-step-{step:07d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    weights = {k: v.detach().contiguous().cpu() for k, v in get_peft_model_state_dict(model).items()}
    save_file(weights, str(tmp / "adapter.safetensors"))
    rng = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "rng": rng},
               tmp / "training_state.pt")
    (tmp / "state.json").write_text(json.dumps(state) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)  # a kill before this line leaves the previous checkpoint as the latest
    for old in sorted(p for p in folder.glob("step-*") if p.is_dir())[:-max(1, keep)]:
        shutil.rmtree(old, ignore_errors=True)


def _load_checkpoint(path: Path, model: Any, optimizer: Any, scheduler: Any) -> dict[str, Any]:
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    set_peft_model_state_dict(model, load_file(str(path / "adapter.safetensors")))
    saved = torch.load(path / "training_state.pt", map_location="cpu", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"]["cpu"])
    if "cuda" in saved["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(saved["rng"]["cuda"])
    return json.loads((path / "state.json").read_text(encoding="utf-8"))


def _keep_metrics_until(run_dir: Path, step: int) -> None:
    """After a resume, drop metric lines of steps the killed run logged past its last checkpoint."""
    file = run_dir / METRICS
    if not file.exists():
        return
    kept = [line for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip() and json.loads(line).get("step", 0) <= step]
    file.write_text("".join(line + "\n" for line in kept), encoding="utf-8")


def _save_best(run_dir: Path, model: Any, step: int, loss: float) -> None:
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    target, tmp = run_dir / BEST, run_dir / f".tmp-{BEST}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    save_file({k: v.detach().contiguous().cpu() for k, v in get_peft_model_state_dict(model).items()},
              str(tmp / "adapter.safetensors"))
    (tmp / "best.json").write_text(json.dumps({"step": step, "val_loss": loss}) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def load_best(run_dir: Path, model: Any) -> dict[str, Any] | None:
    """Put the best validation checkpoint's adapter weights into `model`; its step and loss, or None."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    folder = run_dir / BEST
    if not (folder / "best.json").exists():
        return None
    set_peft_model_state_dict(model, load_file(str(folder / "adapter.safetensors")))
    return json.loads((folder / "best.json").read_text(encoding="utf-8"))


class _Validator:
    """The answer-token loss of the validation slice, each process scoring its share of fixed batches."""

    def __init__(self, data: Tokenized | None, hyper: Hyperparameters, pad_id: int, accelerator: Any) -> None:
        self.data, self.pad_id, self.accelerator = data, pad_id, accelerator
        self.batches = [] if data is None or not len(data) else token_batches(
            data.lengths, hyper.batch_tokens, hyper.max_batch_size, hyper.seed, 0)

    def __bool__(self) -> bool:
        return bool(self.batches)

    @torch.no_grad()
    def loss(self, wrapper: Any, autocast: Any) -> float:
        acc = self.accelerator
        device = acc.device
        total = torch.zeros(2, device=device, dtype=torch.float64)
        for indices in self.batches[acc.process_index::acc.num_processes]:
            batch = collate(self.data, indices, self.pad_id)
            with autocast:
                loss_sum, count = wrapper(batch["input_ids"].to(device), batch["labels"].to(device))
            total[0] += loss_sum.double()
            total[1] += count
        if acc.num_processes > 1:
            total = acc.reduce(total, reduction="sum")
        return round(float(total[0] / total[1].clamp(min=1)), 5)


def fit(model: Any, data: Tokenized, hyper: Hyperparameters, run_dir: Path, *, pad_id: int,
        on_log: Callable[[dict[str, Any]], None] | None = None, accelerator: Any = None,
        validation: Tokenized | None = None) -> FitResult:
    """Train the LoRA parameters of `model` on `data`; checkpoints and metrics go under run_dir.

    With a `validation` slice, its loss is measured before training and every `eval_every` steps; the best
    adapter is kept in run_dir/best/ and put back into `model` at the end, and the run stops once
    `patience` evaluations in a row found no better loss.
    """
    from accelerate import Accelerator

    accelerator = accelerator or Accelerator()
    device = accelerator.device
    world, rank = accelerator.num_processes, accelerator.process_index
    main = accelerator.is_main_process
    micro, total_steps = schedule(data, hyper, world)
    lengths = data.lengths
    planned_tokens = int(sum(lengths[b].sum() for b in micro[:total_steps * hyper.grad_accum * world]))
    compiled = device.type == "cuda" and hyper.compile and planned_tokens >= hyper.compile_min_tokens
    if device.type == "cuda":
        speed_up_cuda(model, compiled)
    wrapper = accelerator.prepare_model(AnswerOnlyLoss(model, hyper.loss_chunk), device_placement=False)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=hyper.learning_rate, weight_decay=hyper.weight_decay,
                                  fused=device.type == "cuda")
    warmup = round(hyper.warmup_fraction * total_steps)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(total_steps, warmup))
    state: dict[str, Any] = {"step": 0, "tokens": 0, "answer_tokens": 0, "elapsed_s": 0.0,
                             "val_curve": [], "best": None, "since_best": 0, "stopped_early": False}
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is not None:
        state = {**state, **_load_checkpoint(checkpoint, model, optimizer, scheduler)}
        if main:
            _keep_metrics_until(run_dir, state["step"])
    resumed_from = state["step"]
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda" else torch.autocast(
        "cpu", enabled=False)
    validator = _Validator(validation, hyper, pad_id, accelerator)
    eval_every = hyper.eval_every or max(1, total_steps // 10)

    def validate(at: int) -> bool:
        """Score the slice at step `at`, keep the adapter if it is the best yet; True when it is time to stop."""
        loss = validator.loss(wrapper, autocast)
        state["val_curve"].append([at, loss])
        if state["best"] is None or loss < state["best"]["val_loss"]:
            state["best"], state["since_best"] = {"step": at, "val_loss": loss}, 0
            if main:
                _save_best(run_dir, accelerator.unwrap_model(wrapper).model, at, loss)
        else:
            state["since_best"] += 1
        record = {"step": at, "total_steps": total_steps, "val_loss": loss, "best_step": state["best"]["step"],
                  "best_val_loss": state["best"]["val_loss"],
                  "elapsed_s": round(state["elapsed_s"] + time.perf_counter() - started, 2)}
        if main:
            with open(run_dir / METRICS, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(record) + "\n")
            if on_log:
                on_log(record)
        return bool(hyper.patience) and state["since_best"] >= hyper.patience

    per_step = hyper.grad_accum * world
    model.train()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    started = time.perf_counter()
    if validator and resumed_from == 0 and not state["val_curve"]:
        validate(0)
    window_loss = torch.zeros((), device=device)
    window_tokens = 0
    steady_mark: tuple[float, int] | None = None
    losses: list[tuple[int, float]] = []
    warm_steps = min(5, max(1, (total_steps - resumed_from) // 4))
    step = resumed_from
    while step < total_steps:
        batches = micro[step * per_step:(step + 1) * per_step]
        mine = batches[rank::world]
        tensors = [collate(data, b, pad_id) for b in mine]
        counts = torch.tensor([sum(answer_token_count(t["labels"]) for t in tensors)], device=device)
        if world > 1:
            counts = accelerator.reduce(counts, reduction="sum")
        step_answer = max(1, int(counts.item()))
        for index, batch in enumerate(tensors):
            ids = batch["input_ids"].to(device, non_blocking=True)
            labels = batch["labels"].to(device, non_blocking=True)
            sync = index == len(tensors) - 1
            context = accelerator.no_sync(wrapper) if (world > 1 and not sync) else _null()
            with context, autocast:
                loss_sum, _ = wrapper(ids, labels)
            accelerator.backward(loss_sum * (world / step_answer))
            window_loss += loss_sum.detach()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, hyper.max_grad_norm) if hyper.max_grad_norm else None
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        step_tokens = sum(real_token_count(data, b) for b in batches)
        state["tokens"] += step_tokens
        state["answer_tokens"] += step_answer
        window_tokens += step_answer
        if step - resumed_from == warm_steps:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            steady_mark = (time.perf_counter(), state["tokens"])
        stop = False
        if validator and (step % eval_every == 0 or step == total_steps):
            stop = validate(step)
            state["stopped_early"] = stop and step < total_steps
        last = step == total_steps or stop
        if step % hyper.log_every == 0 or last:
            total = window_loss.clone()
            if world > 1:
                total = accelerator.reduce(total, reduction="sum")
            elapsed = state["elapsed_s"] + time.perf_counter() - started
            record = {"step": step, "total_steps": total_steps, "epoch": round(step * per_step / max(
                1, len(micro) / max(1, math.ceil(hyper.epochs))), 3), "loss": round(float(total) / max(
                    1, window_tokens), 5), "lr": scheduler.get_last_lr()[0], "tokens": state["tokens"],
                "answer_tokens": state["answer_tokens"], "elapsed_s": round(elapsed, 2),
                "grad_norm": None if grad_norm is None else round(float(grad_norm), 4)}
            losses.append((step, record["loss"]))
            window_loss.zero_()
            window_tokens = 0
            if main:
                with open(run_dir / METRICS, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record) + "\n")
                if on_log:
                    on_log(record)
        if (hyper.save_every and step % hyper.save_every == 0) or last:
            state["step"] = step
            state["elapsed_s"] = state["elapsed_s"] + time.perf_counter() - started
            started = time.perf_counter()
            if main:
                _save_checkpoint(run_dir, step, accelerator.unwrap_model(wrapper).model, optimizer, scheduler,
                                 dict(state), hyper.keep_checkpoints)
                if on_log:
                    on_log({"event": "checkpoint", "step": step})
            accelerator.wait_for_everyone()
        if stop:
            break
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    finished = time.perf_counter()
    best = load_best(run_dir, accelerator.unwrap_model(wrapper).model) if validator else None
    wall = state["elapsed_s"] + finished - started
    steady = None
    if steady_mark is not None and state["tokens"] > steady_mark[1]:
        steady = (state["tokens"] - steady_mark[1]) / max(1e-9, finished - steady_mark[0])
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    return FitResult(steps=step, total_steps=total_steps, tokens=state["tokens"],
                     answer_tokens=state["answer_tokens"], wall_s=wall, tokens_per_s=state["tokens"] / max(wall, 1e-9),
                     steady_tokens_per_s=steady, peak_memory_gib=peak,
                     final_loss=losses[-1][1] if losses else None, resumed_from=resumed_from, losses=losses,
                     compiled=compiled, validation={} if not validator else {
                         "examples": len(validation) if validation is not None else 0, "every_steps": eval_every,
                         "patience": hyper.patience, "curve": state["val_curve"],
                         "best_step": best["step"] if best else None, "best_val_loss": best["val_loss"] if best else None,
                         "stopped_early": state["stopped_early"]})


def speed_up_cuda(model: Any, compile_layers: bool) -> None:
    """CUDA settings measured to matter for small models (benchmarks/train_gpu.py).

    cuDNN attention builds an execution plan for every new (batch, length) shape,
    about 4 ms of CPU per layer and pass, and token-budget batches change shape
    every step; the flash and memory-efficient kernels need no plan. Compiling each
    decoder layer (dynamic shapes, so one compilation serves every batch) fuses the
    normalization, activation, rotary and LoRA elementwise work that otherwise
    launches thousands of small kernels per step.
    """
    from trainer.loss import causal_lm_parts

    torch.backends.cuda.enable_cudnn_sdp(False)
    if compile_layers:
        decoder, _, _ = causal_lm_parts(model)
        for layer in getattr(decoder, "layers", []):
            layer.compile(dynamic=True)


class _null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
