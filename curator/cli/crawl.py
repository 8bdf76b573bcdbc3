"""`curator crawl`: a polite web crawler feeding documents; `curator bench crawl`: its throughput benchmark."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.live import Live
from rich.markup import escape
from rich.table import Table

from curator.cli.common import JsonOpt, current_workspace, emit_json, err, out
from curator.crawl import CrawlSettings, run_crawl
from curator.crawl.progress import CrawlCounts, CrawlProgressView

crawl_app = typer.Typer()  # `crawl`, mounted at the top level by app.py


@crawl_app.command()
def crawl(
    urls: Annotated[list[str], typer.Argument(help="Seed URLs (http or https). Each seed is a source; running the "
                                                    "same seed again resumes its crawl.", show_default=False)],
    scope: Annotated[str | None, typer.Option(help="'host': stay on each seed's scheme, host and port; 'prefix': "
                                                   "also under the seed's folder.", show_default=False)] = None,
    include: Annotated[list[str] | None, typer.Option("--include", help="Regex a URL must match to be crawled "
                                                      "(repeatable; any one suffices).", show_default=False)] = None,
    exclude: Annotated[list[str] | None, typer.Option("--exclude", help="Regex that keeps matching URLs out "
                                                      "(repeatable).", show_default=False)] = None,
    max_depth: Annotated[int | None, typer.Option(help="Links followed from the seed (seed = 0).",
                                                  show_default=False, min=0)] = None,
    max_pages: Annotated[int | None, typer.Option(help="URLs a seed may queue in all, across runs.",
                                                  show_default=False, min=1)] = None,
    delay: Annotated[float | None, typer.Option("--delay", help="Seconds between requests to one host "
                                                "(robots.txt Crawl-delay wins when longer).",
                                                show_default=False, min=0)] = None,
    per_host: Annotated[int | None, typer.Option("--per-host", help="Requests in flight at once to one host.",
                                                 show_default=False, min=1)] = None,
    concurrency: Annotated[int | None, typer.Option(help="Requests in flight at once across all hosts.",
                                                    show_default=False, min=1)] = None,
    sitemaps: Annotated[bool | None, typer.Option("--sitemaps/--no-sitemaps", help="Queue what the site's "
                                                  "sitemaps list.", show_default=False)] = None,
    max_body_mb: Annotated[float | None, typer.Option(help="Bodies larger than this (MB) are not kept.",
                                                      show_default=False)] = None,
    max_redirects: Annotated[int | None, typer.Option(help="Redirects followed per URL.", show_default=False,
                                                      min=0)] = None,
    connect_timeout: Annotated[float | None, typer.Option(help="Seconds to wait for a connection.",
                                                          show_default=False)] = None,
    read_timeout: Annotated[float | None, typer.Option(help="Seconds to wait for the next bytes of an answer.",
                                                       show_default=False)] = None,
    retries: Annotated[int | None, typer.Option(help="Retries of 429, 5xx and network failures.",
                                                show_default=False, min=0)] = None,
    workers: Annotated[int | None, typer.Option(help="Extraction processes (0: one per CPU core).",
                                                show_default=False, min=0)] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Fetch every page handled before again, "
                                          "conditionally (ETag / Last-Modified); 304 answers count as unchanged.")
                       ] = False,
    allow_private: Annotated[bool, typer.Option("--allow-private", help="Allow loopback, private-network and "
                                                "link-local addresses (refused by default).")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Crawl web pages politely (robots.txt, per-host delay, scope limits) into documents and chunks.

    Each page becomes a document (HTML as markdown, PDF, text, subtitles) with its fetch metadata.

    Identical text at two URLs is stored once, with both URLs.

    Kill it at any time: running it again continues where it stopped.

    Options left out take their value from the \\[crawl] section of curator.toml.
    """
    ws = current_workspace()
    settings = CrawlSettings.from_config(
        ws.config, scope=scope, include=tuple(include) if include else None,
        exclude=tuple(exclude) if exclude else None, max_depth=max_depth, max_pages=max_pages, delay_s=delay,
        per_host_concurrency=per_host, concurrency=concurrency, sitemaps=sitemaps, max_body_mb=max_body_mb,
        max_redirects=max_redirects, connect_timeout_s=connect_timeout, read_timeout_s=read_timeout,
        retries=retries, extract_workers=workers, refresh=refresh, allow_private=allow_private)
    conn = ws.connect()
    try:
        counts = CrawlCounts()
        if json_out or not err.is_terminal:
            report = run_crawl(conn, ws.config, urls, settings, counts=counts)
        else:
            view = CrawlProgressView(counts, "crawling " + ", ".join(urls[:2]) + (" ..." if len(urls) > 2 else ""))
            with Live(view, console=err, refresh_per_second=4, transient=False):
                report = run_crawl(conn, ws.config, urls, settings, counts=counts)
    finally:
        conn.close()
    if json_out:
        emit_json(report.as_dict())
        return
    _print_report(report.as_dict())


def _print_report(report: dict[str, Any]) -> None:
    c = report["counts"]
    out.print(f"crawl run {report['run_id']}: [green]{c['fetched']}[/] fetched ({c['new_documents']} new documents, "
              f"{c['duplicates']} duplicate texts, {c['chunks']} chunks), {c['unchanged']} unchanged, "
              f"{c['skipped_robots']} skipped by robots.txt, {c['skipped_other']} skipped, "
              f"[red]{c['errors']}[/] errors, {c['bytes'] / 1048576:.1f} MB in {c['seconds']:.1f} s")
    table = Table("seed", "source", "queued", "fetched", "unchanged", "skipped", "error", box=None)
    for s in report["seeds"]:
        f = s["frontier"]
        table.add_row(escape(s["seed"]), str(s["source_id"]), *(str(f.get(k, 0)) for k in
                      ("queued", "fetched", "unchanged", "skipped", "error")))
    if report["seeds"]:
        out.print(table)
    for r in report["refused"]:
        out.print(f"[red]refused[/] {escape(r['url'])}: {escape(r['reason'])}")
    for p in report["problems"][:20]:
        colour = "red" if p["status"] == "error" else "yellow"
        out.print(f"[{colour}]{p['status']}[/] {escape(p['url'])}: {escape(p['reason'] or '')}")
    if len(report["problems"]) > 20:
        out.print("... and more: `curator status` lists the latest errors")
    for note in report["notes"]:
        out.print(f"[dim]note:[/] {escape(note)}")
