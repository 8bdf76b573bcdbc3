"""DPO: preference tuning on a version's preference records with TRL's DPOTrainer, as LoRA.

On top of an SFT run (`from_run`): the SFT run's adapter is loaded trainable and
trained further, and TRL keeps a frozen copy of it as the reference model, so the
preference step starts from, and is measured against, the model SFT made. On the
base model: a fresh LoRA adapter, with the base (adapter disabled) as reference.

The records come from the version folder only (preferences.parquet, train split),
rendered with the same template, system prompt and context as the SFT run used
(the chosen and rejected answers end with EOS as SFT answers do), so DPO sees the
prompts SFT trained on. The run lives in runs/<id>/ like an SFT run: run.json
(status running until done, method "dpo"), metrics.jsonl, loss.png, adapter/
(the whole SFT+DPO adapter, loadable like any run's), and checkpoints/ while it
trains (TRL's own, with optimizer, scheduler and RNG state), which
`--resume` continues from with the batches the killed run had not done.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from trainer import environment
from trainer.errors import SettingsError
from trainer.formatting import Formatter
from trainer.version import Example, VersionReadError, read_manifest

PREFERENCES = "preferences.parquet"
CHECKPOINTS = "checkpoints"
METRICS = "metrics.jsonl"
DPO_PRESETS = ("smoke", "default", "long")
NO_QUANT_MESSAGE = ("no CUDA GPU found: DPO trains LoRA in float32 on the CPU, without 4-bit quantization. Keep to "
                    "the smoke preset or a small model here.")


@dataclass
class DPOHyperparameters:
    """Every DPO setting; all of it goes into run.json."""

    epochs: float = 2.0
    max_steps: int = 0
    learning_rate: float = 5e-5
    beta: float = 0.1  # how far the policy may move from the reference (TRL's default)
    loss_type: str = "sigmoid"
    batch_size: int = 8
    grad_accum: int = 1
    warmup_steps: int = 0
    lora_r: int = 16
    lora_alpha: int = 32
    max_length: int = 1024
    quantize: bool = True
    gradient_checkpointing: bool = False
    template: str = "auto"
    system: str = ""
    context_field: str = ""
    seed: int = 0
    log_every: int = 5
    save_every: int = 50
    keep_checkpoints: int = 2

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, **changes: Any) -> DPOHyperparameters:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise SettingsError(f"unknown DPO setting(s): {', '.join(unknown)}")
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def dpo_preset(name: str) -> DPOHyperparameters:
    if name == "smoke":
        return DPOHyperparameters(epochs=1, max_steps=6, learning_rate=1e-3, batch_size=4, log_every=1,
                                  save_every=2, max_length=512)
    if name == "default":
        return DPOHyperparameters()
    if name == "long":
        return DPOHyperparameters(epochs=4.0)
    raise SettingsError(f"unknown preset {name!r}; choose one of {', '.join(DPO_PRESETS)}")


def from_dict(values: dict[str, Any]) -> DPOHyperparameters:
    known = {f.name for f in fields(DPOHyperparameters)}
    return DPOHyperparameters(**{k: v for k, v in values.items() if k in known})


def read_preferences(version_dir: Path, context_field: str = "") -> dict[str, list[Example | tuple]]:
    """The version's preference records by split: (prompt example with the chosen answer, rejected answer)."""
    version_dir = Path(version_dir)
    read_manifest(version_dir)
    file = version_dir / PREFERENCES
    if not file.exists():
        raise VersionReadError(f"{version_dir} holds no preference records ({PREFERENCES} is missing): make "
                               "corrections in review (edits, regenerations, keeper choices), then create a version.")
    rows = pq.read_table(file).to_pylist()
    contexts: dict[int, str] = {}
    if context_field == "context" and (version_dir / "contexts.parquet").exists():
        table = pq.read_table(version_dir / "contexts.parquet", columns=["chunk_id", "context"])
        contexts = dict(zip(table.column("chunk_id").to_pylist(), table.column("context").to_pylist()))
    evidence: dict[str, str] = {}
    if context_field == "evidence":
        data = pq.read_table(version_dir / "data.parquet", columns=["lineage_id", "evidence"])
        evidence = dict(zip(data.column("lineage_id").to_pylist(), data.column("evidence").to_pylist()))
    out: dict[str, list] = {"train": [], "test": []}
    for number, row in enumerate(rows, start=1):
        split = row.get("split")
        if split not in out:
            raise VersionReadError(f"{file} row {number}: split is {split!r}, expected 'train' or 'test'.")
        context = contexts.get(row.get("chunk_id")) if context_field == "context" else (
            evidence.get(row.get("chosen_lineage_id")) if context_field == "evidence" else None)
        example = Example(question=str(row["prompt"]), answer=str(row["chosen"]), pair_id=row.get("chosen_pair_id"),
                          lineage_id=row.get("chosen_lineage_id"), context=context or None,
                          language=row.get("language"))
        out[split].append((example, str(row["rejected"])))
    return out


