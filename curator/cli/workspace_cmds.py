"""`curator init` and `curator status`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from curator.cli.common import JsonOpt, current_workspace, emit_json, out
from curator.render import render_status
from curator.status import workspace_status
from curator.workspace import init_workspace

workspace_app = typer.Typer()  # `init` and `status`, mounted at the top level by app.py


@workspace_app.command()
def init(directory: Annotated[Path, typer.Argument(help="Folder for the new workspace (created if missing).")]
         = Path("."), as_json: JsonOpt = False) -> None:
    """Create a workspace: curator.toml with documented defaults, and the store .curator/workspace.db."""
    ws = init_workspace(directory)
    if as_json:
        emit_json({"workspace": str(ws.root), "config": str(ws.config_path), "database": str(ws.db_path)})
        return
    out.print(f"[green]Created workspace[/] {ws.root}")
    out.print(f"  settings  {ws.config_path}  (edit it; secrets stay in the environment)")
    out.print(f"  store     {ws.db_path}")
    out.print("Next: [bold]curator add PATH[/] to bring in material, then [bold]curator status[/].")


@workspace_app.command()
def status(as_json: JsonOpt = False,
           check: Annotated[bool, typer.Option("--check", help="Also run SQLite's integrity and foreign-key "
                                               "checks and compare stored text and version files with their "
                                               "stored hashes; exit 1 if they find a problem.")] = False) -> None:
    """What the workspace holds per stage (sources, documents, chunks, pairs, flags, versions, runs) and the last errors."""
    report = workspace_status(current_workspace(), check=check)
    if as_json:
        emit_json(report)
    else:
        render_status(out, report)
    if check and not report["integrity"]["ok"]:
        raise typer.Exit(1)
