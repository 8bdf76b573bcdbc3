"""The root `curator` command: its options, and every CLI area mounted as its own Typer app.

Each area module (workspace_cmds, ingest, crawl, extract, filters, judge, review, pair,
versions, training, bench) defines a `typer.Typer` and imports nothing from here; this module imports them and
mounts them, in the order of the pipeline, which is the order `curator --help` lists them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from curator import __version__
from curator.cli.bench import bench_app
from curator.cli.common import current_workspace, out, set_workspace_option
from curator.cli.crawl import crawl_app
from curator.cli.extract import extract_app, llm_app
from curator.cli.filters import filter_app
from curator.cli.ingest import ingest_app
from curator.cli.judge import judge_app
from curator.cli.pair import pair_app
from curator.cli.review import review_app
from curator.cli.training import training_app
from curator.cli.versions import export_app, version_app
from curator.cli.workspace_cmds import workspace_app
from curator.errors import WorkspaceNotFound
from curator.workspace import find_root

_WORKSPACE_HELP = ("Workspace folder (default: $CURATOR_WORKSPACE, else the nearest folder upward holding "
                   "curator.toml).")


def _set_workspace(ctx: Any, param: Any, value: Path | None) -> None:
    if value is not None:
        set_workspace_option(value)


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

# Apps mounted without a name add their commands at the top level (`curator add`, `curator train`, ...).
app.add_typer(workspace_app)
app.add_typer(ingest_app)
app.add_typer(crawl_app)
app.add_typer(extract_app)
app.add_typer(filter_app, name="filter")
app.add_typer(judge_app, name="judge")
app.add_typer(review_app)
app.add_typer(pair_app, name="pair")
app.add_typer(version_app, name="version")
app.add_typer(export_app)
app.add_typer(training_app)
app.add_typer(bench_app, name="bench")
app.add_typer(llm_app, name="llm")


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
    set_workspace_option(workspace)
    if ctx.invoked_subcommand is None:
        try:
            find_root(workspace)
        except WorkspaceNotFound:
            out.print(ctx.get_help())
            raise typer.Exit(0)
        from curator.tui.launch import open_app  # textual loads only when the app opens

        open_app(current_workspace(), out)