def plan_dpo(version_dir: Path, runs_dir: Path, *, base: str | None, preset_name: str, overrides: dict[str, Any],
             from_run: Path | None = None, run_id: str | None = None) -> Path:
    """Create runs/<id>/ with a run.json saying what DPO will train; return the folder."""
    from trainer.run import RUN_FILE, RunError, new_run_id, read_run, write_json

    hyper = dpo_preset(preset_name)
    if not (Path(version_dir) / PREFERENCES).exists():  # refused before a run folder exists
        read_preferences(Path(version_dir))
    source: dict[str, Any] | None = None
    if from_run is not None:
        sft = read_run(Path(from_run))
        if sft.get("status") != "done" or not (Path(from_run) / "adapter").is_dir():
            raise RunError(f"run {sft.get('id')} has not finished (status {sft.get('status')}); DPO starts from a "
                           "finished run's adapter.")
        sft_hyper = sft.get("hyperparameters", {})
        # DPO must see prompts exactly as SFT rendered them: same template, system prompt and context.
        hyper = hyper.updated(template=sft.get("template") or hyper.template, system=sft_hyper.get("system", ""),
                              context_field=sft_hyper.get("context_field", ""))
        if base and base != sft["base_model"].get("name") and base != sft["base_model"].get("path"):
            raise RunError(f"--base {base} differs from the base model run {sft['id']} was trained on "
                           f"({sft['base_model'].get('path')}); leave --base out with --from.")
        source = {"id": sft["id"], "path": str(Path(from_run).resolve()),
                  "adapter": str((Path(from_run) / "adapter").resolve()), "version": sft.get("version", {}).get("id")}
        base = sft["base_model"].get("path") or sft["base_model"]["name"]
        if sft_hyper.get("quantize") is False:
            hyper = hyper.updated(quantize=False)
    hyper = hyper.updated(**overrides)
    run_id = run_id or new_run_id()
    run_dir = Path(runs_dir) / run_id
    if (run_dir / RUN_FILE).exists():
        raise RunError(f"{run_dir} already holds a run; resume it instead.")
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / RUN_FILE, {
        "id": run_id, "method": "dpo", "status": "planned", "created_at": environment.now(), "preset": preset_name,
        "version": {"path": str(Path(version_dir).resolve())}, "base_model": {"name": base or "gemma-3-270m"},
        "from_run": source, "hyperparameters": hyper.as_dict()})
    return run_dir


class _Progress:
    """A TrainerCallback (built lazily: transformers is imported only to train) writing metrics.jsonl lines."""

    def __new__(cls, run_dir: Path, total: int, on_log: Callable[[dict[str, Any]], None] | None,
                started: float, tokens_per_step: float, elapsed_before: float):
        from transformers import TrainerCallback

        class Progress(TrainerCallback):
            def on_log(self, args, state, control, logs=None, **kwargs):
                if not state.is_world_process_zero or not logs or "loss" not in logs:
                    return
                record = {"step": state.global_step, "total_steps": total, "epoch": round(state.epoch or 0.0, 3),
                          "loss": round(float(logs["loss"]), 5), "lr": logs.get("learning_rate"),
                          "tokens": int(tokens_per_step * state.global_step),
                          "elapsed_s": round(elapsed_before + time.perf_counter() - started, 2),
                          "grad_norm": None if logs.get("grad_norm") is None else round(float(logs["grad_norm"]), 4)}
                for key in ("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins"):
                    if key in logs:
                        record[key.replace("/", "_")] = round(float(logs[key]), 5)
                with open(run_dir / METRICS, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(record) + "\n")
                if on_log:
                    on_log(record)

            def on_save(self, args, state, control, **kwargs):
                if state.is_world_process_zero and on_log:
                    on_log({"event": "checkpoint", "step": state.global_step})

        return Progress()


