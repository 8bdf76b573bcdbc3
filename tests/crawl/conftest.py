"""Loopback web sites for the crawler tests: routes, a request log, and faults on demand."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from curator.crawl import CrawlSettings, run_crawl
from curator.crawl.process_pool import extraction_pool


@dataclass
class Page:
    body: bytes | str = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer starts (slow servers)
    send_length: bool = True  # False: no Content-Length, the body ends when the connection closes


Route = Page | Callable[[BaseHTTPRequestHandler], Page]


@dataclass
class Hit:
    at: float
    path: str
    headers: dict[str, str]
    answered: bool = False


class Site:
    """A web site on 127.0.0.1 whose routes a test fills in; every request is logged in `hits`."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        self.lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                hit = Hit(time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()})
                with site.lock:
                    site.hits.append(hit)
                route = site.routes.get(self.path)
                page = route(self) if callable(route) else route
                if page is None:
                    page = Page(b"not found", status=404, content_type="text/plain")
                if page.delay:
                    time.sleep(page.delay)
                body = page.body.encode("utf-8") if isinstance(page.body, str) else page.body
                try:
                    self.send_response(page.status)
                    if page.content_type:
                        self.send_header("Content-Type", page.content_type)
                    for k, v in page.headers.items():
                        self.send_header(k, v)
                    if page.send_length:
                        self.send_header("Content-Length", str(len(body)))
                    else:
                        self.send_header("Connection", "close")
                        self.close_connection = True
                    self.end_headers()
                    if page.status != 304:
                        self.wfile.write(body)
                    hit.answered = True
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self, answered_only: bool = False) -> list[str]:
        with self.lock:
            return [h.path for h in self.hits if h.answered or not answered_only]

    def html(self, path: str, title: str, text: str, links: list[str] = (), **page: Any) -> None:
        anchors = "".join(f'<li><a href="{href}">link {i}</a></li>' for i, href in enumerate(links))
        self.routes[path] = Page(
            f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1><p>{text}</p><ul>{anchors}</ul></article>"
            "<footer>Example site footer</footer></body></html>", **page)


@pytest.fixture
def site() -> Iterator[Site]:
    s = Site()
    s.thread.start()
    yield s
    s.server.shutdown()
    s.server.server_close()


@pytest.fixture(scope="session")
def pool():
    p = extraction_pool(2)
    yield p
    p.shutdown(wait=True, cancel_futures=True)


TEST_SETTINGS = {"delay_s": 0.0, "allow_private": True, "retries": 1, "backoff_s": 0.05, "connect_timeout_s": 2.0,
                 "read_timeout_s": 2.0, "page_timeout_s": 10.0, "max_retry_after_s": 5.0}


@pytest.fixture
def crawl(workspace, pool):
    """Crawl into the test's workspace in-process, with fast test settings that a test may override."""

    def run(*urls: str, **overrides: Any):
        settings = CrawlSettings.from_config(workspace.config, **{**TEST_SETTINGS, **overrides})
        conn = workspace.connect()
        try:
            return run_crawl(conn, workspace.config, list(urls), settings, pool=pool)
        finally:
            conn.close()

    return run


def sentence(n: int) -> str:
    """A distinct paragraph per page, long enough that trafilatura keeps it as main content."""
    return (f"Page {n} explains how a letter of credit protects exporter number {n} when goods cross borders, "
            f"and why the bill of lading for shipment {n * 7} must match the commercial invoice exactly. "
            f"무역 거래 {n}번에서 신용장은 수출자를 보호한다.")


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer holds `text` (ASCII), written by hand with a correct xref table."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@pytest.fixture
def tiny_pdf() -> bytes:
    return make_pdf("Letter of credit: a bank promises to pay the exporter.")
