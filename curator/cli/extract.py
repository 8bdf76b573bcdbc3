"""`curator extract`, `curator llm serve`, `curator bench extract` and `curator bench llm`."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from curator.cli.common import JsonOpt, current_workspace, emit_json, err, out
from curator.errors import CuratorError

extract_app = typer.Typer()  # `extract`, mounted at the top level by app.py
llm_app = typer.Typer(help="The LLM endpoint: start the bundled local model, or measure an endpoint.",
                      no_args_is_help=True)


@extract_app.command()
def extract(
    chunks: Annotated[list[int] | None, typer.Argument(
        help="Chunk ids: only these pending chunks, or with --regenerate the chunks to regenerate.",
        show_default=False)] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Send the failed chunks again (past the "
                                               "cache) instead of the pending ones.")] = False,
    regenerate: Annotated[bool, typer.Option("--regenerate", help="Regenerate CHUNK...: ask again past the cache; "
                                             "their pending pairs are superseded by the new ones (accepted and "
                                             "rejected pairs keep the reviewer's decision).")] = False,
    pair: Annotated[list[int] | None, typer.Option("--pair", help="Regenerate this pair (repeatable): it is "
                                                   "superseded by new pairs from its chunk.",
                                                   show_default=False)] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Work on at most this many chunks.")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="Use this OpenAI-compatible endpoint instead "
                                                 "of [llm].base_url.", show_default=False)] = None,
    list_failed: Annotated[bool, typer.Option("--list-failed", help="Only list the failed chunks with their "
                                              "errors and raw output; send nothing.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Ask the LLM for schema-valid question/answer pairs from each pending chunk (cached, resumable).

    Every answer is validated (schema, real questions, evidence found in the chunk) and re-asked once
    with the errors when invalid; chunks still invalid are marked failed, never dropped silently.
    Running it again sends nothing for chunks already done; after a crash or kill it resumes.
    """
    from curator.extract.stage import run_extraction

    ws = current_workspace()
    if list_failed:
        _list_failed(ws, as_json)
        return
    if regenerate and not chunks and not pair:
        raise CuratorError("--regenerate needs chunk ids (curator extract --regenerate 12 15) or --pair ID")
    if retry_failed and (regenerate or pair):
        raise CuratorError("--retry-failed and --regenerate/--pair are separate runs; use one of them")
    progress = None if as_json else _progress()
    task: dict[str, Any] = {}

    def on_start(total: int, endpoint: Any) -> None:
        if progress is not None:
            out.print(f"Extracting from {total:,} chunk(s) with [bold]{escape(endpoint.model)}[/] at "
                      f"{escape(endpoint.base_url)} ({endpoint.backend}, concurrency {endpoint.concurrency})")
            progress.start()
            task["id"] = progress.add_task("extract", total=total, detail="")

    def on_progress(s: Any) -> None:
        if progress is not None and "id" in task:
            progress.update(task["id"], completed=s.succeeded + s.failed + s.errored + s.skipped,
                            detail=f"ok {s.succeeded}  repaired {s.repaired}  failed {s.failed}  "
                                   f"errors {s.errored}  pairs {s.pairs}")

    try:
        summary = run_extraction(ws, retry_failed=retry_failed, regenerate=(chunks or []) if regenerate else (),
                                 regenerate_pairs=pair or (), only=(chunks or []) if not regenerate else (),
                                 limit=limit, base_url=base_url, on_start=on_start, on_progress=on_progress)
    finally:
        if progress is not None:
            progress.stop()
    if as_json:
        emit_json(summary.as_dict())
    else:
        _render_summary(summary)
    if summary.stopped:
        if summary.stopped.startswith("interrupted"):
            raise typer.Exit(130)
        err.print(f"[bold red]stopped:[/] {escape(summary.stopped)}", soft_wrap=True)
        raise typer.Exit(1)


def _progress() -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), TextColumn("{task.fields[detail]}"), console=out, transient=False)


def _render_summary(s: Any) -> None:
    if s.selected == 0:
        out.print("Nothing to extract: no chunk is "
                  + ("failed." if s.mode == "retry-failed" else "pending (everything done is cached).")
                  + " See `curator status`.")
        return
    table = Table(title=f"Extraction ({s.mode})", title_justify="left")
    table.add_column("chunks", style="bold")
    table.add_column("count", justify="right")
    rows = [("selected", s.selected), ("answered", s.sent), ("  succeeded", s.succeeded),
            ("    of which repaired", s.repaired), ("  failed (invalid after re-asks)", s.failed),
            ("  endpoint errors (left to resume)", s.errored), ("skipped (another run has or had it)", s.skipped),
            ("not started (stopped)", s.not_started), ("answered from the cache", s.from_cache)]
    for name, value in rows:
        table.add_row(name, f"{value:,}")
    out.print(table)
    extra = f", {s.superseded:,} superseded" if s.superseded else ""
    out.print(f"Pairs made: [bold]{s.pairs:,}[/]{extra}.  Requests sent {s.requests_sent:,}, cache hits "
              f"{s.cache_hits:,}, tokens in {s.tokens_in:,} / out {s.tokens_out:,}"
              + (f", latency p50 {s.latency_ms_p50:.0f} ms, p95 {s.latency_ms_p95:.0f} ms" if s.latency_ms_p50 else "")
              + f", {s.seconds:.1f} s.")
    if s.failed:
        out.print("[yellow]Failed chunks keep their raw output:[/] `curator extract --list-failed`; try them "
                  "again with `curator extract --retry-failed`.")


def _list_failed(ws: Any, as_json: bool) -> None:
    from curator.store.extract_queue import failed_chunks

    conn = ws.connect()
    try:
        rows = failed_chunks(conn)
    finally:
        conn.close()
    if as_json:
        emit_json({"failed": rows})
        return
    if not rows:
        out.print("[green]No failed chunks.[/]")
        return
    for r in rows:
        out.print(f"[bold]chunk {r['id']}[/] {escape(r['uri'])} #{r['seq']}")
        out.print(f"  [red]{escape(r['error'] or '')}[/]")
        raw = (r["raw_output"] or "").strip()
        out.print("  raw: " + escape(raw[:400] + ("..." if len(raw) > 400 else "")), highlight=False)


@llm_app.command("serve")
def llm_serve(
    port: Annotated[int | None, typer.Option("--port", help="Port on 127.0.0.1 (default: a free one).",
                                             show_default=False)] = None,
    model_path: Annotated[Path | None, typer.Option("--model", help="A GGUF file instead of the bundled Gemma 3 "
                                                    "270M.", show_default=False)] = None,
    n_ctx: Annotated[int, typer.Option("--n-ctx", help="Context window in tokens.")] = 4096,
) -> None:
    """Start the bundled local model (llama.cpp server, Gemma 3 270M) on 127.0.0.1 until Ctrl-C.

    Point another workspace at it with [llm] base_url = the printed URL, backend = "llamacpp".
    """
    from curator.llm.local import LocalModelServer

    server = LocalModelServer(model_path, port=port, n_ctx=n_ctx)
    err.print("Starting the local llama.cpp server (Gemma 3 270M: a small base model, poor questions; "
              "it exists so everything runs offline)...")
    # a plain `kill` stops the server too (the child runs in its own session, out of reach of signals)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with server:
        out.print(f"Serving at [bold]{server.base_url}[/] (model alias {server.alias}); Ctrl-C stops it.")
        out.print(escape(f'In curator.toml: [llm] base_url = "{server.base_url}", backend = "llamacpp"'))
        try:
            server.wait()
        except KeyboardInterrupt:
            err.print("stopping the local server.")