def _keep_metrics_until(run_dir: Path, step: int) -> None:
    file = run_dir / METRICS
    if file.exists():
        kept = [line for line in file.read_text(encoding="utf-8").splitlines()
                if line.strip() and json.loads(line).get("step", 0) <= step]
        file.write_text("".join(line + "\n" for line in kept), encoding="utf-8")


def _last_checkpoint(run_dir: Path) -> tuple[Path | None, int]:
    folder = run_dir / CHECKPOINTS
    found = sorted((p for p in folder.glob("checkpoint-*") if (p / "trainer_state.json").exists()),
                   key=lambda p: int(p.name.split("-")[-1])) if folder.is_dir() else []
    return (found[-1], int(found[-1].name.split("-")[-1])) if found else (None, 0)


def execute_dpo(run_dir: Path, *, log: Callable[[str], None] = print,
                on_log: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Train (or resume) the DPO run planned in run_dir; return its final manifest."""
    import torch
    from datasets import Dataset
    from trl import DPOConfig, DPOTrainer

    from trainer.model import base_hash, load_base, load_tokenizer, resolve_base
    from trainer.run import RUN_FILE, RunError, read_run, write_json

    manifest = read_run(run_dir)
    if manifest.get("status") == "done":
        raise RunError(f"run {manifest['id']} is already finished; start a new one with `curator train`.")
    hyper = from_dict(manifest["hyperparameters"])
    on_gpu = torch.cuda.is_available()
    if not on_gpu and hyper.quantize:
        log(NO_QUANT_MESSAGE)
        hyper = hyper.updated(quantize=False)
    records = read_preferences(Path(manifest["version"]["path"]), hyper.context_field)
    if not records["train"]:
        raise RunError("the version has no training preference records (split 'train' is empty).")
    source = manifest.get("from_run")
    base_path = resolve_base(manifest["base_model"].get("path") or manifest["base_model"]["name"], log)
    tokenizer = load_tokenizer(source["adapter"] if source and (Path(source["adapter"]) / "tokenizer_config.json")
                               .exists() else base_path)
    formatter = Formatter(tokenizer, hyper.template, hyper.system or None)
    rows = []
    for example, rejected in records["train"]:
        prompt, chosen = formatter.texts(example)
        _, worse = formatter.texts(Example(question=example.question, answer=rejected, context=example.context))
        rows.append({"prompt": prompt, "chosen": chosen, "rejected": worse})
    dataset = Dataset.from_list(rows)
    version_manifest = read_manifest(Path(manifest["version"]["path"]))
    per_step = hyper.batch_size * hyper.grad_accum
    total = hyper.max_steps or max(1, int(len(rows) * hyper.epochs) // per_step)
    manifest.update({
        "status": "running", "started_at": manifest.get("started_at") or environment.now(),
        "version": {"id": version_manifest.get("id"), "path": manifest["version"]["path"],
                    "train_preferences": len(records["train"]), "test_preferences": len(records["test"])},
        "base_model": {**manifest["base_model"], "path": base_path,
                       "sha256": manifest["base_model"].get("sha256") or base_hash(base_path)},
        "template": formatter.template, "stop_token_ids": formatter.stop_ids(),
        "hyperparameters": hyper.as_dict(), "data": {"train_preferences": len(rows)},
        "code": environment.code_version(), "hardware": environment.hardware()})
    write_json(run_dir / RUN_FILE, manifest)
    log(f"run {manifest['id']}: DPO on {len(rows)} preference records of version {version_manifest.get('id')}, "
        f"template {formatter.template}, " + (f"on top of run {source['id']}" if source else "LoRA on the base model")
        + (" with 4-bit QLoRA" if hyper.quantize and on_gpu else " with LoRA (no quantization)"))
    device = "cuda" if on_gpu else "cpu"
    model = load_base(base_path, device=device, quantize=hyper.quantize and on_gpu)
    torch.manual_seed(hyper.seed)
    peft_config = None
    if source:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, source["adapter"], is_trainable=True)
    else:
        from peft import LoraConfig

        peft_config = LoraConfig(r=hyper.lora_r, lora_alpha=hyper.lora_alpha, lora_dropout=0.0,
                                 target_modules="all-linear", task_type="CAUSAL_LM", bias="none")
    checkpoint, done_steps = _last_checkpoint(run_dir)
    if checkpoint is not None:
        _keep_metrics_until(run_dir, done_steps)
    args = DPOConfig(
        output_dir=str(run_dir / CHECKPOINTS), beta=hyper.beta, loss_type=[hyper.loss_type],
        learning_rate=hyper.learning_rate, lr_scheduler_type="cosine", warmup_steps=hyper.warmup_steps,
        per_device_train_batch_size=hyper.batch_size, gradient_accumulation_steps=hyper.grad_accum,
        num_train_epochs=hyper.epochs, max_steps=hyper.max_steps or -1, max_length=hyper.max_length,
        logging_steps=hyper.log_every, save_strategy="steps", save_steps=hyper.save_every,
        save_total_limit=hyper.keep_checkpoints, seed=hyper.seed, data_seed=hyper.seed, bf16=on_gpu,
        gradient_checkpointing=hyper.gradient_checkpointing, report_to="none", disable_tqdm=True,
        use_cpu=not on_gpu, dataloader_num_workers=0)
    elapsed_before = float(manifest.get("elapsed_s") or 0.0)
    mean_tokens = _mean_tokens(tokenizer, rows)
    started = time.perf_counter()
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    progress = _Progress(run_dir, total, on_log, started, mean_tokens * per_step, elapsed_before)
    trainer = DPOTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=peft_config, callbacks=[progress])
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for printer in (PrinterCallback, ProgressCallback):  # progress goes through on_log; stdout may carry --json
        trainer.remove_callback(printer)
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    wall = time.perf_counter() - started
    adapter = run_dir / "adapter"
    trainer.model.save_pretrained(str(adapter), selected_adapters=["default"])
    tokenizer.save_pretrained(str(adapter))
    from trainer.plots import loss_curve

    loss_curve(run_dir / METRICS, run_dir / "loss.png", f"DPO run {manifest['id']} on version "
                                                        f"{version_manifest.get('id')}")
    steps = int(trainer.state.global_step)
    trained_steps = steps - done_steps
    last = [json.loads(line) for line in (run_dir / METRICS).read_text(encoding="utf-8").splitlines() if line.strip()]
    manifest.update({"status": "done", "finished_at": environment.now(), "results": {
        "steps": steps, "total_steps": total, "resumed_from_step": done_steps,
        "tokens": int(mean_tokens * per_step * steps), "wall_s": round(wall, 2),
        "tokens_per_s": round(mean_tokens * per_step * trained_steps / max(wall, 1e-9), 1),
        "peak_memory_gib": round(torch.cuda.max_memory_allocated() / 2**30, 3) if on_gpu else None,
        "peak_rss_gib": environment.peak_rss_gib(), "final_loss": last[-1]["loss"] if last else None,
        "train_loss": round(float(result.training_loss), 5),
        "final_reward_accuracy": last[-1].get("rewards_accuracies") if last else None}})
    write_json(run_dir / RUN_FILE, manifest)
    shutil.rmtree(run_dir / CHECKPOINTS, ignore_errors=True)  # adapter/ holds the final weights
    return manifest


def _mean_tokens(tokenizer: Any, rows: list[dict[str, str]]) -> float:
    """Tokens of one example as DPO runs it: the prompt twice (with each answer) and both answers."""
    if not rows:
        return 0.0
    n = lambda text: len(tokenizer(text, add_special_tokens=False).input_ids)
    return sum(2 * n(r["prompt"]) + n(r["chosen"]) + n(r["rejected"]) + 3 for r in rows) / len(rows)
