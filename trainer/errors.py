"""Errors the trainer raises for the user to act on: one hierarchy, so callers catch by class, not by name.

`curator train/eval` turn any TrainerError into a one-line message; anything else escaping
the trainer is a bug and keeps its traceback. Settings errors also stay ValueErrors, so code
that caught ValueError before keeps working.
"""

from __future__ import annotations


class TrainerError(Exception):
    """Base of every trainer error whose message is meant for the user."""


class SettingsError(TrainerError, ValueError):
    """An unknown preset or training setting, or one this machine cannot honour (4-bit without CUDA)."""


class EvalError(TrainerError, ValueError):
    """A run that cannot be evaluated: unfinished, or a version without test pairs."""
