"""HTTP requests a site owner would not mind: robots.txt first, spaced requests per host, capped, retried gently.

`Fetcher.get` is one logical GET of one URL (no redirects followed: the crawl
decides about each hop). Before it the origin's robots.txt is loaded once per
run; requests to one origin wait for a free slot (`per_host_concurrency`) and
for the delay since the previous one (the larger of `delay_s` and robots.txt's
Crawl-delay); 429 and 5xx answers and network failures are retried with
exponential backoff, or after the server's Retry-After, which also holds back
every other request to that host. Bodies are read only when asked for and
never beyond `max_body_mb`.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from curator.crawl.netguard import GuardedTransport, PrivateAddressRefused
from curator.crawl.robots import (
    ALLOW_ALL,
    MAX_ROBOTS_BYTES,
    RobotsRules,
    disallow_everything,
    parse_robots,
)
from curator.crawl.settings import CrawlSettings
from curator.crawl.urls import origin

RETRY_STATUSES = (429, 500, 502, 503, 504)
# A host that refused or dropped this many connections in a row (each already retried) is given up for the
# run: its remaining URLs fail at once instead of each waiting through its own retries.
HOST_GIVE_UP = 5
REDIRECT_STATUSES = (301, 302, 303, 307, 308)


class FetchFailed(Exception):
    """A URL that could not be fetched; the message says why in words a user can act on."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Response:
    url: str
    final_url: str
    status: int
    headers: httpx.Headers
    body: bytes | None = None


@dataclass
class HostState:
    origin: str
    gate: asyncio.Semaphore
    delay: float
    next_time: float = 0.0
    robots: RobotsRules | None = None
    robots_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    timing_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    unreachable: str | None = None  # set after HOST_GIVE_UP connection failures in a row
    connect_failures: int = 0

    def hold_back(self, seconds: float) -> None:
        self.next_time = max(self.next_time, time.monotonic() + seconds)


