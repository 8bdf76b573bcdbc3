"""`curator train`, `eval`, `chat`, `serve`: the trainer, on the workspace's versions and runs.

The trainer package reads version folders and knows nothing of the store; this
module is where the two meet: it resolves version ids to versions/<id>/, puts
runs in runs/, and prints; the library (curator.training) records each train and
eval as a stage run, builds the truthfulness judge on the LLM engine, and writes
the eval_low flags that send what the model still gets wrong back to review.
"""

from __future__ import annotations

import enum
import functools
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from curator.cli.common import JsonOpt, current_workspace, emit_json, err, out
from curator.errors import CuratorError
from curator.training import recorded_evaluation, recorded_training, resolve_run, resolve_version
from trainer.errors import TrainerError

GREEDY_HELP = "Plain greedy decoding, without the repetition guard (the default before 0.2)."
TEMPERATURE_HELP = ("0 is greedy (default: the base model's generation config, else greedy; always with a "
                    "repetition guard).")
NGRAM_HELP = "No n-gram of this many tokens twice in an answer (default 4; 0 turns the guard off)."
PRESET_HELP = "smoke: a handful of steps (tests, the demo); default: 2 epochs; long: 4 epochs."
# What the trainer raises for the user (its TrainerError hierarchy) and file-system failures print one line;
# anything else is a bug and keeps its traceback.
USER_FACING = (TrainerError, OSError)


def _fail(exc: Exception) -> CuratorError:
    return CuratorError(str(exc) or type(exc).__name__)


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[info]}"),
                    TimeRemainingColumn(), console=err, transient=True)


training_app = typer.Typer()  # `train`, `eval`, `chat`, `serve`, mounted at the top level by app.py


