"""URL normalization and scope: one page, one key, however it was spelled."""

import gzip

import pytest

from curator.crawl.links import page_links, robots_meta, sitemap_locations
from curator.crawl.urls import Scope, UnsupportedUrl, has_credentials, normalize_url


@pytest.mark.parametrize("spelling", [
    "http://example.com/docs/intro",
    "HTTP://EXAMPLE.com/docs/intro",
    "http://example.com:80/docs/intro",
    "http://example.com/docs/intro/",
    "http://example.com/docs/intro#section-2",
    "http://example.com/docs/./guide/../intro",
    "http://example.com/docs/intro?utm_source=news&utm_medium=mail",
    "http://example.com/docs/intro?fbclid=abc&gclid=def",
    "http://user:secret@example.com/docs/intro",
    "http://example.com/docs/%69ntro",
])
def test_spellings_of_one_page_share_a_key(spelling):
    assert normalize_url(spelling) == "http://example.com/docs/intro"


def test_query_is_sorted_and_kept_apart_from_tracking():
    assert normalize_url("https://example.com/list?b=2&utm_campaign=x&a=1") == "https://example.com/list?a=1&b=2"
    assert normalize_url("https://example.com:8443/a?z=1") == "https://example.com:8443/a?z=1"
    assert normalize_url("https://example.com:443/") == "https://example.com/"


def test_request_spelling_keeps_the_trailing_slash():
    assert normalize_url("http://example.com/docs/", keep_trailing_slash=True) == "http://example.com/docs/"
    assert normalize_url("http://example.com/docs/") == "http://example.com/docs"


def test_relative_links_resolve_against_the_page():
    assert normalize_url("../b.html#top", "http://example.com/a/c/page.html") == "http://example.com/a/b.html"
    assert normalize_url("//other.org/x", "https://example.com/") == "https://other.org/x"


def test_non_ascii_hosts_and_paths():
    assert normalize_url("http://예시.kr/무역") == "http://xn--vv4b11d.kr/%EB%AC%B4%EC%97%AD"


@pytest.mark.parametrize("url", ["ftp://example.com/file", "mailto:a@example.com", "javascript:void(0)",
                                 "file:///etc/passwd", "http:///nohost", "http://example.com:99999/"])
def test_only_http_and_https_urls_are_accepted(url):
    with pytest.raises(UnsupportedUrl):
        normalize_url(url)


def test_credentials_are_detected_and_never_kept():
    assert has_credentials("https://bob:pw@example.com/")
    assert has_credentials("https://example.com/feed?api_key=123")
    assert not has_credentials("https://example.com/feed?page=2")
    assert normalize_url("https://example.com/feed?api_key=123&page=2") == "https://example.com/feed?page=2"


def test_scope_by_host_and_by_prefix():
    host = Scope.build("http://example.com/docs/intro.html", "host")
    assert host.allows("http://example.com/blog")
    assert not host.allows("https://example.com/blog")
    assert not host.allows("http://sub.example.com/docs")
    prefix = Scope.build("http://example.com/docs/intro.html", "prefix")
    assert prefix.allows("http://example.com/docs/other")
    assert prefix.allows("http://example.com/docs")
    assert not prefix.allows("http://example.com/docsearch")
    assert not prefix.allows("http://example.com/blog")


def test_include_and_exclude_patterns():
    scope = Scope.build("http://example.com/", "host", include=[r"/guide/"], exclude=[r"\?print=1$"])
    assert scope.allows("http://example.com/")  # the seed itself is always in scope
    assert scope.allows("http://example.com/guide/a")
    assert not scope.allows("http://example.com/blog/a")
    assert not scope.allows("http://example.com/guide/a?print=1")
    with pytest.raises(ValueError, match="--exclude"):
        Scope.build("http://example.com/", "host", exclude=["("])


def test_links_of_a_page():
    page = """<html><head><base href="/docs/"><meta name="robots" content="noindex, nofollow"></head><body>
        <a href="a.html">a</a> <A HREF='b.html#x'>b</a> <a href=c.html>c</a> <a href="a.html?utm_source=z">a</a>
        <a href="mailto:x@example.com">m</a> <a href="javascript:go()">j</a> <a href="https://other.org/">o</a>
        <a href="/docs/">dir</a></body></html>"""
    links = page_links(page, "http://example.com/index.html", ("utm_*",))
    assert [k for k, _ in links] == ["http://example.com/docs/a.html", "http://example.com/docs/b.html",
                                     "http://example.com/docs/c.html", "https://other.org/",
                                     "http://example.com/docs"]
    assert dict(links)["http://example.com/docs"] == "http://example.com/docs/"
    assert robots_meta(page) == {"noindex", "nofollow"}


def test_a_broken_link_is_skipped_and_the_rest_kept():
    page = '<a href="http://[broken/">x</a> <a href="ok.html">ok</a>'
    assert page_links(page, "http://example.com/", ()) == [("http://example.com/ok.html", "http://example.com/ok.html")]


def test_sitemaps_and_sitemap_indexes():
    urlset = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        <url><loc>http://example.com/a</loc></url><url><loc> http://example.com/b?x=1&amp;y=2 </loc></url></urlset>"""
    assert sitemap_locations(urlset) == ("urlset", ["http://example.com/a", "http://example.com/b?x=1&y=2"])
    index = b"""<sitemapindex><sitemap><loc>http://example.com/s1.xml</loc></sitemap></sitemapindex>"""
    assert sitemap_locations(index) == ("index", ["http://example.com/s1.xml"])
    assert sitemap_locations(gzip.compress(urlset))[1][0] == "http://example.com/a"



@pytest.mark.parametrize(("link", "key", "fetch"), [
    ("/docs/guide/", "https://example.com/docs/guide", "https://example.com/docs/guide/"),
    ("/docs/guide", "https://example.com/docs/guide", "https://example.com/docs/guide"),
    ("guide/", "https://example.com/docs/guide", "https://example.com/docs/guide/"),
    ("../up/./", "https://example.com/up", "https://example.com/up/"),
    ("/", "https://example.com/", "https://example.com/"),
    ("//other.org/a/?utm_source=x&b=1", "https://other.org/a?b=1", "https://other.org/a/?b=1"),
])
def test_a_link_gives_its_key_and_the_spelling_to_request(link, key, fetch):
    from curator.crawl.urls import normalize_url_pair

    base = "https://example.com/docs/intro.html"
    assert normalize_url_pair(link, base) == (key, fetch)
    assert (normalize_url(link, base), normalize_url(link, base, keep_trailing_slash=True)) == (key, fetch)
