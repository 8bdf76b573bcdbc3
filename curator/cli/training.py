"""`curator train`, `eval`, `chat`, `serve`: the trainer module."""

from __future__ import annotations

import typer

from curator.cli.app import PASS_ARGS, app, not_built


@app.command(context_settings=PASS_ARGS)
def train(ctx: typer.Context) -> None:
    """Fine-tune a base model on a version with (Q)LoRA; writes an adapter and a run manifest under runs/."""
    not_built("train", "training")


@app.command(name="eval", context_settings=PASS_ARGS)
def eval_(ctx: typer.Context) -> None:
    """Evaluate a training run on its version's test split: SemScore, truthfulness judge, before and after."""
    not_built("eval", "evaluation")


@app.command(context_settings=PASS_ARGS)
def chat(ctx: typer.Context) -> None:
    """Ask a fine-tuned run a question and print its answer."""
    not_built("chat", "chat")


@app.command(context_settings=PASS_ARGS)
def serve(ctx: typer.Context) -> None:
    """Serve a fine-tuned run on an OpenAI-compatible endpoint on 127.0.0.1."""
    not_built("serve", "serving")