def with_training_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give `command` one typer option per trainer.options.TRAINING_OPTIONS (the trainer's own CLI builds the
    same set with argparse) and hand it what the user set as `overrides`, keyed by TrainingSettings field."""
    from trainer.options import TRAINING_OPTIONS, overrides_from

    own = [p for p in inspect.signature(command, eval_str=True).parameters.values() if p.name != "overrides"]
    added = []
    for option in TRAINING_OPTIONS:
        if option.is_switch:
            added.append(inspect.Parameter(option.param, inspect.Parameter.KEYWORD_ONLY, default=False,
                                           annotation=Annotated[bool, typer.Option(option.flag, help=option.help)]))
        else:
            # typer shows and checks choices through an Enum; the wrapper hands on its value
            kind = enum.Enum(option.param, {c or "none": c for c in option.choices}, type=str) \
                if option.choices else option.type
            added.append(inspect.Parameter(option.param, inspect.Parameter.KEYWORD_ONLY, default=None,
                                           annotation=Annotated[kind | None, typer.Option(
                                               option.flag, help=option.help, show_default=False)]))

    @functools.wraps(command)
    def wrapper(**values: Any) -> None:
        given = {p.param: values.pop(p.param) for p in TRAINING_OPTIONS}
        given = {k: v.value if isinstance(v, enum.Enum) else v for k, v in given.items()}
        command(**values, overrides=overrides_from(given))

    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own] + added
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper


@training_app.command()
@with_training_options
def train(
    version: Annotated[str | None, typer.Argument(help="Version id (or a unique prefix, or 'latest'), or a "
                                                     "version folder; not needed with --resume.")] = None,
    base: Annotated[str | None, typer.Option("--base", help="Base model: Hugging Face id or local folder "
                    "(default: \\[train].base_model, else the bundled Gemma 3 270M).")] = None,
    preset: Annotated[str | None, typer.Option("--preset", help=PRESET_HELP)] = None,
    gpus: Annotated[int, typer.Option("--gpus", min=1, help="Train data-parallel on N GPUs through "
                                      "`accelerate launch` (without CUDA: N CPU processes, to test that path).")] = 1,
    merge: Annotated[bool, typer.Option("--merge", help="Also write a merged bf16 model to runs/<id>/merged/ "
                                        "(the base reloaded unquantized; never merged into 4-bit weights).")] = False,
    resume: Annotated[str | None, typer.Option("--resume", help="Continue a killed run (its id) from its last "
                                                  "checkpoint; the other options are taken from the run.")] = None,
    report_to: Annotated[str, typer.Option("--report-to", help="Also log to 'tensorboard' or 'wandb'.")] = "",
    method: Annotated[str, typer.Option("--method", help="sft (question/answer pairs) or dpo (the version's "
                                        "preference records, with TRL's DPOTrainer).")] = "sft",
    from_run: Annotated[str | None, typer.Option("--from", help="With --method dpo: continue this SFT run's "
                                                 "adapter (default: fresh LoRA on the base model).")] = None,
    beta: Annotated[float | None, typer.Option("--beta", help="With --method dpo: how far the model may move "
                                               "from the reference (default 0.1).")] = None,
    json_out: JsonOpt = False,
    *,
    overrides: dict[str, Any],
) -> None:
    """Fine-tune a base model on a version with (Q)LoRA; writes an adapter and a run manifest under runs/.
    `--method dpo [--from RUN]` tunes on the version's preference records instead."""
    if method not in ("sft", "dpo"):
        raise typer.BadParameter(f"{method!r} is not sft or dpo", param_hint="--method")
    if method == "sft" and (from_run or beta is not None):
        raise CuratorError("--from and --beta go with --method dpo.")
    import torch

    from trainer.run import execute, plan, read_run

    _check_gpus(gpus)
    ws = current_workspace()
    cfg = ws.config["train"]
    conn = ws.connect()
    runs_dir = ws.path("runs")
    given = overrides  # what the user set (trainer.options), keyed by training setting
    # the workspace's [train] section fills what the command line left out, before the preset's defaults
    overrides = {"template": cfg["template"], "system": cfg["system"], "context_field": cfg["context"], **given}
    try:
        if resume:
            run_dir = resolve_run(runs_dir, resume, last=False)
            version_dir = Path(read_run(run_dir)["version"]["path"])
        elif version is None:
            raise CuratorError("name the version to train on (`curator version list`), or --resume RUN.")
        elif method == "dpo":
            if gpus > 1:
                raise CuratorError("--method dpo trains on one GPU (or the CPU); leave out --gpus.")
            from trainer.dpo import plan_dpo

            version_dir = resolve_version(ws, conn, version)
            source = resolve_run(runs_dir, from_run, last=False) if from_run else None
            dpo_overrides = {k: given[k] for k in ("epochs", "max_steps", "learning_rate", "lora_r", "max_length",
                                                   "seed", "quantize") if k in given}
            if beta is not None:
                dpo_overrides["beta"] = beta
            if source is None:  # the SFT run's template and prompt otherwise
                dpo_overrides.update({k: overrides[k] for k in ("template", "system", "context_field")})
            run_dir = plan_dpo(version_dir, runs_dir, base=base if base is not None else cfg["base_model"],
                               preset_name=preset or cfg["preset"], overrides=dpo_overrides, from_run=source)
        else:
            version_dir = resolve_version(ws, conn, version)
            run_dir = plan(version_dir, runs_dir, base=base if base is not None else cfg["base_model"],
                           preset_name=preset or cfg["preset"], overrides=overrides, on_gpu=torch.cuda.is_available())
    except USER_FACING as exc:
        raise _fail(exc) from exc
    log = err.print if json_out else out.print

    def run_training() -> dict[str, Any]:
        try:
            if gpus > 1:
                return _launch(run_dir, gpus, merge, report_to, log, json_out)
            return _train_here(run_dir, merge, report_to, log, execute)
        except KeyboardInterrupt:
            _mark_run(run_dir, "cancelled", "cancelled by the user (Ctrl-C or the app's cancel)")
            raise
        except BaseException as exc:
            _mark_run(run_dir, "failed", f"{type(exc).__name__}: {exc}")
            raise

    manifest = recorded_training(conn, run_dir, version_dir, gpus, read_run(run_dir).get("method", "sft"),
                                 run_training)
    conn.close()
    if json_out:
        emit_json(manifest)
        return
    _print_train(manifest, run_dir)


