"""`python -m trainer`: train, eval, chat and serve without curator (a version directory is all it needs).

`curator train/eval/chat/serve` call the same functions and add the workspace:
resolving version ids, recording runs in the store and writing eval_low flags.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from trainer.options import add_arguments, overrides_from
from trainer.presets import PRESETS


def generation_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("generation (default: the base model's generation config plus a "
                                      "repetition guard, seeded)")
    group.add_argument("--greedy", action="store_true", help="plain greedy decoding, no repetition guard")
    group.add_argument("--temperature", type=float, help="0: greedy")
    group.add_argument("--top-p", type=float)
    group.add_argument("--top-k", type=int)
    group.add_argument("--repetition-penalty", type=float)
    group.add_argument("--no-repeat-ngram-size", type=int, help="0: no guard")
    group.add_argument("--generation-seed", dest="generation_seed", type=int)


def explicit_generation(args: argparse.Namespace) -> dict[str, Any]:
    names = ("temperature", "top_p", "top_k", "repetition_penalty", "no_repeat_ngram_size")
    found = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    if getattr(args, "generation_seed", None) is not None:
        found["seed"] = args.generation_seed
    return found


def _last_run(runs: Path) -> Path:
    done = sorted((p for p in runs.glob("*/run.json")), key=lambda p: p.stat().st_mtime)
    if not done:
        raise SystemExit(f"no runs in {runs}")
    return done[-1].parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="fine-tune on a version directory")
    train.add_argument("version", type=Path, nargs="?", help="a versions/<id>/ directory (not with --resume)")
    train.add_argument("--runs", type=Path, default=Path("runs"), help="where runs/<id>/ folders go")
    train.add_argument("--base", default="", help="Hugging Face id or local path (default: bundled Gemma 3 270M)")
    train.add_argument("--preset", default="smoke", choices=PRESETS)
    train.add_argument("--run-id", help="name of the new run (default: time and a random suffix)")
    train.add_argument("--resume", type=Path, help="a killed run's folder: continue from its last checkpoint")
    train.add_argument("--merge", action="store_true", help="also write a merged bf16 model to merged/")
    train.add_argument("--report-to", default="", choices=["", "tensorboard", "wandb"])
    train.add_argument("--method", default="sft", choices=["sft", "dpo"],
                       help="dpo: the version's preference records with TRL's DPOTrainer")
    train.add_argument("--from", dest="from_run", type=Path, help="with --method dpo: an SFT run folder to continue")
    train.add_argument("--beta", type=float, help="with --method dpo: DPO's beta (default 0.1)")
    train.add_argument("--batch-size", type=int, help="with --method dpo: preference records per batch")
    add_arguments(train)
    ev = sub.add_parser("eval", help="evaluate a run on its version's test split")
    ev.add_argument("run", type=Path, nargs="?", help="a runs/<id>/ folder (default: the latest in --runs)")
    ev.add_argument("--runs", type=Path, default=Path("runs"))
    ev.add_argument("--version", type=Path, help="evaluate on another version directory's test split")
    ev.add_argument("--max-new-tokens", type=int, default=128)
    ev.add_argument("--batch-size", type=int, default=0, help="answers generated at once (0: 256 on a GPU)")
    generation_args(ev)
    ev.add_argument("--limit", type=int, default=0)
    ev.add_argument("--embedding-model", default="", help="SemScore model folder; 'none' leaves SemScore "
                    "out (answers.jsonl keeps the answers to score elsewhere)")
    ev.add_argument("--low-semscore", type=float, default=0.5)
    for command in (train, ev):
        command.add_argument("--json", action="store_true", help="print one JSON document at the end")
    args = parser.parse_args(argv)
    log = (lambda line: print(line, file=sys.stderr, flush=True)) if args.json else print
    if args.command == "train":
        import torch

        from trainer.run import execute, plan

        if args.resume:
            run_dir = args.resume
        elif args.version is None:
            parser.error("train needs a version directory, or --resume RUN_DIR")
        elif args.method == "dpo":
            from trainer.dpo import plan_dpo

            names = ("epochs", "max_steps", "learning_rate", "lora_r", "lora_alpha", "max_length", "seed",
                     "save_every", "beta", "batch_size")
            overrides = {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}
            if args.no_quant:
                overrides["quantize"] = False
            run_dir = plan_dpo(args.version, args.runs, base=args.base, preset_name=args.preset, overrides=overrides,
                               from_run=args.from_run, run_id=args.run_id)
        else:
            run_dir = plan(args.version, args.runs, base=args.base, preset_name=args.preset,
                           overrides=overrides_from(vars(args)), run_id=args.run_id, on_gpu=torch.cuda.is_available())
        manifest = execute(run_dir, merge=args.merge, report_to=args.report_to, log=log,
                           on_log=lambda r: log(json.dumps(r)))
        if args.json and manifest.get("status") == "done":  # the other data-parallel ranks return unfinished
            print(json.dumps(manifest, ensure_ascii=False, default=str))
        return 0
    from trainer.evaluate import EvalOptions, evaluate, settings_for_run

    run_dir = args.run or _last_run(args.runs)
    settings = settings_for_run(run_dir, greedy=args.greedy, max_new_tokens=args.max_new_tokens,
                                batch_size=args.batch_size, **explicit_generation(args))
    options = EvalOptions(version_dir=args.version, settings=settings, limit=args.limit,
                          embedding_model=args.embedding_model, low_semscore=args.low_semscore,
                          judge_off_reason="python -m trainer has no judge endpoint")
    report = evaluate(run_dir, options, log=log)
    from trainer.compare import compare  # a DPO run on an SFT run: base, SFT and SFT+DPO in one report

    comparison = compare(run_dir, report, options, log=log)
    if comparison:
        report["comparison"] = comparison
    if args.json:
        print(json.dumps(report, ensure_ascii=False, default=str))
    else:
        print((run_dir / "eval" / "report.md").read_text(encoding="utf-8"))
        if comparison:
            print((run_dir / "eval" / "comparison.md").read_text(encoding="utf-8"))
    return 0
