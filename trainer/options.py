"""The training settings a user may set on the command line, declared once for both command lines.

`python -m trainer train` (argparse, trainer/cli.py) and `curator train` (typer,
curator/cli/training.py) build their options from TRAINING_OPTIONS, so a setting added
here appears in both with the same flag, help and checks. Each value given overrides the
preset's field of the same name (trainer.presets.Hyperparameters); a setting left out keeps the preset's.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TEMPLATES = ("auto", "chat", "gemma", "qa", "alpaca")
CONTEXT_FIELDS = ("", "evidence", "context")


@dataclass(frozen=True)
class TrainingOption:
    field: str  # the Hyperparameters field it overrides
    flag: str
    help: str
    type: type = str  # int, float or str; bool for an on/off switch
    choices: tuple[str, ...] = ()
    switch_value: bool | None = None  # for a switch: the value the field takes when the flag is given

    @property
    def param(self) -> str:
        """The flag as a Python name (`--no-quant` -> `no_quant`): the argparse dest and the typer parameter."""
        return self.flag.lstrip("-").replace("-", "_")

    @property
    def is_switch(self) -> bool:
        return self.switch_value is not None


TRAINING_OPTIONS: tuple[TrainingOption, ...] = (
    TrainingOption("epochs", "--epochs", "Passes over the training split.", float),
    TrainingOption("max_steps", "--max-steps", "Optimizer steps (overrides --epochs).", int),
    TrainingOption("learning_rate", "--learning-rate", "Peak learning rate (cosine schedule).", float),
    TrainingOption("lora_r", "--lora-r", "LoRA rank.", int),
    TrainingOption("lora_alpha", "--lora-alpha", "LoRA alpha (the adapter's scale is alpha / rank).", int),
    TrainingOption("batch_tokens", "--batch-tokens", "Padded tokens per micro-batch.", int),
    TrainingOption("grad_accum", "--grad-accum", "Micro-batches per optimizer step.", int),
    TrainingOption("max_length", "--max-length", "Token limit per pair (default: from the version's length "
                   "statistics).", int),
    TrainingOption("template", "--template", "Prompt template: " + " | ".join(TEMPLATES) + ".", str, TEMPLATES),
    TrainingOption("system", "--system", "System prompt before every question.", str),
    TrainingOption("context_field", "--context", "Put 'evidence' or 'context' (source chunk) before the question.",
                   str, CONTEXT_FIELDS),
    TrainingOption("seed", "--seed", "Seed for LoRA init and batch order.", int),
    TrainingOption("save_every", "--save-every", "Optimizer steps between checkpoints.", int),
    TrainingOption("quantize", "--no-quant", "bf16 LoRA instead of 4-bit QLoRA on CUDA.", bool, switch_value=False),
    TrainingOption("compile", "--no-compile", "Do not torch.compile the decoder layers.", bool, switch_value=False),
    TrainingOption("gradient_checkpointing", "--gradient-checkpointing", "Recompute activations in the backward "
                   "pass: less memory, slower steps.", bool, switch_value=True),
    TrainingOption("min_steps", "--min-steps", "Optimizer steps the default preset's recipe aims for at least.", int),
    TrainingOption("validation_fraction", "--validation-fraction", "Share of the train split's source items held "
                   "out to measure validation loss (0: none).", float),
    TrainingOption("eval_every", "--eval-every", "Optimizer steps between validation losses (default: about ten "
                   "per run).", int),
    TrainingOption("patience", "--patience", "Validation losses without improvement before training stops "
                   "(0: never stop early).", int),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add every training option to an argparse parser, as a group."""
    group = parser.add_argument_group("training settings (override the preset)")
    for option in TRAINING_OPTIONS:
        if option.is_switch:
            group.add_argument(option.flag, dest=option.param, action="store_true", help=option.help)
        else:
            group.add_argument(option.flag, dest=option.param, type=option.type, choices=option.choices or None,
                               help=option.help)


def overrides_from(values: Mapping[str, Any]) -> dict[str, Any]:
    """The preset overrides the user gave, keyed by Hyperparameters field, from values keyed by
    `TrainingOption.param`."""
    found: dict[str, Any] = {}
    for option in TRAINING_OPTIONS:
        value = values.get(option.param)
        if option.is_switch:
            if value:
                found[option.field] = option.switch_value
        elif value is not None:
            found[option.field] = value
    return found
