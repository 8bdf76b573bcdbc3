"""The crawl loop: per-host queues drained by polite workers, pages extracted in a process pool, stored one by one.

Each origin (scheme://host:port) gets its own queue and up to
`per_host_concurrency` workers; the fetcher spaces their requests and a global
semaphore caps requests across hosts. A worker takes an extraction slot before
it fetches, so no more pages wait in memory than the pool can take, and hands
the body to the pool without waiting for it: the next request goes out while
the cores extract.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import deque
from dataclasses import dataclass
from typing import Any

from curator.crawl.fetch import REDIRECT_STATUSES, Fetcher, FetchFailed, Response
from curator.crawl.kinds import page_kind
from curator.crawl.netguard import PrivateAddressRefused
from curator.crawl.page_text import PageJob, extract_page
from curator.crawl.persist import SeedPlan, link_redirect, store_page
from curator.crawl.process_pool import ExtractionPool
from curator.crawl.progress import CrawlCounts
from curator.crawl.settings import CrawlSettings
from curator.crawl.sitemaps import queue_sitemap_urls
from curator.crawl.urls import UnsupportedUrl, normalize_url_pair, origin, path_and_query
from curator.store.crawl import frontier_row, mark
from curator.store.runs import record_error

# What chunk_document falls back to when a config lacks [chunking] (a library caller's partial config).
CHUNKING_DEFAULTS = {"target_tokens": 400, "overlap_tokens": 40, "transcript_window_s": 90}


@dataclass
class Item:
    url: str
    fetch_url: str
    depth: int
    plan: SeedPlan
    etag: str | None = None
    last_modified: str | None = None
    document_id: int | None = None


class Skip(Exception):
    """A URL left alone on purpose (robots.txt, content type, scope): not an error."""

    def __init__(self, reason: str, robots: bool = False) -> None:
        super().__init__(reason)
        self.robots = robots


class Stored(Exception):
    """A redirect to a URL whose page is already stored: the redirecting URL becomes one more location of it."""

    def __init__(self, url: str, document_id: int) -> None:
        super().__init__(url)
        self.url, self.document_id = url, document_id


class Crawler:
    def __init__(self, conn: sqlite3.Connection, config: dict[str, Any], settings: CrawlSettings, pool: ExtractionPool,
                 run_id: int | None, counts: CrawlCounts | None = None) -> None:
        self.conn, self.config, self.settings, self.pool, self.run_id = conn, config, settings, pool, run_id
        self.counts = counts or CrawlCounts()
        self.fetcher = Fetcher(settings, on_bytes=self._add_bytes)
        self.queues: dict[str, deque[Item]] = {}
        self.workers: dict[str, int] = {}
        self.tasks: set[asyncio.Task] = set()
        self.outstanding = 0
        self.idle = asyncio.Event()
        # Pages fetched and not yet stored: three per extraction process, the jobs one holds (see pool.py).
        self.slots = asyncio.Semaphore(max(6, 3 * settings.workers))
        self.claimed: set[str] = set()  # URLs fetched in this run, redirect targets included
        self.chunking = {**CHUNKING_DEFAULTS, **config.get("chunking", {})}
        self.failure: BaseException | None = None

    def _add_bytes(self, n: int) -> None:
        self.counts.bytes += n

    async def run(self, plans: list[SeedPlan], queued: dict[int, list[dict[str, Any]]]) -> CrawlCounts:
        try:
            for plan in plans:
                for row in queued.get(plan.source_id, []):
                    self.schedule(Item(row["url"], row["fetch_url"] or row["url"], row["depth"], plan,
                                       row["etag"], row["last_modified"], row["document_id"]))
                if plan.run_sitemaps and plan.max_depth >= 1:
                    self._begin(page=False)
                    self._spawn(self._sitemaps(plan))
            if self.outstanding:
                await self.idle.wait()
            if self.failure is None:  # let the last tasks finish, so an error in their final steps is seen
                await asyncio.gather(*list(self.tasks), return_exceptions=True)
            if self.failure is not None:
                raise self.failure
        finally:
            for task in list(self.tasks):
                task.cancel()
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await self.fetcher.aclose()
        return self.counts

    def schedule(self, item: Item) -> None:
        self._begin()
        key = origin(item.fetch_url)
        self.queues.setdefault(key, deque()).append(item)
        if self.workers.get(key, 0) < self.settings.per_host_concurrency:
            self.workers[key] = self.workers.get(key, 0) + 1
            self._spawn(self._drain(key))

    def _begin(self, page: bool = True) -> None:
        """One more piece of work (a page, or a seed's sitemaps) the crawl must wait for."""
        self.outstanding += 1
        self.counts.queued += int(page)
        self.idle.clear()

    def _end(self, page: bool = True) -> None:
        self.outstanding -= 1
        self.counts.queued -= int(page)
        if self.outstanding == 0:
            self.idle.set()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task) -> None:
        """A task that died of an unexpected error (a bug, a broken database) stops the crawl with that error."""
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self.failure is None:
            self.failure = task.exception()
            self.idle.set()

    async def _drain(self, key: str) -> None:
        queue = self.queues[key]
        try:
            while queue:
                item = queue.popleft()
                if item.url in self.claimed:  # reached earlier as a redirect target; stored with that page
                    self._end()
                    continue
                self.claimed.add(item.url)
                await self.slots.acquire()
                handed_off = False
                try:
                    handed_off = await self._fetch(item)
                finally:
                    if not handed_off:
                        self.slots.release()
                        self._end()
        finally:
            self.workers[key] -= 1

    async def _fetch(self, item: Item) -> bool:
        """Fetch one URL; True when its body went to extraction (which then owns the slot and the count)."""
        try:
            resp, aliases = await self._follow(item)
            kind = page_kind(resp.headers.get("content-type"), resp.final_url)
            if resp.status == 304:
                self._settle(item, "unchanged", "304 Not Modified", resp.status)
                self.counts.unchanged += 1
                return False
            if not 200 <= resp.status < 300:
                raise FetchFailed(f"HTTP {resp.status}", resp.status)
            if kind is None or resp.body is None:
                raise Skip(f"content type {resp.headers.get('content-type') or 'missing'} is not HTML, PDF, "
                           "text or subtitles")
        except Skip as skip:
            self._settle(item, "skipped", str(skip), None)
            if skip.robots:
                self.counts.skipped_robots += 1
            else:
                self.counts.skipped_other += 1
            return False
        except Stored as stored:
            link_redirect(self.conn, item.url, stored.document_id, f"redirects to {stored.url}", self.run_id)
            self.counts.fetched += 1
            return False
        except (FetchFailed, PrivateAddressRefused) as exc:
            self._fail(item, str(exc), getattr(exc, "status", None))
            return False
        self._spawn(self._extract_and_store(item, resp, kind, aliases))
        return True

    async def _follow(self, item: Item) -> tuple[Response, list[str]]:
        """GET the item, following redirects hop by hop; returns the final answer and the in-scope hop URLs."""
        chain, fetch_url = [item.url], item.fetch_url
        for hop in range(self.settings.max_redirects + 1):
            rules = await self.fetcher.robots(fetch_url)
            if not rules.allows(path_and_query(fetch_url)):
                what = "disallowed by robots.txt" if not rules.disallow_all else rules.note
                raise Skip(what if hop == 0 else f"redirects to {chain[-1]}, {what}", robots=True)
            if hop:
                known = frontier_row(self.conn, chain[-1])
                if known and known["document_id"] and known["status"] in ("fetched", "unchanged"):
                    raise Stored(chain[-1], known["document_id"])
                if chain[-1] in self.claimed:
                    raise Skip(f"redirects to {chain[-1]}, which this crawl fetches on its own")
                self.claimed.add(chain[-1])
            headers = self._conditional(item) if hop == 0 else {}
            resp = await self.fetcher.get(fetch_url, headers=headers, want_body=self._wants_body)
            location = resp.headers.get("location")
            if resp.status not in REDIRECT_STATUSES or not location:
                return resp, chain[1:]
            try:
                key, fetch_url = normalize_url_pair(location, resp.final_url, self.settings.tracking_params)
            except UnsupportedUrl as exc:
                raise FetchFailed(f"redirects to a URL the crawler cannot follow ({exc})", resp.status) from exc
            if key in chain:
                raise FetchFailed("redirect loop: " + " -> ".join(chain + [key]), resp.status)
            if not item.plan.scope.allows(key):
                raise Skip(f"redirects out of the crawl's scope, to {key}")
            chain.append(key)
        raise FetchFailed(f"more than {self.settings.max_redirects} redirects: " + " -> ".join(chain))

    @staticmethod
    def _wants_body(resp: Any) -> bool:
        return page_kind(resp.headers.get("content-type"), str(resp.url)) is not None

    @staticmethod
    def _conditional(item: Item) -> dict[str, str]:
        if item.document_id is None:
            return {}
        headers = {}
        if item.etag:
            headers["If-None-Match"] = item.etag
        if item.last_modified:
            headers["If-Modified-Since"] = item.last_modified
        return headers

    async def _extract_and_store(self, item: Item, resp: Response, kind: str, aliases: list[str]) -> None:
        try:
            job = PageJob(item.url, resp.final_url, kind, resp.headers.get("content-type", ""), resp.body or b"",
                          tuple(self.settings.tracking_params), self.chunking)
            try:
                result = await self.pool.run(extract_page, job)
            except Exception as exc:  # noqa: BLE001 (a dead worker fails this page only)
                self._fail(item, f"the extraction process failed ({type(exc).__name__}: {exc})", resp.status)
                return
            self.counts.extract_cpu_s += result.cpu_s
            if result.error:
                self._fail(item, result.error, resp.status)
                return
            meta = {"status": resp.status, "content_type": resp.headers.get("content-type"),
                    "etag": resp.headers.get("etag"), "last_modified": resp.headers.get("last-modified"),
                    "final_url": resp.final_url, "bytes": len(resp.body or b""), "depth": item.depth}
            outcome = store_page(self.conn, item.plan, url=item.url, depth=item.depth,
                                 previous_document=item.document_id, result=result, fetch_meta=meta,
                                 aliases=aliases, run_id=self.run_id)
            self._count(outcome.status, outcome.new_document, outcome.duplicate, outcome.chunks)
            for url, fetch_url, depth in outcome.added:
                self.schedule(Item(url, fetch_url, depth, item.plan))
        finally:
            self.slots.release()
            self._end()

    def _count(self, status: str, new: bool, duplicate: bool, chunks: int) -> None:
        c = self.counts
        if status == "fetched":
            c.fetched += 1
        elif status == "unchanged":
            c.unchanged += 1
        else:
            c.skipped_other += 1
        c.new_documents += int(new)
        c.duplicates += int(duplicate)
        c.chunks += chunks

    def _settle(self, item: Item, status: str, reason: str | None, http_status: int | None) -> None:
        mark(self.conn, item.url, status, run_id=self.run_id, reason=reason, http_status=http_status)

    def _fail(self, item: Item, message: str, http_status: int | None) -> None:
        self.counts.errors += 1
        self._settle(item, "error", message, http_status)
        record_error(self.conn, "crawl", item.url, message, self.run_id)

    async def _sitemaps(self, plan: SeedPlan) -> None:
        try:
            added = await queue_sitemap_urls(self.conn, self.fetcher, plan, self.settings, self.run_id)
            self.counts.sitemap_urls += len(added)
            for url, fetch_url, depth in added:
                self.schedule(Item(url, fetch_url, depth, plan))
        finally:
            self._end(page=False)
