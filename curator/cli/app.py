"""The root `curator` command: its options, and every CLI area mounted as its own Typer app.

Each area module (workspace_cmds, ingest, crawl, extract, filters, review, pair, versions,
training, bench) defines a `typer.Typer` and imports nothing from here; this module imports them and
mounts them, in the order of the pipeline, which is the order `curator --help` lists them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curator import __version__
from curator.cli.bench import bench_app
from curator.cli.common import current_workspace, out, set_workspace_option
from curator.cli.crawl import crawl_app
from curator.cli.extract import extract_app, llm_app
from curator.cli.filters import filter_app
from curator.cli.ingest import ingest_app
from curator.cli.pair import pair_app
from curator.cli.review import review_app
from curator.cli.training import training_app
from curator.cli.versions import export_app, version_app
from curator.cli.workspace_cmds import workspace_app
from curator.errors import WorkspaceNotFound
from curator.workspace import find_root

app = typer.Typer(
    name="curator",
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
        "--workspace", "-w", help="Workspace folder (default: $CURATOR_WORKSPACE, else the nearest folder "
        "upward holding curator.toml).", show_default=False)] = None,
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
