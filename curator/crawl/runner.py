"""`curator crawl` as a library call: check the seeds, prepare their sources and frontier, run the crawl, report.

A seed is a `sources` row of kind 'crawl' whose uri is the normalized seed
URL; running the same seed again reuses that source and its frontier, which
is what resumes a killed crawl (and what --refresh re-queues).
"""

from __future__ import annotations

import asyncio
import re
import socket
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from curator.crawl.engine import Crawler
from curator.crawl.netguard import address_refusal
from curator.crawl.persist import SeedPlan
from curator.crawl.process_pool import ExtractionPool, extraction_pool
from curator.crawl.progress import CrawlCounts
from curator.crawl.settings import CrawlSettings
from curator.crawl.urls import Scope, UnsupportedUrl, has_credentials, host_of, normalize_url
from curator.errors import CuratorError
from curator.store.catalog import add_source
from curator.store.connection import transaction
from curator.store.crawl import (
    enqueue,
    find_crawl_source,
    frontier_counts,
    frontier_urls,
    pages_counted,
    queued,
    release_limited,
    requeue_for_refresh,
    run_problems,
    update_source_meta,
)
from curator.store.rows import from_json
from curator.store.runs import record_error, stage_run

_USERINFO = re.compile(r"//[^/?#@]*@")


@dataclass
class CrawlReport:
    run_id: int
    counts: CrawlCounts
    seeds: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "counts": self.counts.as_dict(), "seeds": self.seeds,
                "refused": self.refused, "notes": self.notes, "problems": self.problems}


def run_crawl(conn: sqlite3.Connection, config: dict[str, Any], urls: list[str], settings: CrawlSettings, *,
              counts: CrawlCounts | None = None, pool: ExtractionPool | None = None) -> CrawlReport:
    """Crawl from `urls` into the store. Raises CuratorError when no seed can be crawled at all."""
    try:  # a bad pattern fails the command before anything is recorded
        Scope.build("http://example.com/", settings.scope, settings.include, settings.exclude)
    except ValueError as exc:
        raise CuratorError(str(exc)) from exc
    counts = counts or CrawlCounts()
    shown = [_without_credentials(u, settings) for u in urls]
    own_pool = pool is None
    # Started first: its processes start in the background while the seeds are checked and prepared.
    pool = pool or extraction_pool(settings.workers)
    try:
        with stage_run(conn, "crawl", {**settings.as_record(), "seeds": shown}) as run_counts:
            run_id = run_counts["run_id"]
            report = CrawlReport(run_id, counts)
            seeds = _check_seeds(conn, urls, settings, report)
            if not seeds:
                raise CuratorError("nothing to crawl: " + "; ".join(f"{r['url']}: {r['reason']}"
                                                                   for r in report.refused))
            plans = [_prepare(conn, seed, fetch_url, settings) for seed, fetch_url in seeds]
            waiting = {p.source_id: queued(conn, p.source_id) for p in plans}
            if not any(waiting.values()) and not any(p.run_sitemaps for p in plans):
                report.notes.append("every page of these seeds was handled before; pass --refresh to fetch them "
                                    "again (conditionally) or raise --max-pages / --max-depth to go further")
            try:
                crawler = Crawler(conn, config, settings, pool, run_id, counts)
                asyncio.run(crawler.run(plans, waiting))
            finally:
                run_counts.update(counts.as_dict())
            report.seeds = [{"seed": p.seed, "source_id": p.source_id,
                             "frontier": frontier_counts(conn, p.source_id)} for p in plans]
            report.problems = run_problems(conn, run_id)
    finally:
        if own_pool:
            pool.shutdown(wait=True, cancel_futures=True)
    return report


def _check_seeds(conn: sqlite3.Connection, urls: list[str], settings: CrawlSettings,
                 report: CrawlReport) -> list[tuple[str, str]]:
    seeds: list[tuple[str, str]] = []
    for raw in urls:
        try:
            key = normalize_url(raw, None, settings.tracking_params)
            fetch_url = normalize_url(raw, None, settings.tracking_params, keep_trailing_slash=True)
        except UnsupportedUrl as exc:
            shown = _without_credentials(raw, settings)
            _refuse(conn, report, shown, str(exc).removeprefix(f"{raw.strip()}: ").replace(raw.strip(), shown))
            continue
        if has_credentials(raw):
            report.notes.append(f"{key}: credentials in the URL were removed; they are neither sent nor stored")
        reason = None if settings.allow_private else _private_reason(host_of(key))
        if reason:
            _refuse(conn, report, key, reason)
            continue
        if all(key != known for known, _ in seeds):
            seeds.append((key, fetch_url))
    return seeds


def _without_credentials(url: str, settings: CrawlSettings) -> str:
    """The URL as it may be stored or shown: normalized, or at least without user:password@."""
    try:
        return normalize_url(url, None, settings.tracking_params, keep_trailing_slash=True)
    except UnsupportedUrl:
        return _USERINFO.sub("//", url.strip())


def _private_reason(host: str) -> str | None:
    """Refuse a seed on a private address before anything starts (connections are checked again when made)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return None  # the fetch reports the lookup failure with the page
    for info in infos:
        reason = address_refusal(host, str(info[4][0]))
        if reason:
            return reason
    return None


def _refuse(conn: sqlite3.Connection, report: CrawlReport, url: str, reason: str) -> None:
    report.refused.append({"url": url, "reason": reason})
    record_error(conn, "crawl", url, reason, report.run_id)


def _prepare(conn: sqlite3.Connection, seed: str, fetch_url: str, settings: CrawlSettings) -> SeedPlan:
    scope = Scope.build(seed, settings.scope, settings.include, settings.exclude)
    scope_meta = {"scope": settings.scope, "include": list(settings.include), "exclude": list(settings.exclude),
                  "max_depth": settings.max_depth, "max_pages": settings.max_pages}
    with transaction(conn):
        source = find_crawl_source(conn, seed)
        if source is None:
            source_id = add_source(conn, "crawl", seed, doc_kind="document", meta=scope_meta)
            source_meta: dict[str, Any] = {}
        else:
            source_id = source["id"]
            source_meta = from_json(source["meta"]) or {}
            update_source_meta(conn, source_id, scope_meta)
        enqueue(conn, source_id, [(seed, fetch_url, 0)])
        if settings.refresh:
            requeue_for_refresh(conn, source_id)
        room = max(0, settings.max_pages - pages_counted(conn, source_id))
        room -= release_limited(conn, source_id, settings.max_depth, room)
    run_sitemaps = settings.sitemaps and (settings.refresh or "sitemaps_read" not in source_meta)
    return SeedPlan(source_id, seed, fetch_url, scope, settings.max_depth, room, run_sitemaps,
                    known=frontier_urls(conn, source_id))
