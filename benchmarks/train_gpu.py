"""GPU benchmark: the trainer's QLoRA path against plain TRL, Gemma-3-270M shape, random weights, one run.

Run on the device machine (wheels from ../shared/gpu/prepare-wheels.sh installed):
    python3 benchmarks/train_gpu.py [--variants ours,ours_eager,trl_packed,trl_bs32,trl_padded,trl_bfd] [--steps 60]
The TRL side covers its three ways of batching: wrapped packing (trl_packed), padded batches
(trl_bs32, trl_padded) and best-fit-decreasing packing with padding-free batches (trl_bfd), so
the speedup is taken against TRL's best, not its weakest; seed_recipe and ours_noquant also exist.
Under `accelerate launch --num_processes N` only the `ours*` variants run (data parallel).

Every configuration trains on the same synthetic data (6,000 examples, prompt 31-251
tokens, answer 10-150, as in shared/gpu/qlora_probe.py) and prints one JSON line:
non-padding tokens per second after 5 warm-up steps, peak GPU memory, and model FLOPs
utilization against a bf16 matrix-product rate measured in the same process. The
last line is a summary with the speedup of the trainer's default over the best plain-
TRL configuration. Random weights measure speed only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import traceback
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CONFIG = Path(__file__).resolve().parent / "gemma3-270m-config"
WEIGHTS = Path("/tmp/rnd270m")
EXAMPLES = 6000
WARM = 5


def is_main() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def say(document: dict) -> None:
    if is_main():
        print(json.dumps(document), flush=True)


def synthetic_rows(vocab: int) -> list[tuple[list[int], int]]:
    rng = random.Random(0)
    rows = []
    for _ in range(EXAMPLES):
        p, c = rng.randint(30, 250), rng.randint(10, 150)
        rows.append(([2] + [rng.randrange(1000, vocab) for _ in range(p + c)], p + 1))
    return rows


def matmul_tflops() -> float:
    """Median bf16 8192^3 matrix-product rate over 20 timed runs (CUDA events), after warm-up."""
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    for _ in range(5):
        a @ b
    times = []
    for _ in range(20):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        a @ b
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1000)
    times.sort()
    return 2 * 8192**3 / times[len(times) // 2] / 1e12


def flops_per_token(config, mean_len: float) -> float:
    """Model FLOPs per trained token: 6N (every weight, output layer included) + 12 L H Q T attention."""
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    linear = sum(p.numel() for n, p in model.named_parameters() if "embed" not in n and p.dim() == 2)
    head = config.vocab_size * config.hidden_size
    attention = 12 * config.num_hidden_layers * config.num_attention_heads * config.head_dim * mean_len
    return 6 * (linear + head) + attention


def ensure_weights(config) -> None:
    from transformers import AutoModelForCausalLM

    if is_main() and not (WEIGHTS / "config.json").exists():
        torch.manual_seed(0)
        AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16).save_pretrained(str(WEIGHTS))
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        while not (WEIGHTS / "config.json").exists():
            time.sleep(1)


def run_ours(name: str, rows, steps: int, quantize: bool, batch_tokens: int, accelerator,
             compile_layers: bool = True) -> dict:
    import numpy as np

    from trainer.data import Tokenized
    from trainer.loop import fit
    from trainer.model import add_lora, load_base
    from trainer.presets import preset

    hyper = preset("default", on_gpu=True).updated(max_steps=steps + WARM, quantize=quantize,
                                                   batch_tokens=batch_tokens, save_every=0, log_every=10**6,
                                                   keep_checkpoints=1, compile=compile_layers,
                                                   compile_min_tokens=0)
    data = Tokenized([np.asarray(ids) for ids, _ in rows], np.asarray([p for _, p in rows]))
    model = load_base(str(WEIGHTS), device=str(accelerator.device), quantize=quantize)
    model = add_lora(model, hyper.lora_r, hyper.lora_alpha, hyper.lora_dropout)
    out = Path(f"/tmp/bench_{name}")
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    torch.cuda.reset_peak_memory_stats()
    result = fit(model, data, hyper, out, pad_id=0, accelerator=accelerator)
    del model
    torch.cuda.empty_cache()
    return {"tok_per_s": round(result.steady_tokens_per_s), "steps": result.steps,
            "s_per_step": round(result.wall_s / result.steps, 4), "peak_gib": round(result.peak_memory_gib or 0.0, 2),
            "quant": quantize, "r": hyper.lora_r, "batch_tokens": batch_tokens, "compile": compile_layers,
            "gpus": accelerator.num_processes}


def run_trl(name: str, rows, steps: int, quant: bool = True, r: int = 16, **kw) -> dict:
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, TrainerCallback
    from trl import SFTConfig, SFTTrainer

    from trainer.model import quantization_config

    class Clock(TrainerCallback):
        def on_step_end(self, args, state, control, **_):
            if state.global_step == WARM:
                torch.cuda.synchronize()
                self.t0, self.tok0 = time.time(), state.num_input_tokens_seen

        def on_train_end(self, args, state, control, **_):
            torch.cuda.synchronize()
            self.t1, self.tok1, self.steps = time.time(), state.num_input_tokens_seen, state.global_step - WARM

    ds = Dataset.from_list([{"input_ids": ids, "completion_mask": [0] * p + [1] * (len(ids) - p)} for ids, p in rows])
    model = AutoModelForCausalLM.from_pretrained(str(WEIGHTS), quantization_config=quantization_config() if quant
                                                 else None, dtype=torch.bfloat16, attn_implementation="sdpa",
                                                 device_map={"": 0})
    args = SFTConfig(output_dir=f"/tmp/trl_{name}", max_steps=steps + WARM, logging_steps=10**6, report_to=[],
                     save_strategy="no", bf16=True, learning_rate=2e-4, max_length=1024,
                     include_num_input_tokens_seen="non_padding", **kw)
    lora = LoraConfig(r=r, lora_alpha=32, lora_dropout=0.0, task_type="CAUSAL_LM",
                      target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
    clock = Clock()
    torch.cuda.reset_peak_memory_stats()
    SFTTrainer(model=model, args=args, train_dataset=ds, peft_config=lora, callbacks=[clock]).train()
    del model
    torch.cuda.empty_cache()
    return {"tok_per_s": round((clock.tok1 - clock.tok0) / (clock.t1 - clock.t0)), "steps": clock.steps,
            "s_per_step": round((clock.t1 - clock.t0) / clock.steps, 4),
            "peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2), "quant": quant, "r": r,
            **{k: str(v) for k, v in kw.items()}}


def loss_matches_reference(rows) -> dict:
    """The answer-only loss of the fast path against the model's own loss on the same padded batch, bf16 QLoRA."""
    import numpy as np

    from trainer.data import Tokenized, collate
    from trainer.loss import AnswerOnlyLoss
    from trainer.model import add_lora, load_base

    model = add_lora(load_base(str(WEIGHTS), device="cuda", quantize=True), 16, 32, 0.0)
    data = Tokenized([np.asarray(ids) for ids, _ in rows[:8]], np.asarray([p for _, p in rows[:8]]))
    batch = {k: v.cuda() for k, v in collate(data, list(range(8)), pad_id=0).items()}
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        total, count = AnswerOnlyLoss(model)(batch["input_ids"], batch["labels"])
        reference = model(input_ids=batch["input_ids"], labels=batch["labels"]).loss
    ours = float(total / count)
    del model
    torch.cuda.empty_cache()
    return {"check": "answer_only_loss", "ours": round(ours, 5), "reference": round(float(reference), 5),
            "relative_difference": abs(ours - float(reference)) / float(reference)}


