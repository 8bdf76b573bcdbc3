"""`curator add`: bringing files and folders into the workspace."""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from curator.cli.common import JsonOpt, current_workspace, emit_json, err, out
from curator.errors import CuratorError
from curator.ingest.add import FileReport, summarize, walk
from curator.ingest.stage import run_ingest


class Kind(str, Enum):
    transcript = "transcript"
    glossary = "glossary"
    exam = "exam"
    qa = "qa"
    document = "document"


_STYLE = {"added": "green", "unchanged": "dim", "error": "red", "skipped": "yellow"}


_ADD_HELP = (
    "Add files or folders: transcripts (.srt .vtt .txt), glossaries and exam banks (.json .jsonl .csv), "
    "QA files, documents (.md .txt .html .pdf).\n\n"
    "Each file is added in one transaction, completely or not at all (with an error naming the file and "
    "line); the other files go on. Glossary entries and exam items become pairs through the \\[formatters] "
    "templates; QA files become pairs as they are. Adding the same file again adds nothing. "
    "Exits 1 if a file could not be added."
)


ingest_app = typer.Typer()  # `add`, mounted at the top level by app.py


@ingest_app.command(help=_ADD_HELP)
def add(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (folders are read recursively).",
                                                show_default=False)],
    kind: Annotated[Kind | None, typer.Option(
        "--kind", "-k", help="Read every file as this kind instead of detecting it from the extension and "
        "fields. On a file added before as another kind, reads it again as this kind (a new source revision; "
        "the earlier reading's pending chunks are not extracted).", case_sensitive=False, show_default=False)] = None,
    delimiter: Annotated[str | None, typer.Option(
        "--delimiter", "-d", help="With --kind qa: the character between question and answer on each line "
        "(default ':', a tab for .tsv; 'tab' or '\\t' for a tab).", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    ws = current_workspace()
    config = _with_delimiter(ws.config, delimiter, kind)
    conn = ws.connect()
    try:
        kind_value = kind.value if kind else None
        if as_json:
            run_id, reports = run_ingest(conn, paths, kind=kind_value, config=config)
        else:
            run_id, reports = _with_progress(conn, paths, kind_value, config)
    finally:
        conn.close()
    if as_json:
        emit_json({"run_id": run_id, "counts": summarize(reports), "files": [r.as_dict() for r in reports]})
    else:
        _render(reports)
    if any(r.status == "error" for r in reports):
        raise typer.Exit(1)


def _with_delimiter(config: dict, delimiter: str | None, kind: Kind | None) -> dict:
    """The workspace config with --delimiter as [ingest].qa_delimiter (it means something only with --kind qa)."""
    if delimiter is None:
        return config
    if kind is not Kind.qa:
        raise CuratorError("--delimiter reads question<delimiter>answer lines: give it with --kind qa")
    value = "\t" if delimiter in ("tab", "\\t", "\t") else delimiter
    if len(value) != 1 or value in "\\|[]{}#" or value.isspace() and value != "\t":
        raise CuratorError(f"--delimiter must be one character other than \\ | [ ] {{ }} # and spaces "
                           f"(or 'tab'), not {delimiter!r}")
    return {**config, "ingest": {**config.get("ingest", {}), "qa_delimiter": value}}


def _with_progress(conn, paths: list[Path], kind: str | None, config: dict) -> tuple[int, list[FileReport]]:
    total = sum(1 for _ in walk(paths, list(config.get("ingest", {}).get("skip_in_folders", []))))
    columns = (TextColumn("[bold]adding[/]"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.description}"))
    with Progress(*columns, console=err, transient=True, disable=total < 2) as progress:
        task = progress.add_task("", total=total)

        def advance(report: FileReport) -> None:
            progress.update(task, advance=1, description=escape(os.path.basename(report.path)))

        return run_ingest(conn, paths, kind=kind, config=config, on_file=advance)


def _render(reports: list[FileReport]) -> None:
    base = _common_folder([r.path for r in reports])
    table = Table(title=f"in {escape(base)}" if base else None, title_justify="left", show_edge=False,
                  pad_edge=False)
    for col, justify in (("file", "left"), ("status", "left"), ("kind", "left"), ("docs", "right"),
                         ("chunks", "right"), ("pairs", "right"), ("detail", "left")):
        table.add_column(col, justify=justify, overflow="fold")
    for r in reports:
        detail = []
        if r.duplicates:
            detail.append(f"{r.duplicates} already stored")
        if r.problems:
            detail.append(f"[yellow]{len(r.problems)} item(s) skipped[/]")
        detail.extend(escape(n) for n in r.notes)
        if r.status in ("error", "skipped") and r.error:
            detail.append(escape(r.error.removeprefix(r.path + ": ")))
        style = _STYLE[r.status]
        table.add_row(escape(_short(r.path, base)), f"[{style}]{r.status}[/]", r.kind or "-",
                      str(r.documents) if r.status == "added" else "", str(r.chunks) if r.status == "added" else "",
                      str(r.pairs) if r.status == "added" else "", "; ".join(detail))
    out.print(table)
    for r in reports:
        for p in r.problems:
            out.print(f"[yellow]item[/] {escape(_short(p['location'], base))}: {escape(p['message'])}")
    c = summarize(reports)
    out.print(f"[bold]{c['added']} added[/], {c['unchanged']} unchanged, "
              f"{'[red]' if c['error'] else ''}{c['error']} failed{'[/]' if c['error'] else ''}, "
              f"{c['skipped']} skipped: {c['documents']:,} documents, {c['chunks']:,} chunks, {c['pairs']:,} pairs"
              + (f", {c['problems']} item(s) skipped" if c["problems"] else ""))


def _common_folder(paths: list[str]) -> str:
    try:
        common = os.path.commonpath(paths)
    except ValueError:
        return ""
    return common if len(paths) > 1 or not os.path.isfile(common) else os.path.dirname(common)


def _short(path: str, base: str = "") -> str:
    """A path as the user reads it best: under the common folder of this run, or relative to here."""
    if base and path.startswith(base + os.sep):
        return path[len(base) + 1:]
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("../..") else path
