"""What goes wrong on real sites: errors, throttling, slow servers, huge bodies, redirect games, odd content."""

import json
import socket

import pytest

from curator.errors import CuratorError
from curator.store.crawl import frontier_row
from curator.store.runs import last_errors

from .conftest import Page, sentence


def _frontier(conn, site, path):
    return frontier_row(conn, site.url + path)


def test_404_and_500_are_recorded_and_the_rest_goes_on(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/gone.html", "/broken.html", "/fine.html"])
    site.routes["/broken.html"] = Page("oops", status=500, content_type="text/plain")
    site.html("/fine.html", "Fine", sentence(1))
    report = crawl(site.url + "/", retries=2, sitemaps=False)
    assert site.paths().count("/gone.html") == 1  # a 404 is not retried
    assert site.paths().count("/broken.html") == 3  # a 500 is, `retries` times
    assert report.counts.fetched == 2 and report.counts.errors == 2
    assert _frontier(conn, site, "/gone.html")["reason"] == "HTTP 404"
    assert _frontier(conn, site, "/broken.html")["reason"] == "HTTP 500 (after 3 attempts)"
    logged = {e["location"]: e["message"] for e in last_errors(conn) if e["stage"] == "crawl"}
    assert logged[site.url + "/gone.html"] == "HTTP 404"


def test_429_waits_for_retry_after_then_succeeds(site, crawl, conn):
    answers = iter([Page("slow down", status=429, content_type="text/plain", headers={"Retry-After": "1"})])

    def throttled(handler):
        return next(answers, None) or Page(
            f"<html><body><article><h1>Rates</h1><p>{sentence(5)}</p></article></body></html>")

    site.html("/", "Home", sentence(0), ["/rates.html"])
    site.routes["/rates.html"] = throttled
    report = crawl(site.url + "/", retries=2, backoff_s=0.01, sitemaps=False)
    hits = [h for h in site.hits if h.path == "/rates.html"]
    assert len(hits) == 2
    assert hits[1].at - hits[0].at >= 0.98  # Retry-After: 1 beats the 0.01 s backoff
    assert _frontier(conn, site, "/rates.html")["status"] == "fetched"
    assert report.counts.errors == 0


def test_retry_after_beyond_the_limit_gives_up_at_once(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/later.html"])
    site.routes["/later.html"] = Page("later", status=503, content_type="text/plain", headers={"Retry-After": "3600"})
    crawl(site.url + "/", retries=3, sitemaps=False)
    assert site.paths().count("/later.html") == 1
    assert "3600" in _frontier(conn, site, "/later.html")["reason"]


def test_slow_response_times_out(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/slow.html", "/quick.html"])
    site.html("/slow.html", "Slow", sentence(1), delay=1.5)
    site.html("/quick.html", "Quick", sentence(2))
    report = crawl(site.url + "/", read_timeout_s=0.3, retries=0, sitemaps=False)
    assert _frontier(conn, site, "/slow.html")["status"] == "error"
    assert "read timeout" in _frontier(conn, site, "/slow.html")["reason"]
    assert _frontier(conn, site, "/quick.html")["status"] == "fetched"
    assert report.counts.fetched == 2


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_body_over_the_cap_is_not_kept(site, crawl, conn, declared):
    big = "<html><body><p>" + "x" * (2 * 1024 * 1024) + "</p></body></html>"
    site.html("/", "Home", sentence(0), ["/big.html"])
    site.routes["/big.html"] = Page(big, send_length=declared)
    crawl(site.url + "/", max_body_mb=1, sitemaps=False)
    row = _frontier(conn, site, "/big.html")
    assert row["status"] == "error" and "larger than the 1 MB cap" in row["reason"]
    assert row["document_id"] is None


def test_redirect_loop_is_reported_not_followed_forever(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/loop-a", "/ok.html"])
    site.routes["/loop-a"] = Page(status=302, headers={"Location": "/loop-b"})
    site.routes["/loop-b"] = Page(status=302, headers={"Location": "/loop-a"})
    site.html("/ok.html", "OK", sentence(1))
    crawl(site.url + "/", sitemaps=False)
    row = _frontier(conn, site, "/loop-a")
    assert row["status"] == "error" and row["reason"].startswith("redirect loop")
    assert site.paths().count("/loop-a") == 1 and site.paths().count("/loop-b") == 1
    assert _frontier(conn, site, "/ok.html")["status"] == "fetched"


def test_redirect_chains_are_capped(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/r0"])
    for i in range(6):
        site.routes[f"/r{i}"] = Page(status=301, headers={"Location": f"/r{i + 1}"})
    crawl(site.url + "/", max_redirects=3, sitemaps=False)
    assert "more than 3 redirects" in _frontier(conn, site, "/r0")["reason"]
    assert "/r4" not in site.paths()


def test_a_redirected_page_is_stored_once_under_both_urls(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/old.html", "/new.html"])
    site.routes["/old.html"] = Page(status=301, headers={"Location": "/new.html"})
    site.html("/new.html", "New", sentence(1))
    crawl(site.url + "/", sitemaps=False)
    assert site.paths().count("/new.html") == 1
    doc = _frontier(conn, site, "/old.html")["document_id"]
    assert doc is not None and _frontier(conn, site, "/new.html")["document_id"] == doc
    locations = {r[0] for r in conn.execute("SELECT uri FROM document_locations WHERE document_id = ?", (doc,))}
    assert locations == {site.url + "/old.html", site.url + "/new.html"}


def test_non_html_content(site, crawl, conn, tiny_pdf):
    site.html("/", "Home", sentence(0), ["/notes.txt", "/talk.vtt", "/logo.png", "/guide.pdf"])
    site.routes["/notes.txt"] = Page("Customs clearance needs the invoice.\n\nThe packing list too.",
                                     content_type="text/plain; charset=utf-8")
    site.routes["/talk.vtt"] = Page("WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Kim>Today we cover FOB terms.\n\n"
                                    "00:00:04.500 --> 00:00:08.000\n<v Kim>The seller loads the goods.\n",
                                    content_type="text/vtt")
    site.routes["/logo.png"] = Page(b"\x89PNG\r\n\x1a\n" + bytes(2000), content_type="image/png")
    site.routes["/guide.pdf"] = Page(tiny_pdf, content_type="application/pdf")
    crawl(site.url + "/", sitemaps=False)
    kinds = {r["uri"].rsplit("/", 1)[-1]: r["kind"] for r in conn.execute("SELECT uri, kind FROM documents")}
    assert kinds == {"": "html", "notes.txt": "text", "talk.vtt": "transcript", "guide.pdf": "pdf"}
    talk = conn.execute("SELECT id, content FROM documents WHERE uri LIKE '%talk.vtt'").fetchone()
    assert talk["content"].startswith("Kim: Today we cover FOB terms.")
    cues = conn.execute("SELECT time_start, time_end FROM cues WHERE document_id = ? ORDER BY seq",
                        (talk["id"],)).fetchall()
    assert [tuple(c) for c in cues] == [(1.0, 4.0), (4.5, 8.0)]
    pdf = conn.execute("SELECT content FROM documents WHERE uri LIKE '%guide.pdf'").fetchone()
    assert "Letter of credit" in pdf["content"]
    png = _frontier(conn, site, "/logo.png")
    assert png["status"] == "skipped" and "image/png" in png["reason"]


def test_a_page_without_main_content_is_an_error(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/empty.html", "/hidden.html"])
    site.routes["/empty.html"] = Page("<html><head><script>var a = 1;</script></head><body></body></html>")
    site.routes["/hidden.html"] = Page('<html><head><meta name="robots" content="noindex"></head><body>'
                                       f'<p>{sentence(3)}</p></body></html>')
    crawl(site.url + "/", sitemaps=False)
    assert "no main content" in _frontier(conn, site, "/empty.html")["reason"]
    hidden = _frontier(conn, site, "/hidden.html")
    assert hidden["status"] == "skipped" and "noindex" in hidden["reason"]
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1


def test_private_addresses_are_refused_without_allow_private(site, crawl, conn):
    site.html("/", "Home", sentence(0))
    with pytest.raises(CuratorError, match="--allow-private"):
        crawl(site.url + "/", allow_private=False)
    with pytest.raises(CuratorError, match="loopback"):
        crawl(f"http://localhost:{site.url.rsplit(':', 1)[1]}/", allow_private=False)
    assert site.hits == []
    assert conn.execute("SELECT COUNT(*) FROM sources").fetchone()[0] == 0
    assert any("--allow-private" in e["message"] for e in last_errors(conn))


def test_the_connection_itself_is_guarded(site):
    """A redirect or a DNS answer that changes later cannot slip past the check made at connect time."""
    import asyncio

    import httpx

    from curator.crawl.netguard import GuardedTransport, PrivateAddressRefused

    async def fetch(allow: bool) -> int:
        transport = GuardedTransport(allow_private=allow, limits=httpx.Limits(max_connections=1))
        async with httpx.AsyncClient(transport=transport) as client:
            return (await client.get(site.url + "/nothing")).status_code

    with pytest.raises(PrivateAddressRefused):
        asyncio.run(fetch(False))
    assert site.hits == []
    assert asyncio.run(fetch(True)) == 404


def test_a_connection_the_server_closed_while_idle_is_not_used_again():
    """An idle keep-alive connection whose socket turned readable (the server hung up) is replaced, not reused."""
    import asyncio
    import threading

    import httpx

    from curator.crawl.netguard import GuardedTransport

    listener = socket.create_server(("127.0.0.1", 0))
    connections, closed = [], threading.Event()

    def serve() -> None:  # answers one request per connection as if keeping it open, then hangs up
        for _ in range(2):
            sock, _ = listener.accept()
            connections.append(sock)
            sock.recv(65536)
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            sock.close()
            closed.set()

    threading.Thread(target=serve, daemon=True).start()

    async def two_requests() -> list[int]:
        transport = GuardedTransport(allow_private=True, limits=httpx.Limits(max_connections=1))
        async with httpx.AsyncClient(transport=transport) as client:
            url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
            first = (await client.get(url)).status_code
            await asyncio.get_running_loop().run_in_executor(None, closed.wait)
            return [first, (await client.get(url)).status_code]

    try:
        assert asyncio.run(two_requests()) == [200, 200]
        assert len(connections) == 2
    finally:
        listener.close()


def test_korean_legacy_encodings_are_decoded(site, crawl, conn):
    text = "신용장은 수입자의 거래은행이 수출자에게 대금 지급을 약속하는 증서이다. " * 3
    page = f"<html><head><title>무역</title></head><body><article><h1>신용장</h1><p>{text}</p></article></body></html>"
    site.html("/", "Home", sentence(0), ["/declared.html", "/sniffed.html"])
    site.routes["/declared.html"] = Page(page.replace("<head>", '<head><meta charset="euc-kr">').encode("euc-kr"),
                                         content_type="text/html")
    site.routes["/sniffed.html"] = Page(page.replace("신용장은", "신용장이란").encode("cp949"), content_type="text/html")
    crawl(site.url + "/", sitemaps=False)
    rows = conn.execute("SELECT uri, content, language, meta FROM documents WHERE uri LIKE '%d.html'").fetchall()
    assert len(rows) == 2
    for row in rows:
        assert "대금 지급을 약속하는 증서" in row["content"] and row["language"] == "ko"
    assert {r["uri"].rsplit("/", 1)[-1]: json.loads(r["meta"])["encoding"] for r in rows} == {
        "declared.html": "euc-kr", "sniffed.html": "cp949"}


def test_an_unreachable_host_is_reported_not_retried_forever(crawl):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
    report = crawl(f"http://127.0.0.1:{port}/", retries=1, backoff_s=0.01)
    assert report.counts.fetched == 0 and report.counts.errors == 1 and report.counts.skipped_robots == 0
    reason = report.problems[0]["reason"]
    assert "cannot be reached" in reason and "cannot connect" in reason


def test_an_unresolvable_host_is_an_error_not_a_robots_skip(crawl, monkeypatch, conn):
    real = socket.getaddrinfo

    def lookup(host, *args, **kwargs):
        if host == "no-such-host.invalid":
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", lookup)
    report = crawl("http://no-such-host.invalid/", retries=1, backoff_s=0.01)
    assert report.counts.errors == 1 and report.counts.skipped_robots == 0 and report.counts.fetched == 0
    (problem,) = report.problems
    assert problem["status"] == "error"
    assert "cannot resolve no-such-host.invalid" in problem["reason"] and "robots" not in problem["reason"]


def test_credentials_in_seeds_are_never_stored(site, crawl, conn):
    site.html("/", "Home", sentence(0))
    host = site.url.removeprefix("http://")
    report = crawl(f"http://alice:s3cret@{host}/?api_key=XYZ", "ftp://bob:hunter2@example.com/", sitemaps=False)
    assert report.counts.fetched == 1
    assert all("authorization" not in h.headers and "XYZ" not in h.path for h in site.hits)
    assert any("credentials in the URL were removed" in n for n in report.notes)
    dump = "\n".join(conn.iterdump())
    for secret in ("s3cret", "XYZ", "hunter2", "alice", "bob"):
        assert secret not in dump
