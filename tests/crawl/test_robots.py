"""robots.txt: the rules are parsed as RFC 9309 says, and the crawler obeys them on a live site."""

import itertools

from curator.crawl.robots import parse_robots
from curator.crawl.settings import default_user_agent
from curator.store.crawl import frontier_counts

from .conftest import Page, sentence

ROBOTS = """
# comments and blank lines are ignored
User-agent: otherbot
Disallow: /

User-agent: *
Disallow: /private/
Allow: /private/press
Disallow: /*?sort=
Disallow: /*.pdf$
Crawl-delay: 2.5
Sitemap: https://example.com/sitemap.xml
"""


def test_rules_for_our_agent():
    rules = parse_robots(ROBOTS, default_user_agent())
    assert rules.crawl_delay == 2.5
    assert rules.sitemaps == ("https://example.com/sitemap.xml",)
    allowed = {p: rules.allows(p) for p in ["/", "/private/x", "/private/press/2024", "/list?sort=asc",
                                              "/list?page=2", "/report.pdf", "/report.pdf.html", "/robots.txt"]}
    assert allowed == {"/": True, "/private/x": False, "/private/press/2024": True, "/list?sort=asc": False,
                       "/list?page=2": True, "/report.pdf": False, "/report.pdf.html": True, "/robots.txt": True}


def test_a_group_naming_curator_wins_over_the_star_group():
    rules = parse_robots("User-agent: *\nAllow: /\n\nUser-agent: Curator\nDisallow: /drafts\n", default_user_agent())
    assert not rules.allows("/drafts/1") and rules.allows("/public")


def test_disallowed_pages_are_never_requested(site, crawl, conn):
    site.routes["/robots.txt"] = Page("User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.html("/", "Home", sentence(0), ["/public.html", "/private/secret.html"])
    site.html("/public.html", "Public", sentence(1))
    site.html("/private/secret.html", "Secret", sentence(2))
    report = crawl(site.url + "/")
    assert "/private/secret.html" not in site.paths()
    assert report.counts.skipped_robots == 1 and report.counts.fetched == 2
    assert all(h.headers["user-agent"].startswith("curator/") and "polite crawler" in h.headers["user-agent"]
               for h in site.hits)
    assert frontier_counts(conn, report.seeds[0]["source_id"]) == {"fetched": 2, "skipped": 1}


def test_crawl_delay_spaces_requests_to_the_host(site, crawl):
    site.routes["/robots.txt"] = Page("User-agent: *\nCrawl-delay: 0.4\n", content_type="text/plain")
    site.html("/", "Home", sentence(0), [f"/p{i}.html" for i in range(1, 4)])
    for i in range(1, 4):
        site.html(f"/p{i}.html", f"P{i}", sentence(i))
    crawl(site.url + "/", delay_s=0.0, sitemaps=False)
    starts = [h.at for h in site.hits]
    assert len(starts) == 5  # robots.txt, the seed, three pages
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.4 - 0.02, gaps


def test_robots_txt_answering_5xx_stops_the_host(site, crawl):
    site.routes["/robots.txt"] = Page("down", status=503, content_type="text/plain")
    site.html("/", "Home", sentence(0))
    report = crawl(site.url + "/", retries=0, sitemaps=False)
    assert site.paths() == ["/robots.txt"]
    assert report.counts.skipped_robots == 1
    assert "503" in report.problems[0]["reason"]
