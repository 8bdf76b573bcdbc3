"""What every CLI area shares: the consoles, the --json option, the workspace a command works on.

Areas import from here, never from app.py: app.py imports the areas to mount them, so
importing it back would make a circle.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer
from rich.console import Console

from curator.errors import CuratorError
from curator.workspace import Workspace, open_workspace

out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead of tables.")]

_state: dict[str, Any] = {"workspace": None}


def set_workspace_option(workspace: Path | None) -> None:
    """Remember the top-level --workspace for the command that runs next."""
    _state["workspace"] = workspace


def current_workspace() -> Workspace:
    """The workspace the command works on (--workspace, $CURATOR_WORKSPACE, or found upward)."""
    return open_workspace(_state["workspace"])


def emit_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def load_benchmark(name: str) -> ModuleType:
    """`benchmarks.<name>`, imported only when a `curator bench` command runs.

    The benchmarks are a separate top-level package behind the `bench` extra: the product never
    imports them otherwise, so a missing package or dependency is one line, not a traceback.
    """
    try:
        return importlib.import_module(f"benchmarks.{name}")
    except ModuleNotFoundError as exc:
        missing = exc.name or "benchmarks"
        raise CuratorError(f"`curator bench {name}` needs the benchmarks package and its `bench` extra "
                           f"(missing module: {missing}); from a source checkout: "
                           "pip install -e '.[bench]'") from exc