def profile_steps(rows, quantize: bool, batch_tokens: int) -> None:
    """Where a training step's time goes: torch.profiler over 3 steps after 5 warm-up steps."""
    import numpy as np
    from torch.profiler import ProfilerActivity, profile

    from trainer.data import Tokenized, collate, token_batches
    from trainer.loss import AnswerOnlyLoss
    from trainer.model import add_lora, load_base

    model = add_lora(load_base(str(WEIGHTS), device="cuda", quantize=quantize), 16, 32, 0.0)
    wrapper = AnswerOnlyLoss(model)
    data = Tokenized([np.asarray(ids) for ids, _ in rows], np.asarray([p for _, p in rows]))
    batches = token_batches(data.lengths, batch_tokens, 256, 0, 0)
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-4, fused=True)

    def step(indices):
        batch = collate(data, indices, 0)
        with torch.autocast("cuda", dtype=torch.bfloat16):
            total, count = wrapper(batch["input_ids"].cuda(), batch["labels"].cuda())
        (total / count).backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    for indices in batches[:5]:
        step(indices)
    torch.cuda.synchronize()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for indices in batches[5:8]:
        step(indices)
    torch.cuda.synchronize()
    say({"profile": "quant" if quantize else "noquant", "batch_tokens": batch_tokens,
         "wall_s_per_step": round((time.perf_counter() - wall0) / 3, 4),
         "cpu_s_per_step": round((time.process_time() - cpu0) / 3, 4)})
    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        for indices in batches[8:10]:
            step(indices)
        torch.cuda.synchronize()
    if is_main():
        averages = prof.key_averages()
        print(averages.table(sort_by="self_cuda_time_total", row_limit=18, max_name_column_width=60), flush=True)
        print(averages.table(sort_by="self_cpu_time_total", row_limit=12, max_name_column_width=60), flush=True)
    torch.cuda.empty_cache()


