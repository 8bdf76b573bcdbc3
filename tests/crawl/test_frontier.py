"""The frontier across runs: conditional refresh, duplicates, sitemaps, limits, and kill-and-resume."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from curator.store.catalog import text_hash
from curator.store.crawl import frontier_counts, frontier_row

from .conftest import Page, Site, sentence


def _versioned(site, path, title, version):
    """A page that answers 304 to a matching If-None-Match, like a well-behaved server."""

    def answer(handler):
        etag = f'"{path}-v{version[0]}"'
        if handler.headers.get("If-None-Match") == etag:
            return Page(status=304, content_type=None, headers={"ETag": etag})
        return Page(f"<html><body><article><h1>{title}</h1><p>{sentence(version[0] * 100 + len(path))}</p>"
                    "</article></body></html>", headers={"ETag": etag, "Last-Modified": "Mon, 05 Jan 2026 10:00:00 GMT"})

    site.routes[path] = answer


def test_refresh_asks_conditionally_and_counts_304_as_unchanged(site, crawl, conn):
    version = [1]
    site.html("/", "Home", sentence(0), ["/a.html", "/b.html"], headers={"ETag": '"home"'})
    _versioned(site, "/a.html", "A", version)
    _versioned(site, "/b.html", "B", [1])
    first = crawl(site.url + "/", sitemaps=False)
    assert first.counts.fetched == 3
    docs_before = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]

    site.hits.clear()
    again = crawl(site.url + "/", sitemaps=False)
    assert site.hits == [] and again.counts.fetched == 0  # nothing queued: nothing requested, not even robots.txt

    version[0] = 2  # /a.html changes; /b.html does not
    refreshed = crawl(site.url + "/", sitemaps=False, refresh=True)
    pages = [h for h in site.hits if h.path.endswith(".html")]
    assert {h.path: h.headers.get("if-none-match") for h in pages} == {"/a.html": '"/a.html-v1"',
                                                                      "/b.html": '"/b.html-v1"'}
    assert refreshed.counts.unchanged == 2  # /b.html by 304, the home page by its identical text
    assert refreshed.counts.fetched == 1 and refreshed.counts.new_documents == 1
    assert frontier_row(conn, site.url + "/b.html")["status"] == "unchanged"
    assert frontier_row(conn, site.url + "/a.html")["etag"] == '"/a.html-v2"'
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == docs_before + 1


def test_identical_text_at_two_urls_is_stored_once(site, crawl, conn):
    site.html("/", "Home", sentence(0), ["/a.html", "/copy/a.html"])
    site.html("/a.html", "Same", sentence(1))
    site.html("/copy/a.html", "Same", sentence(1))
    report = crawl(site.url + "/", sitemaps=False)
    assert report.counts.duplicates == 1
    doc = frontier_row(conn, site.url + "/a.html")["document_id"]
    assert frontier_row(conn, site.url + "/copy/a.html")["document_id"] == doc
    uris = sorted(r[0] for r in conn.execute("SELECT uri FROM document_locations WHERE document_id = ?", (doc,)))
    assert uris == [site.url + "/a.html", site.url + "/copy/a.html"]
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2
    chunk = conn.execute("SELECT text, char_start, char_end FROM chunks WHERE document_id = ?", (doc,)).fetchone()
    content, content_hash = conn.execute("SELECT content, content_hash FROM documents WHERE id = ?", (doc,)).fetchone()
    assert content[chunk["char_start"]:chunk["char_end"]] == chunk["text"]
    assert content_hash == text_hash(content)  # what the next copy of this text is found by


def test_sitemaps_from_robots_txt_are_followed(site, crawl, conn):
    site.routes["/robots.txt"] = Page(f"User-agent: *\nAllow: /\nSitemap: {site.url}/maps/index.xml\n",
                                      content_type="text/plain")
    site.routes["/maps/index.xml"] = Page(f"<sitemapindex><sitemap><loc>{site.url}/maps/pages.xml</loc></sitemap>"
                                          "</sitemapindex>", content_type="application/xml")
    site.routes["/maps/pages.xml"] = Page(f"<urlset><url><loc>{site.url}/orphan.html</loc></url>"
                                          "<url><loc>https://elsewhere.example/x</loc></url></urlset>",
                                          content_type="application/xml")
    site.html("/", "Home", sentence(0))
    site.html("/orphan.html", "Orphan", sentence(1))
    report = crawl(site.url + "/")
    assert frontier_row(conn, site.url + "/orphan.html")["status"] == "fetched"
    assert report.counts.sitemap_urls == 1
    site.hits.clear()
    crawl(site.url + "/")
    assert "/maps/index.xml" not in site.paths()  # a resumed or repeated crawl does not read them again


def test_max_depth_and_max_pages(site, crawl, conn):
    for i in range(10):
        site.html(f"/p{i}.html" if i else "/", f"P{i}", sentence(i), [f"/p{i + 1}.html"])
    report = crawl(site.url + "/", max_depth=2, sitemaps=False)
    assert sorted(p for p in site.paths() if p != "/robots.txt") == ["/", "/p1.html", "/p2.html"]
    source = report.seeds[0]["source_id"]
    report = crawl(site.url + "/", max_depth=9, max_pages=5, sitemaps=False)
    assert frontier_counts(conn, source) == {"fetched": 5, "skipped": 1}  # /p5.html waits for a higher limit
    crawl(site.url + "/", max_depth=10, max_pages=50, sitemaps=False)
    assert frontier_counts(conn, source) == {"fetched": 10, "error": 1}  # /p10.html does not exist
    pages = [p for p in site.paths() if p != "/robots.txt"]
    assert len(pages) == len(set(pages))


class _Gate:
    """Answers `allowed` page requests, then holds every further one until released."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.answered = 0
        self.held = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    def wait_turn(self) -> None:
        with self.lock:
            self.answered += 1
            over = self.answered > self.allowed
        if over:
            self.held.set()
            self.release.wait(30)