def _mark_run(run_dir: Path, status: str, error: str) -> None:
    """A run that stopped says so in its run.json (else it would stay "running" for ever); written whole, via
    a temporary file, so a second interrupt cannot leave it half-written. `--resume` still continues it."""
    import json
    import os

    path = run_dir / "run.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return
    if manifest.get("status") == "done":
        return
    manifest.update({"status": status, "error": error})
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    os.replace(tmp, path)


def _train_here(run_dir: Path, merge: bool, report_to: str, log: Any, execute: Any) -> dict[str, Any]:
    with _progress() as progress:
        task = progress.add_task("training", total=None, info="loading")

        def on_log(record: dict[str, Any]) -> None:
            if "loss" in record:
                progress.update(task, total=record["total_steps"], completed=record["step"],
                                info=f"loss {record['loss']:.4f}")

        try:
            return execute(run_dir, merge=merge, report_to=report_to, log=log, on_log=on_log)
        except USER_FACING as exc:
            raise _fail(exc) from exc


def _check_gpus(gpus: int) -> None:
    """Refuse more GPUs than CUDA shows before a run folder is made: the launch would fail in every process."""
    import torch

    if gpus > 1 and torch.cuda.is_available() and gpus > torch.cuda.device_count():
        visible = torch.cuda.device_count()
        raise CuratorError(f"--gpus {gpus} asks for more GPUs than the {visible} this machine shows "
                           f"(CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', 'unset')}); "
                           f"pass --gpus {visible} or fewer.")


