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

from curator.cli.app import JsonOpt, app, bench_app, current_workspace, emit_json, load_benchmark, err, llm_app, out
from curator.errors import CuratorError


@app.command()
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
            ("  endpoint errors (left to resume)", s.errored), ("skipped (stored by another run)", s.skipped),
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
    from curator.store.extraction import failed_chunks

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


@bench_app.command("extract")
def bench_extract(
    chunks: Annotated[int, typer.Option("--chunks", min=1, help="Chunks to extract.")] = 2000,
    latency: Annotated[float, typer.Option("--latency", min=0.0, help="Seconds the scripted server takes "
                                           "per request.")] = 0.2,
    capacity: Annotated[int, typer.Option("--capacity", min=1, help="Requests the scripted server serves at "
                                          "once (the rest queue); also the client's concurrency.")] = 64,
    naive_sample: Annotated[int, typer.Option("--naive-sample", min=1, help="Requests timed one after another "
                                              "to estimate the seed's sequential approach.")] = 10,
    as_json: JsonOpt = False,
) -> None:
    """Extraction throughput against a scripted server with fixed latency and capacity (client CPU, cache)."""
    run_bench = load_benchmark("extract").bench_extract

    result = run_bench(chunks=chunks, latency=latency, capacity=capacity, naive_sample=naive_sample)
    if as_json:
        emit_json(result)
        return
    for key, value in result.items():
        out.print(f"{key:>22}  {value}")


@bench_app.command("llm")
def bench_llm(
    base_url: Annotated[str, typer.Option("--base-url", help="The OpenAI-compatible endpoint to measure.")],
    model: Annotated[str, typer.Option("--model", help="Model name to ask for.")],
    backend: Annotated[str, typer.Option("--backend", help="openai | vllm | llamacpp | ollama | generic: how "
                                         "structured output is requested.")] = "openai",
    levels: Annotated[str, typer.Option("--levels", help="Concurrency levels to try, comma-separated.")]
    = "1,2,4,8,16,32",
    requests: Annotated[int, typer.Option("--requests", min=1, help="Requests per level (at least the level).")]
    = 32,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=16, help="max_tokens per request.")] = 512,
    api_key_env: Annotated[str, typer.Option("--api-key-env", help="Environment variable holding the API key.")]
    = "OPENAI_API_KEY",
    as_json: JsonOpt = False,
) -> None:
    """Measure an endpoint: throughput and latency against concurrency, JSON-valid rate, a suggested concurrency."""
    measure_endpoint = load_benchmark("llm").measure_endpoint

    try:
        steps = [int(x) for x in levels.split(",") if x.strip()]
    except ValueError as exc:
        raise CuratorError(f"--levels: expected comma-separated integers, got {levels!r}") from exc
    result = measure_endpoint(base_url=base_url, model=model, backend=backend, levels=steps, requests=requests,
                              max_tokens=max_tokens, api_key_env=api_key_env)
    if as_json:
        emit_json(result)
        return
    table = Table(title=f"{model} at {base_url}", title_justify="left")
    for col in ("concurrency", "req/s", "tokens out/s", "p50 ms", "p95 ms", "JSON valid", "errors"):
        table.add_column(col, justify="right")
    for r in result["levels"]:
        table.add_row(str(r["concurrency"]), f"{r['requests_per_s']:.2f}", f"{r['tokens_out_per_s']:.0f}",
                      f"{r['latency_ms_p50']:.0f}", f"{r['latency_ms_p95']:.0f}", f"{r['json_valid_rate']:.0%}",
                      str(r["errors"]))
    out.print(table)
    out.print(f"Suggested [llm].concurrency = [bold]{result['suggested_concurrency']}[/]")