class Fetcher:
    def __init__(self, settings: CrawlSettings, *, on_bytes: Callable[[int], None] = lambda n: None) -> None:
        self.settings = settings
        self.on_bytes = on_bytes
        self.hosts: dict[str, HostState] = {}
        self._global = asyncio.Semaphore(settings.concurrency)
        limits = httpx.Limits(max_connections=settings.concurrency,
                              max_keepalive_connections=settings.concurrency, keepalive_expiry=30)
        timeout = httpx.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s,
                                write=settings.read_timeout_s, pool=None)
        self.client = httpx.AsyncClient(
            transport=GuardedTransport(allow_private=settings.allow_private, limits=limits),
            timeout=timeout, follow_redirects=False, trust_env=False,
            headers={"User-Agent": settings.agent, "Accept": "text/html,application/xhtml+xml,application/pdf,"
                     "text/plain;q=0.9,text/vtt;q=0.9,*/*;q=0.5", "Accept-Encoding": "gzip, deflate"},
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    def host(self, url: str) -> HostState:
        key = origin(url)
        state = self.hosts.get(key)
        if state is None:
            state = HostState(key, asyncio.Semaphore(self.settings.per_host_concurrency), self.settings.delay_s)
            self.hosts[key] = state
        return state

    async def robots(self, url: str) -> RobotsRules:
        """The robots.txt rules of the URL's origin, fetched once per run."""
        state = self.host(url)
        async with state.robots_lock:
            if state.unreachable:
                raise FetchFailed(state.unreachable)
            if state.robots is None:
                state.robots = await self._load_robots(state)
                if state.robots.crawl_delay is not None and state.robots.crawl_delay > state.delay:
                    state.delay = state.robots.crawl_delay
                    state.hold_back(state.delay)  # the robots.txt request itself counts as the previous one
        return state.robots

    async def _load_robots(self, state: HostState) -> RobotsRules:
        url = state.origin + "/robots.txt"
        try:
            for _ in range(5):  # RFC 9309: follow at least five redirects
                resp = await self.get(url, want_body=lambda r: True, max_bytes=MAX_ROBOTS_BYTES, truncate=True)
                if resp.status in REDIRECT_STATUSES and resp.headers.get("location"):
                    url = str(httpx.URL(resp.final_url).join(resp.headers["location"]))
                    continue
                break
        except PrivateAddressRefused:
            raise
        except FetchFailed as exc:
            if exc.status is None:
                # No HTTP answer at all (the name does not resolve, nothing listens, no reply in time): the host
                # is unreachable, which is an error of this crawl, not a robots.txt rule.
                state.unreachable = (f"{state.origin} cannot be reached ({exc}); nothing on the host is crawled "
                                     "this run")
                raise FetchFailed(state.unreachable) from exc
            return disallow_everything(f"robots.txt could not be fetched ({exc}); nothing on the host is crawled")
        if 200 <= resp.status < 300:
            text = (resp.body or b"").decode("utf-8", errors="replace")
            return parse_robots(text, self.settings.agent)
        if 400 <= resp.status < 500:
            return ALLOW_ALL
        return disallow_everything(f"robots.txt answered HTTP {resp.status}; nothing on the host is crawled")

    async def get(self, url: str, *, headers: dict[str, str] | None = None,
                  want_body: Callable[[httpx.Response], bool], max_bytes: int | None = None,
                  truncate: bool = False) -> Response:
        """GET `url` with the host's politeness and retries; the body is read if `want_body(response)`."""
        s = self.settings
        state = self.host(url)
        if state.unreachable:
            raise FetchFailed(state.unreachable)
        last = "no attempt made"
        for attempt in range(s.retries + 1):
            wait = s.backoff_s * (2 ** attempt)
            try:
                resp = await self._attempt(state, url, headers or {}, want_body, max_bytes or s.max_body_bytes,
                                           truncate)
            except PrivateAddressRefused:
                raise
            except FetchFailed:
                raise
            except httpx.TimeoutException as exc:
                last = _timeout_words(exc, s)
            except TimeoutError:
                last = f"the page took longer than {s.page_timeout_s:g} s in all"
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last = _timeout_words(exc, s) if isinstance(exc, httpx.ConnectTimeout) else f"cannot connect: {exc}"
                state.connect_failures += 1
            except httpx.TransportError as exc:
                last = f"network error: {exc or type(exc).__name__}"
            else:
                state.connect_failures = 0
                if resp.status not in RETRY_STATUSES:
                    return resp
                last = f"HTTP {resp.status}"
                asked = retry_after_seconds(resp.headers.get("retry-after"))
                if asked is not None:
                    if asked > s.max_retry_after_s:
                        raise FetchFailed(f"HTTP {resp.status}: the server asks to retry after {asked:g} s, more "
                                          f"than max_retry_after_s ({s.max_retry_after_s:g} s)", resp.status)
                    wait = max(asked, 0.0)
                if attempt == s.retries:
                    raise FetchFailed(f"{last} (after {attempt + 1} attempts)", resp.status)
            if state.connect_failures >= HOST_GIVE_UP * (s.retries + 1):
                state.unreachable = f"{state.origin} is unreachable ({last}); the rest of the host is skipped this run"
                raise FetchFailed(state.unreachable)
            if attempt < s.retries:
                state.hold_back(wait)
        raise FetchFailed(f"{last} (after {s.retries + 1} attempts)")

    async def _attempt(self, state: HostState, url: str, headers: dict[str, str],
                       want_body: Callable[[httpx.Response], bool], max_bytes: int, truncate: bool) -> Response:
        async with state.gate:
            async with state.timing_lock:
                pause = state.next_time - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                state.next_time = time.monotonic() + state.delay
            try:
                async with self._global:
                    async with asyncio.timeout(self.settings.page_timeout_s):
                        return await self._send(url, headers, want_body, max_bytes, truncate)
            finally:
                # Space requests from the end of the previous answer, not its start: slow servers get more room.
                state.next_time = max(state.next_time, time.monotonic() + state.delay)

    async def _send(self, url: str, headers: dict[str, str], want_body: Callable[[httpx.Response], bool],
                    max_bytes: int, truncate: bool) -> Response:
        request = self.client.build_request("GET", url, headers=headers)
        resp = await self.client.send(request, stream=True)
        try:
            out = Response(url, str(resp.url), resp.status_code, resp.headers)
            if not (200 <= resp.status_code < 300 and want_body(resp)):
                return out
            declared = resp.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes and not truncate:
                raise FetchFailed(_too_big(int(declared), max_bytes), resp.status_code)
            chunks, size = [], 0
            async for chunk in resp.aiter_bytes():
                size += len(chunk)
                self.on_bytes(len(chunk))
                if size > max_bytes:
                    if truncate:
                        chunks.append(chunk[: max_bytes - (size - len(chunk))])
                        break
                    raise FetchFailed(_too_big(None, max_bytes), resp.status_code)
                chunks.append(chunk)
            out.body = b"".join(chunks)
            return out
        finally:
            await resp.aclose()


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _too_big(declared: int | None, cap: int) -> str:
    size = f" ({declared / 1048576:.1f} MB)" if declared is not None else ""
    return f"the body{size} is larger than the {cap / 1048576:g} MB cap (max_body_mb); not kept"


def _timeout_words(exc: httpx.TimeoutException, s: CrawlSettings) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return f"connect timeout: no connection within {s.connect_timeout_s:g} s"
    if isinstance(exc, httpx.ReadTimeout):
        return f"read timeout: the server sent nothing for {s.read_timeout_s:g} s"
    return f"timeout ({type(exc).__name__})"