def test_kill_and_resume_fetches_no_page_twice(site, workspace, tmp_path):
    gate = _Gate(allowed=8)
    pages = 30

    def page(n):
        def answer(handler):
            gate.wait_turn()
            links = "".join(f'<a href="/p{k}.html">p{k}</a> ' for k in (2 * n + 1, 2 * n + 2) if k < pages)
            return Page(f"<html><body><article><h1>Page {n}</h1><p>{sentence(n)}</p>{links}</article></body></html>")
        return answer

    site.routes["/"] = page(0)
    for n in range(1, pages):
        site.routes[f"/p{n}.html"] = page(n)
    env = {**os.environ, "NO_COLOR": "1"}
    args = [sys.executable, "-m", "curator", "--workspace", str(workspace.root), "crawl", site.url + "/",
            "--allow-private", "--delay", "0", "--no-sitemaps", "--workers", "1", "--json"]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not gate.held.wait(0.1):
            assert first.poll() is None, first.communicate()[1].decode()
            assert time.monotonic() < deadline, "the crawl never reached the held page"
        conn = workspace.connect()
        deadline = time.monotonic() + 30
        while conn.execute("SELECT COUNT(*) FROM crawl_frontier WHERE status = 'fetched'").fetchone()[0] < 8:
            assert time.monotonic() < deadline and first.poll() is None, "the answered pages were never stored"
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        gate.release.set()
    held = [h.path for h in site.hits if not h.answered]
    stored_first = conn.execute("SELECT COUNT(*) FROM crawl_frontier WHERE status = 'fetched'").fetchone()[0]
    assert stored_first == 8

    gate.allowed = 10 ** 6
    second = subprocess.run(args, check=False, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["counts"]["fetched"] == pages - 8
    answered = [h.path for h in site.hits if h.answered and h.path != "/robots.txt"]
    assert len(answered) == pages and len(set(answered)) == pages  # every page answered exactly once
    requested = [h.path for h in site.hits if h.path != "/robots.txt"]
    twice = {p for p in requested if requested.count(p) > 1}
    assert twice <= set(held)  # only a request cut off by the kill was asked for again
    assert conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == pages
    runs = [r["status"] for r in conn.execute("SELECT status FROM runs WHERE stage = 'crawl' ORDER BY id")]
    assert runs[-1] == "done"
    conn.close()


def test_two_seeds_on_two_hosts_in_one_run_each_in_its_scope(site, crawl, conn):
    other = Site()
    other.thread.start()
    try:
        site.html("/", "Home", sentence(0), ["/guide/a.html", "/blog/b.html", other.url + "/x.html"])
        site.html("/guide/a.html", "A", sentence(1), ["/guide/a2.html"])
        site.html("/guide/a2.html", "A2", sentence(2))
        site.html("/blog/b.html", "B", sentence(3))
        other.html("/", "Other", sentence(4), ["/x.html"])
        other.html("/x.html", "X", sentence(5))
        report = crawl(site.url + "/guide/a.html", other.url + "/", scope="prefix", sitemaps=False)
    finally:
        other.server.shutdown()
        other.server.server_close()
    assert sorted(p for p in site.paths() if p != "/robots.txt") == ["/guide/a.html", "/guide/a2.html"]
    assert sorted(p for p in other.paths() if p != "/robots.txt") == ["/", "/x.html"]
    assert [s["frontier"] for s in report.seeds] == [{"fetched": 2}, {"fetched": 2}]
    kinds = conn.execute("SELECT kind, COUNT(*) FROM sources GROUP BY kind").fetchall()
    assert [tuple(k) for k in kinds] == [("crawl", 2)]


def test_an_unexpected_error_fails_the_run_instead_of_hiding(site, crawl, conn, monkeypatch):
    def broken_store(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("curator.crawl.engine.store_page", broken_store)
    site.html("/", "Home", sentence(0))
    with pytest.raises(RuntimeError, match="disk on fire"):
        crawl(site.url + "/", sitemaps=False)
    run = conn.execute("SELECT status, error FROM runs WHERE stage = 'crawl'").fetchone()
    assert run["status"] == "failed" and "disk on fire" in run["error"]
    assert frontier_row(conn, site.url + "/")["status"] == "queued"  # the next run tries the page again


def test_refresh_retires_the_pending_chunks_of_a_changed_page(site, crawl, conn):
    """A changed page is stored as a new document; the old copy's chunks must not be extracted too."""
    version = [1]
    site.html("/", "Home", sentence(0), ["/a.html"])
    _versioned(site, "/a.html", "A", version)
    crawl(site.url + "/", sitemaps=False)
    old_doc = frontier_row(conn, site.url + "/a.html")["document_id"]
    old_chunks = conn.execute("SELECT COUNT(*) FROM chunks WHERE document_id = ?", (old_doc,)).fetchone()[0]
    assert old_chunks > 0

    version[0] = 2
    crawl(site.url + "/", sitemaps=False, refresh=True)
    new_doc = frontier_row(conn, site.url + "/a.html")["document_id"]
    assert new_doc != old_doc
    old = conn.execute("SELECT extract_status, extract_error FROM chunks WHERE document_id = ?", (old_doc,)).fetchall()
    assert {r["extract_status"] for r in old} == {"skipped"}
    assert all(f"{site.url}/a.html changed" in r["extract_error"] and f"document {new_doc}" in r["extract_error"]
               for r in old)
    pending_docs = {r[0] for r in conn.execute("SELECT DISTINCT document_id FROM chunks WHERE extract_status = 'pending'"
                                               " AND document_id IN (?, ?)", (old_doc, new_doc))}
    assert pending_docs == {new_doc}  # extraction sends the new text only
    from curator.errors import CuratorError
    from curator.extract.stage import plan_jobs

    old_chunk = conn.execute("SELECT id FROM chunks WHERE document_id = ? LIMIT 1", (old_doc,)).fetchone()[0]
    with pytest.raises(CuratorError, match=r"not extracted any more \(retired: .*a\.html changed"):
        plan_jobs(conn, regenerate=[old_chunk])  # nor does --regenerate, with the reason, not a template's
