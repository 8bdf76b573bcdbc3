"""The training options are declared once (trainer.options) and both command lines read them the same way."""

from __future__ import annotations

import argparse

import typer
from typer.testing import CliRunner

from curator.cli.training import with_training_options
from trainer.options import TRAINING_OPTIONS, add_arguments, overrides_from

ARGV = ["--epochs", "1.5", "--lora-r", "4", "--template", "qa", "--context", "evidence", "--system", "Be brief.",
        "--no-quant", "--gradient-checkpointing"]
EXPECTED = {"epochs": 1.5, "lora_r": 4, "template": "qa", "context_field": "evidence", "system": "Be brief.",
            "quantize": False, "gradient_checkpointing": True}


def _argparse_overrides(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return overrides_from(vars(parser.parse_args(argv)))


def _typer_overrides(argv: list[str]) -> tuple[int, dict, str]:
    seen: dict = {}
    app = typer.Typer()

    @app.command()
    @with_training_options
    def train(name: str = "x", *, overrides: dict) -> None:
        seen.update(overrides, _name=name)

    @app.command()
    def other() -> None:  # a second command, so typer keeps `train` as a sub-command
        pass

    result = CliRunner().invoke(app, ["train", *argv])
    return result.exit_code, seen, result.output


def test_both_command_lines_give_the_same_overrides():
    assert _argparse_overrides(ARGV) == EXPECTED
    code, seen, output = _typer_overrides(ARGV)
    assert code == 0, output
    assert {k: v for k, v in seen.items() if k != "_name"} == EXPECTED


def test_options_left_out_keep_the_preset():
    assert _argparse_overrides([]) == {}
    code, seen, _ = _typer_overrides([])
    assert code == 0 and seen == {"_name": "x"}


def test_a_value_outside_the_choices_is_refused_by_both():
    code, _, output = _typer_overrides(["--template", "llama"])
    assert code == 2 and "llama" in output
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    try:
        parser.parse_args(["--template", "llama"])
    except SystemExit as exc:
        assert exc.code == 2
    else:
        raise AssertionError("argparse accepted an unknown template")


def test_every_option_is_in_both_helps(curator_cmd):
    import subprocess
    import sys

    trainer_help = subprocess.run([sys.executable, "-m", "trainer", "train", "--help"], capture_output=True,
                                  text=True, timeout=120, check=False).stdout
    curator_help = curator_cmd("train", "--help").stdout
    for option in TRAINING_OPTIONS:
        assert option.flag in trainer_help and option.flag in curator_help, option.flag
