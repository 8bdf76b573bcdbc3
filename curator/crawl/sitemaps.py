"""Sitemap discovery: the Sitemap lines of robots.txt, else /sitemap.xml, followed through sitemap indexes.

Listed URLs in the seed's scope join the frontier at depth 1, within
max_pages. A source remembers that its sitemaps were read, so a resumed crawl
does not read them again; --refresh reads them again.
"""

from __future__ import annotations

import sqlite3

from curator.crawl.fetch import Fetcher, FetchFailed
from curator.crawl.links import MAX_SITEMAP_BYTES, sitemap_locations
from curator.crawl.netguard import PrivateAddressRefused
from curator.crawl.persist import SeedPlan, queue_within_limits
from curator.crawl.settings import CrawlSettings
from curator.crawl.urls import (
    UnsupportedUrl,
    normalize_url,
    normalize_url_pair,
    origin,
    path_and_query,
)
from curator.store.connection import transaction
from curator.store.crawl import update_source_meta
from curator.store.runs import record_error

MAX_SITEMAP_FILES = 50


async def queue_sitemap_urls(conn: sqlite3.Connection, fetcher: Fetcher, plan: SeedPlan, settings: CrawlSettings,
                             run_id: int | None) -> list[tuple[str, str, int]]:
    """Read the seed origin's sitemaps and queue what they list; returns the newly queued (url, fetch_url, depth)."""
    home = origin(plan.seed)
    try:
        rules = await fetcher.robots(plan.fetch_url)
    except (PrivateAddressRefused, FetchFailed):
        return []  # the seed page itself reports the refusal, or that the host cannot be reached
    listed = [u for u in rules.sitemaps if _same_origin(u, home)]
    pending = listed or [home + "/sitemap.xml"]
    seen: set[str] = set()
    added: list[tuple[str, str, int]] = []
    while pending and len(seen) < MAX_SITEMAP_FILES:
        url = pending.pop(0)
        if url in seen:
            continue
        seen.add(url)
        if not rules.allows(path_and_query(url)):
            continue
        try:
            resp = await fetcher.get(url, want_body=lambda r: True, max_bytes=MAX_SITEMAP_BYTES)
        except (FetchFailed, PrivateAddressRefused) as exc:
            if listed:
                record_error(conn, "crawl", url, f"sitemap not read: {exc}", run_id)
            continue
        if resp.status != 200 or not resp.body:
            if listed and resp.status != 404:
                record_error(conn, "crawl", url, f"sitemap not read: HTTP {resp.status}", run_id)
            continue
        kind, locations = sitemap_locations(resp.body)
        if kind == "index":
            pending.extend(u for u in locations if _same_origin(u, home))
            continue
        items = []
        for loc in locations:
            try:
                key, fetch_url = normalize_url_pair(loc, None, settings.tracking_params)
            except UnsupportedUrl:
                continue
            if plan.scope.allows(key):
                items.append((key, fetch_url, 1))
        with transaction(conn):
            added.extend(queue_within_limits(conn, plan, items))
    with transaction(conn):
        update_source_meta(conn, plan.source_id, {"sitemaps_read": sorted(seen), "sitemap_urls_queued": len(added)})
    return added


def _same_origin(url: str, home: str) -> bool:
    try:
        return origin(normalize_url(url)) == home
    except UnsupportedUrl:
        return False
