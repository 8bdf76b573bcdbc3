"""Rich rendering of library reports for the terminal (the JSON form is the report itself)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

_STATE_STYLE = {"done": "green", "running": "yellow", "failed": "red", "cancelled": "magenta", "skipped": "dim"}


def _counts(d: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(d.items())) or "-"


def render_status(console: Console, report: dict[str, Any]) -> None:
    console.print(f"[bold]Workspace[/] {escape(report['workspace'])}  "
                  f"[dim](curator {report['curator_version']}, schema {report['schema_version']})[/]")
    llm = report["llm"]
    console.print(f"[bold]LLM[/] {escape(llm['base_url'])}  backend {llm['backend']}, model {escape(llm['model'])}, "
                  f"key from ${llm['api_key_env']}; moderation {report['moderation']}")

    table = Table(title="What the workspace holds", title_justify="left", show_lines=False)
    table.add_column("stage", style="bold")
    table.add_column("total", justify="right")
    table.add_column("detail")
    sources = report["sources"]
    src_detail = _counts(sources)
    if report["sources_with_errors"]:
        src_detail += f"  [red]{report['sources_with_errors']} with errors[/]"
    table.add_row("sources", f"{sum(sources.values()):,}", src_detail)
    table.add_row("documents", f"{sum(report['documents'].values()):,}", _counts(report["documents"]))
    chunks = report["chunks"]
    table.add_row("chunks", f"{sum(chunks.values()):,}", _counts(chunks))
    pairs = report["pairs"]
    total_pairs = sum(sum(by.values()) for by in pairs.values())
    table.add_row("pairs", f"{total_pairs:,}", "")
    for status_name, by_origin in sorted(pairs.items()):
        table.add_row(f"  {status_name}", f"{sum(by_origin.values()):,}", _counts(by_origin))
    table.add_row("flags (active)", f"{sum(report['flags'].values()):,}", _counts(report["flags"]))
    versions = report["versions"]
    latest = versions["latest"]
    table.add_row("versions", f"{versions['count']:,}",
                  f"latest {latest['id'][:12]} ({latest['pair_count']:,} pairs): {escape(latest['message'])}"
                  if latest else "-")
    calls = report["llm_calls"]
    table.add_row("LLM calls", f"{calls['calls']:,}",
                  f"tokens in {calls['tokens_in']:,}, out {calls['tokens_out']:,}, failed {calls['failed']:,}")
    runs = report["runs"]
    table.add_row("runs", f"{sum(runs['by_status'].values()):,}", _counts(runs["by_status"]))
    console.print(table)

    if runs["last_per_stage"]:
        last = Table(title="Last run per stage", title_justify="left")
        for col in ("stage", "run", "state", "started", "finished", "error"):
            last.add_column(col)
        for r in runs["last_per_stage"]:
            style = _STATE_STYLE.get(r["status"], "")
            last.add_row(r["stage"], str(r["id"]), f"[{style}]{r['status']}[/]" if style else r["status"],
                         r["started_at"] or "", r["finished_at"] or "", escape(r["error"] or ""))
        console.print(last)

    errors = report["last_errors"]
    if errors:
        et = Table(title="Last errors", title_justify="left")
        for col in ("when", "stage", "where", "what"):
            et.add_column(col, overflow="fold")
        for e in errors:
            et.add_row(e["created_at"], e["stage"], escape(e["location"]), escape(e["message"]))
        console.print(et)
    else:
        console.print("[green]No errors recorded.[/]")

    if report.get("llm_usage"):
        from curator.llm.usage import render_usage
        render_usage(console, report["llm_usage"])

    integrity = report.get("integrity")
    if integrity is not None:
        if integrity["ok"]:
            console.print("[green]Integrity check: ok[/]")
        else:
            console.print("[bold red]Integrity check found problems:[/]")
            for p in integrity["problems"]:
                console.print(f"  - {escape(p)}")
