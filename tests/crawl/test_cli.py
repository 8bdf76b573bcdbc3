"""`curator crawl` and `curator bench crawl` as a user runs them."""

import json

import pytest

from .conftest import Page, sentence


def test_crawl_command_reports_json_and_status_shows_its_errors(site, workspace, curator_cmd):
    site.routes["/robots.txt"] = Page("User-agent: *\nDisallow: /drafts/\n", content_type="text/plain")
    site.html("/", "Home", sentence(0), ["/guide.html", "/missing.html", "/drafts/x.html"])
    site.html("/guide.html", "Guide", sentence(1))
    result = curator_cmd("--workspace", str(workspace.root), "crawl", site.url + "/", "--allow-private",
                         "--delay", "0", "--no-sitemaps", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["fetched"] == 2 and report["counts"]["errors"] == 1
    assert report["counts"]["skipped_robots"] == 1
    assert report["seeds"][0]["frontier"] == {"fetched": 2, "error": 1, "skipped": 1}
    assert {p["url"].rsplit("/", 1)[-1]: p["status"] for p in report["problems"]} == {
        "missing.html": "error", "x.html": "skipped"}
    status = json.loads(curator_cmd("--workspace", str(workspace.root), "status", "--json").stdout)
    assert status["sources"] == {"crawl": 1}
    assert any(e["stage"] == "crawl" and e["location"].endswith("/missing.html") and e["message"] == "HTTP 404"
               for e in status["last_errors"])


def test_crawl_command_refuses_loopback_without_allow_private(site, workspace, curator_cmd):
    site.html("/", "Home", sentence(0))
    result = curator_cmd("--workspace", str(workspace.root), "crawl", site.url + "/")
    assert result.returncode == 1
    assert "loopback" in result.stderr and "--allow-private" in result.stderr
    assert "Traceback" not in result.stderr
    assert site.hits == []


def test_crawl_command_rejects_bad_patterns_and_schemes(workspace, curator_cmd):
    bad = curator_cmd("--workspace", str(workspace.root), "crawl", "http://example.com/", "--exclude", "(")
    assert bad.returncode == 1 and "--exclude" in bad.stderr and "Traceback" not in bad.stderr
    ftp = curator_cmd("--workspace", str(workspace.root), "crawl", "ftp://example.com/file")
    assert ftp.returncode == 1 and "only http and https" in ftp.stderr


def test_help_explains_every_option(curator_cmd):
    text = curator_cmd("crawl", "--help").stdout
    for option in ("--scope", "--include", "--exclude", "--max-depth", "--max-pages", "--delay", "--per-host",
                   "--concurrency", "--refresh", "--allow-private", "--json", "--read-timeout", "--workers"):
        assert option in text


@pytest.mark.slow
def test_bench_crawl_prints_its_figures(curator_cmd):
    result = curator_cmd("bench", "crawl", "--pages", "120", "--baseline-pages", "20", "--json", timeout=300)
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["pages"] == 120 and figures["errors"] == 0
    assert figures["skipped_by_robots"] >= 1
    for key in ("seconds", "pages_per_s", "extract_pages_per_cpu_s", "single_process_pages_per_s", "peak_rss_mb"):
        assert figures[key] > 0
    # The baseline is timed in two halves, one on each side of the crawl, and its rate is over both.
    before, after = figures["single_process_pages_per_s_before_after"]
    assert figures["baseline_pages"] == 20
    assert min(before, after) <= figures["single_process_pages_per_s"] <= max(before, after)