VARIANTS = {
    "ours": lambda rows, steps, acc: run_ours("ours", rows, steps, True, 16384, acc),
    "ours_noquant": lambda rows, steps, acc: run_ours("ours_noquant", rows, steps, False, 16384, acc),
    "ours_32k": lambda rows, steps, acc: run_ours("ours_32k", rows, steps, True, 32768, acc),
    "ours_eager": lambda rows, steps, acc: run_ours("ours_eager", rows, steps, True, 16384, acc, False),
    "ours_64k": lambda rows, steps, acc: run_ours("ours_64k", rows, steps, True, 65536, acc),
    "seed_recipe": lambda rows, steps, acc: run_trl("seed_recipe", rows, min(steps, 20), r=256,
                                                    per_device_train_batch_size=2, gradient_accumulation_steps=4,
                                                    gradient_checkpointing=True),
    "trl_packed": lambda rows, steps, acc: run_trl("trl_packed", rows, steps, per_device_train_batch_size=8,
                                                   gradient_checkpointing=False, packing=True,
                                                   packing_strategy="wrapped"),
    "trl_bs32": lambda rows, steps, acc: run_trl("trl_bs32", rows, steps, per_device_train_batch_size=32,
                                                 gradient_checkpointing=False),
    # TRL's padded batches (no packing), 16 rows: the batch its docs start from.
    "trl_padded": lambda rows, steps, acc: run_trl("trl_padded", rows, steps, per_device_train_batch_size=16,
                                                   gradient_checkpointing=False),
    # Best-fit-decreasing packing with padding-free batches (position ids reset per example). Without
    # flash-attention kernels on the machine it runs under SDPA, as TRL allows.
    "trl_bfd": lambda rows, steps, acc: run_trl("trl_bfd", rows, steps, per_device_train_batch_size=8,
                                                gradient_checkpointing=False, packing=True, packing_strategy="bfd",
                                                padding_free=True),
}


def main() -> None:
    from accelerate import Accelerator
    from transformers import AutoConfig

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="ours,ours_eager,trl_packed,trl_bs32,trl_padded,trl_bfd")
    parser.add_argument("--steps", type=int, default=60, help="timed optimizer steps after the warm-up")
    parser.add_argument("--config", default=str(CONFIG))
    parser.add_argument("--profile", action="store_true", help="profile a few steps of each path and stop")
    args = parser.parse_args()
    accelerator = Accelerator()
    config = AutoConfig.from_pretrained(args.config)
    ensure_weights(config)
    rows = synthetic_rows(config.vocab_size)
    mean_len = sum(len(ids) for ids, _ in rows) / len(rows)
    peak = matmul_tflops()
    per_token = flops_per_token(config, mean_len)
    say({"gpu": torch.cuda.get_device_name(0), "gpus": accelerator.num_processes, "torch": torch.__version__,
         "mean_len": round(mean_len, 1), "bf16_matmul_tflops": round(peak, 1),
         "model_gflops_per_token": round(per_token / 1e9, 3)})
    if args.profile:
        for quantize in (True, False):
            profile_steps(rows, quantize, 16384)
        return
    if accelerator.num_processes == 1 and "ours" in args.variants:
        say(loss_matches_reference(rows))
    results = {}
    for name in args.variants.split(","):
        if accelerator.num_processes > 1 and not name.startswith("ours"):
            continue
        try:
            result = VARIANTS[name](rows, args.steps, accelerator)
            result["mfu"] = round(result["tok_per_s"] * per_token / (peak * 1e12 * accelerator.num_processes), 4)
            results[name] = result
            say({"config": name, **result})
        except Exception as exc:  # noqa: BLE001  (one failing configuration must not hide the others)
            say({"config": name, "error": f"{type(exc).__name__}: {exc}"[:400]})
            if is_main():
                traceback.print_exc(limit=4)
    trl_best = max((r["tok_per_s"] for n, r in results.items() if not n.startswith("ours")), default=None)
    say({"summary": {n: r["tok_per_s"] for n, r in results.items()},
         "best_trl": max(((n, r["tok_per_s"]) for n, r in results.items() if not n.startswith("ours")),
                         key=lambda x: x[1], default=None),
         "speedup_eager_vs_best_trl": round(results["ours_eager"]["tok_per_s"] / trl_best, 2)
         if trl_best and "ours_eager" in results else None,
         "speedup_ours_vs_best_trl": round(results["ours"]["tok_per_s"] / trl_best, 2)
         if trl_best and "ours" in results else None,
         "speedup_noquant_vs_best_trl": round(results["ours_noquant"]["tok_per_s"] / trl_best, 2)
         if trl_best and "ours_noquant" in results else None})


if __name__ == "__main__":
    main()
