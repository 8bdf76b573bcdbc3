"""`curator bench crawl|extract|llm|dedup|versions|tui|chunks`: thin commands over the top-level benchmarks package.

Each command imports its benchmark only when it runs (`load_benchmark`), so the product never
depends on the benchmarks; without the package or the `bench` extra, the command says so in one line.
Every command prints one JSON object with --json; its field names are kept stable across releases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from curator.cli.common import JsonOpt, emit_json, load_benchmark, out
from curator.errors import CuratorError

bench_app = typer.Typer(help="Reproducible benchmarks that print JSON (crawl, extract, dedup, versions, tui, "
                        "chunks).",
                        no_args_is_help=True)  # mounted as `curator bench` by app.py


@bench_app.command("crawl")
def bench_crawl(
    pages: Annotated[int, typer.Option(help="Pages in the generated site.", min=50)] = 2000,
    baseline_pages: Annotated[int, typer.Option(help="Pages (spread over the site) extracted in one process for "
                                                     "the single-process baseline, half just before the crawl and "
                                                     "half just after.", min=10)] = 600,
    workers: Annotated[int, typer.Option(help="Extraction processes (0: one per CPU core).", min=0)] = 0,
    json_out: JsonOpt = False,
) -> None:
    """Crawl a generated static site of --pages pages on 127.0.0.1 and report pages/s, extraction CPU and memory."""
    run_crawl_bench = load_benchmark("crawl").run_crawl_bench

    result = run_crawl_bench(pages=pages, baseline_pages=baseline_pages, workers=workers)
    if json_out:
        emit_json(result)
        return
    for key, value in result.items():
        out.print(f"{key:>28}  {value}")


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


@bench_app.command("dedup")
def bench_dedup(
    pairs: Annotated[int, typer.Option("--pairs", help="How many generated pairs (bilingual, with planted "
                                       "exact, near and conflicting duplicates).")] = 100_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated set.")] = 7,
    baseline_pairs: Annotated[int, typer.Option(
        "--baseline-pairs", help="Run the datasketch baseline on at most this many pairs (a whole-group sample) "
        "and scale its time linearly; 0 skips it.")] = 100_000,
    real: Annotated[bool, typer.Option(
        "--real", help="Score dedup on real public text instead (Python docs sentences with planted edits, "
        "VERA and FOLDOC glossaries, WordNet synonyms; Debian packages python3.11-doc, dict-vera, dict-foldoc, "
        "wordnet-base). --pairs defaults to 50,000 there.")] = False,
    per_kind: Annotated[int, typer.Option("--per-kind", help="With --real: planted copies of each kind of edit.")] = 400,
    glossary_pairs: Annotated[int, typer.Option("--glossary-pairs", help="With --real: distinct-but-similar "
                                                "glossary pairs scored for false positives.")] = 4000,
    reuse_embeddings: Annotated[Path | None, typer.Option(
        "--reuse-embeddings", help="With --real: cache vectors in this SQLite file across runs (to tune limits; "
        "throughput is then not measured).", show_default=False)] = None,
    semantic: Annotated[bool, typer.Option("--semantic/--no-semantic", help="With --real: semantic duplicates "
                                           "(sentence embeddings) on or off.")] = True,
    make_workspace: Annotated[Path | None, typer.Option(
        "--make-workspace", help="Instead of benchmarking, write the generated set into a new workspace at this "
        "folder (to time `curator filter` on it).", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Near-duplicate detection on a generated set: curator's dedup against a datasketch MinHashLSH baseline."""
    dedup = load_benchmark("dedup")
    build, run_benchmark = dedup.make_workspace, dedup.run_benchmark
    if real:
        run_real_benchmark = load_benchmark("dedup_real").run_real_benchmark
        result = run_real_benchmark(pairs if pairs != 100_000 else 50_000, per_kind, semantic, reuse_embeddings,
                                    glossary_pairs)
    elif make_workspace is not None:
        result = build(make_workspace, pairs, seed)
    else:
        result = run_benchmark(pairs, seed=seed, baseline_pairs=baseline_pairs)
    if as_json:
        emit_json(result)
    else:
        for key, value in result.items():
            out.print(f"{key}: {value}")


@bench_app.command("tui")
def bench_tui(
    pairs: Annotated[int, typer.Option("--pairs", min=1, help="How many pairs the generated workspace holds.")]
    = 100_000,
    workdir: Annotated[Path | None, typer.Option("--workdir", help="Where to generate the workspace (default: "
                                                 "the system's temporary folder); it is removed afterwards.",
                                                 show_default=False)] = None,
    accepts: Annotated[int, typer.Option("--accepts", min=1, help="Accepts timed for the p95.")] = 60,
    as_json: JsonOpt = False,
) -> None:
    """Open the review app headless on a generated workspace of N pairs and time opening, the next pair after
    an accept (p95), a filter switch, a text search, and the peak memory."""
    run_tui_bench = load_benchmark("tui").run_tui_bench

    result = run_tui_bench(pairs, workdir=workdir, accepts=accepts)
    if as_json:
        emit_json(result)
        return
    out.print(f"[bold]review app, {result['pairs']:,} pairs[/]")
    out.print(f"  open the review screen  {result['open_review_s']:.3f} s")
    out.print(f"  next pair after accept  {result['next_after_accept_p95_ms']:.1f} ms (p95)")
    out.print(f"  switch a filter         {result['filter_switch_ms']:.1f} ms (slowest of 5)")
    out.print(f"  text search             {result['search_ms']:.1f} ms")
    out.print(f"  peak memory             {result['peak_rss_mb']:.0f} MB")


@bench_app.command("versions")
def bench_versions(
    pairs: Annotated[int, typer.Option("--pairs", help="How many accepted pairs the generated workspace holds.")]
    = 100_000,
    workdir: Annotated[Path | None, typer.Option("--workdir", help="Where to generate the workspace (default: the "
                                                 "system's temporary folder).", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Time version create, diff, export (jsonl) and verify on a generated workspace of N pairs; print JSON."""
    run_versions_bench = load_benchmark("versions").run_versions_bench

    result = run_versions_bench(pairs, workdir=workdir)
    if as_json:
        emit_json(result)
    else:
        out.print_json(data=result)


@bench_app.command("chunks")
def bench_chunks(
    docs: Annotated[Path, typer.Option(help="Folder of real HTML documentation (Debian python3.11-doc).")] = Path(
        "/usr/share/doc/python3.11/html"),
    target_tokens: Annotated[int, typer.Option(help="Chunk size, as [chunking].target_tokens.", min=20)] = 400,
    limit: Annotated[int | None, typer.Option(help="Read only the first N pages.", min=1)] = None,
    as_json: JsonOpt = False,
) -> None:
    """How many chunks start mid-sentence: real documentation pages and the sample transcripts."""
    run_chunks_bench = load_benchmark("chunks").run_chunks_bench
    result = run_chunks_bench(docs_dir=docs, target_tokens=target_tokens, limit=limit)
    if as_json:
        emit_json(result)
        return
    for label, part in (("documentation", result), ("index pages", result["index_pages"]),
                        ("sample transcripts", result["transcripts"])):
        out.print(f"{label}: {part['mid_sentence_starts']:,} of {part['non_first_chunks']:,} non-first chunks start "
                  f"mid-sentence ({part['mid_sentence_rate']:.2%}), {part['chunks']:,} chunks")
