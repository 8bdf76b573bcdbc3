"""The Typer application, its sub-command groups, and what every command shares (workspace, --json, output)."""

from __future__ import annotations

import copy
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from curator import __version__
from curator.errors import CuratorError, WorkspaceNotFound
from curator.workspace import Workspace, find_root, open_workspace

out = Console()
err = Console(stderr=True)

_state: dict[str, Any] = {"workspace": None}
_WORKSPACE_HELP = ("Workspace folder (default: $CURATOR_WORKSPACE, else the nearest folder upward holding "
                   "curator.toml).")


def _set_workspace(ctx: Any, param: Any, value: Path | None) -> None:
    if value is not None:
        _state["workspace"] = value


def _with_workspace_option(command: Any, root_option: Any) -> Any:
    """Give a command, and every command under it, the root's -w/--workspace option (once).

    So `curator -w DIR status` and `curator status -w DIR` (and `curator version -w DIR list`,
    `curator version list -w DIR`) all work. The option is a copy of the root's (typer builds
    it with its own click), whose value only sets the workspace the command opens.
    """
    if not any(p.name == "workspace" or "-w" in getattr(p, "opts", ()) for p in command.params):
        option = copy.copy(root_option)
        option.expose_value, option.callback = False, _set_workspace
        command.params.append(option)
    for sub in getattr(command, "commands", {}).values():
        _with_workspace_option(sub, root_option)
    return command


class _WorkspaceEverywhere(TyperGroup):
    """The root group: each command it resolves takes -w/--workspace after its name too (see above)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        root_option = next((p for p in self.params if p.name == "workspace"), None)
        if command is None or root_option is None:
            return command
        return _with_workspace_option(command, root_option)


app = typer.Typer(
    name="curator",
    cls=_WorkspaceEverywhere,
    help="Build reviewed, versioned fine-tuning datasets: ingest, extract, filter, review, version, train, eval. "
    "With no command, opens the review app on the workspace (or shows this help outside one).",
    no_args_is_help=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
    pretty_exceptions_enable=False,
    add_completion=False,
)
version_app = typer.Typer(help="Immutable, content-addressed dataset versions: create, list, show, diff, verify.",
                          no_args_is_help=True)
bench_app = typer.Typer(help="Reproducible benchmarks that print JSON (crawl, extract, dedup, versions, tui).",
                        no_args_is_help=True)
llm_app = typer.Typer(help="The LLM endpoint: start the bundled local model, or measure an endpoint.",
                      no_args_is_help=True)
app.add_typer(version_app, name="version")
app.add_typer(bench_app, name="bench")
app.add_typer(llm_app, name="llm")

JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout instead of tables.")]


def _version_callback(value: bool) -> None:
    if value:
        out.print(f"curator {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _main(
    ctx: typer.Context,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help=_WORKSPACE_HELP + " Accepted after any command as well.",
        show_default=False)] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Print curator's version and exit.")] = False,
) -> None:
    _state["workspace"] = workspace
    if ctx.invoked_subcommand is None:
        try:
            find_root(workspace)
        except WorkspaceNotFound:
            out.print(ctx.get_help())
            raise typer.Exit(0)
        from curator.cli.review import open_app
        open_app()


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