def _launcher(gpus: int, log: Any) -> tuple[list[str], dict[str, str]]:
    """The `accelerate launch` command and environment: one process per GPU, or per CPU share without CUDA."""
    import torch

    command = [sys.executable, "-m", "accelerate.commands.launch", "--num_processes", str(gpus),
               "--multi_gpu", "--mixed_precision", "no"]
    if torch.cuda.is_available():
        return command, {**os.environ, "NCCL_NVLS_ENABLE": os.environ.get("NCCL_NVLS_ENABLE", "0")}
    log(f"no CUDA GPU: training as {gpus} CPU processes over gloo, to test the data-parallel path "
        "(not faster than one process).")
    # `--cpu` would start a single process; --multi_gpu starts N through torchrun, and ACCELERATE_USE_CPU makes
    # accelerate join them over gloo. Port 0 picks a free one, so parallel test runs do not collide.
    threads = max(1, (os.cpu_count() or 1) // gpus)
    command += ["--main_process_port", "0", "--num_cpu_threads_per_process", str(threads)]
    return command, {**os.environ, "ACCELERATE_USE_CPU": "true"}


def _launch(run_dir: Path, gpus: int, merge: bool, report_to: str, log: Any, json_out: bool) -> dict[str, Any]:
    """The same run, data-parallel: `accelerate launch` starts one trainer process per GPU."""
    from trainer.run import read_run

    command, env = _launcher(gpus, log)
    command += ["-m", "trainer", "train", "--resume", str(run_dir)]
    if merge:
        command.append("--merge")
    if report_to:
        command += ["--report-to", report_to]
    # The trainer processes log to their stdout; with --json ours must hold the manifest alone, so theirs goes to
    # our stderr (file descriptor 2, which also works when sys.stderr is replaced in-process).
    result = subprocess.run(command, env=env, check=False, stdout=2 if json_out else None)
    manifest = read_run(run_dir)
    if result.returncode != 0 or manifest.get("status") != "done":
        raise CuratorError(f"the {gpus}-process training of run {run_dir.name} failed (exit {result.returncode}); "
                           f"resume it with `curator train --resume {run_dir.name}`.")
    return manifest


def _print_train(manifest: dict[str, Any], run_dir: Path) -> None:
    results = manifest["results"]
    table = Table(title=f"run {manifest['id']}", show_header=False)
    for key, value in (("version", manifest["version"]["id"]), ("base model", manifest["base_model"]["path"]),
                       ("template", manifest["template"]), ("device", manifest["hardware"]["device"]),
                       ("steps", results["steps"]), ("final loss", results["final_loss"]),
                       ("tokens/s", results["tokens_per_s"]), ("wall time (s)", results["wall_s"]),
                       ("adapter", run_dir / "adapter"), ("loss curve", run_dir / "loss.png")):
        table.add_row(key, str(value))
    out.print(table)
    out.print(f"next: curator eval {manifest['id']}")


@training_app.command(name="eval")
def eval_(
    run: Annotated[str | None, typer.Argument(help="Run id (or a unique prefix); see runs/.")] = None,
    last: Annotated[bool, typer.Option("--last", help="Evaluate the most recent finished run.")] = False,
    version: Annotated[str | None, typer.Option("--version", help="Evaluate on this version's test split "
                                                   "instead of the run's own.")] = None,
    judge: Annotated[bool | None, typer.Option("--judge/--no-judge", help="Grade truthfulness 1-5 with the "
                                                  "\\[llm] endpoint (default: \\[train].judge).")] = None,
    max_new_tokens: Annotated[int | None, typer.Option(help="Tokens generated per answer.")] = None,
    batch_size: Annotated[int | None, typer.Option(help="Answers generated at once (default "
                                                  "\\[train].eval_batch_size; 0: 256 on a GPU).")] = None,
    greedy: Annotated[bool, typer.Option("--greedy", help=GREEDY_HELP)] = False,
    temperature: Annotated[float | None, typer.Option(help=TEMPERATURE_HELP, show_default=False)] = None,
    top_p: Annotated[float | None, typer.Option(help="Nucleus sampling mass.", show_default=False)] = None,
    repetition_penalty: Annotated[float | None, typer.Option(help="1 is none.", show_default=False)] = None,
    no_repeat_ngram_size: Annotated[int | None, typer.Option(help=NGRAM_HELP, show_default=False)] = None,
    embedding_model: Annotated[str | None, typer.Option(help="SemScore embedding model folder "
                                                           "(default: the packaged all-MiniLM-L6-v2).")] = None,
    limit: Annotated[int, typer.Option(help="Evaluate only the first N test pairs (0: all).")] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Evaluate a training run on its version's test split: SemScore, truthfulness judge, before and after."""
    from trainer.evaluate import settings_for_run

    ws = current_workspace()
    cfg = ws.config["train"]
    conn = ws.connect()
    if not run and not last:
        raise CuratorError("name a run (see runs/) or pass --last.")
    run_dir = resolve_run(ws.path("runs"), run or "", last=last)
    version_dir = resolve_version(ws, conn, version) if version else None
    settings = settings_for_run(run_dir, greedy=greedy, max_new_tokens=max_new_tokens or cfg["eval_max_new_tokens"],
                                batch_size=cfg["eval_batch_size"] if batch_size is None else batch_size,
                                temperature=temperature, top_p=top_p, repetition_penalty=repetition_penalty,
                                no_repeat_ngram_size=no_repeat_ngram_size)
    with _progress() as progress:
        tasks: dict[str, Any] = {}

        def tick(side: str, n: int, total: int) -> None:
            if side not in tasks:
                tasks[side] = progress.add_task(f"{side.replace('_', '-')} answers", total=total, info="")
            progress.advance(tasks[side], n)

        try:
            report = recorded_evaluation(
                ws, conn, run_dir, version_dir, settings=settings, judge=cfg["judge"] if judge is None else judge,
                embedding_model=cfg["embedding_model"] if embedding_model is None else embedding_model, limit=limit,
                log=err.print if json_out else out.print, progress=tick)
        except USER_FACING as exc:
            raise _fail(exc) from exc
    comparison = report.get("comparison")
    flagged = report["eval_low"]["flagged_in_store"]
    conn.close()
    if json_out:
        emit_json(report)
        return
    out.print((run_dir / "eval" / "report.md").read_text(encoding="utf-8"), markup=False, highlight=False)
    if comparison:
        out.print((run_dir / "eval" / "comparison.md").read_text(encoding="utf-8"), markup=False, highlight=False)
    out.print(f"report: {run_dir / 'eval' / 'report.md'}; {flagged} pairs flagged eval_low for review")


@training_app.command()
def chat(
    run: Annotated[str | None, typer.Argument(help="Run id (or a unique prefix).")] = None,
    prompt: Annotated[str | None, typer.Argument(help="The question; without it, read questions from "
                                                    "standard input, one a line.")] = None,
    last: Annotated[bool, typer.Option("--last", help="Use the most recent finished run.")] = False,
    max_new_tokens: Annotated[int, typer.Option(help="Tokens to generate at most.")] = 256,
    greedy: Annotated[bool, typer.Option("--greedy", help=GREEDY_HELP)] = False,
    temperature: Annotated[float | None, typer.Option(help=TEMPERATURE_HELP, show_default=False)] = None,
    top_p: Annotated[float | None, typer.Option(help="Nucleus sampling mass (with temperature > 0).",
                                                show_default=False)] = None,
    repetition_penalty: Annotated[float | None, typer.Option(help="1 is none.", show_default=False)] = None,
    no_repeat_ngram_size: Annotated[int | None, typer.Option(help=NGRAM_HELP, show_default=False)] = None,
    base: Annotated[bool, typer.Option("--base", help="Also answer with the base model, for comparison.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Ask a fine-tuned run a question and print its answer."""
    from trainer.serve import Chatbot

    ws = current_workspace()
    if last and prompt is None:  # `curator chat --last "question"`: the one argument is the question
        run, prompt = None, run
    run_dir = resolve_run(ws.path("runs"), run or "", last=last or not run)
    bot = Chatbot(run_dir)
    settings = bot.default_settings(greedy=greedy, max_new_tokens=max_new_tokens, temperature=temperature, top_p=top_p,
                                    repetition_penalty=repetition_penalty, no_repeat_ngram_size=no_repeat_ngram_size)
    questions = [prompt] if prompt else (line.strip() for line in sys.stdin if line.strip())
    answers = []
    for question in questions:
        entry = {"question": question, "answer": bot.answer(question, settings).text}
        if base:
            entry["base_answer"] = bot.answer(question, settings, use_adapter=False).text
        answers.append(entry)
        if not json_out:
            out.print(f"[bold]Q:[/] {question}\n[bold green]A:[/] {entry['answer']}", highlight=False)
            if base:
                out.print(f"[dim]base model: {entry['base_answer']}[/]", highlight=False)
    if json_out:
        emit_json({"run": bot.manifest["id"], "settings": settings.as_dict(), "answers": answers})


@training_app.command()
def serve(
    run: Annotated[str | None, typer.Argument(help="Run id (or a unique prefix).")] = None,
    last: Annotated[bool, typer.Option("--last", help="Serve the most recent finished run.")] = False,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8765,
    max_new_tokens: Annotated[int, typer.Option(help="Default max_tokens of a request.")] = 256,
    greedy: Annotated[bool, typer.Option("--greedy", help=GREEDY_HELP)] = False,
) -> None:
    """Serve a fine-tuned run on an OpenAI-compatible endpoint on 127.0.0.1 (Ctrl-C stops it)."""
    from trainer.serve import Chatbot, make_server

    ws = current_workspace()
    run_dir = resolve_run(ws.path("runs"), run or "", last=last or not run)
    bot = Chatbot(run_dir)
    server = make_server(bot, port, bot.default_settings(greedy=greedy, max_new_tokens=max_new_tokens))
    host, bound = server.server_address[:2]
    # one line a script can read, whatever the terminal width (rich would wrap it at 80 columns in a pipe)
    out.print(json.dumps({"base_url": f"http://{host}:{bound}/v1", "model": bot.name}), highlight=False,
              soft_wrap=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
