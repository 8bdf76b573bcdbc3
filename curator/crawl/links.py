"""Links in an HTML page, the page's robots meta tag, and the URLs a sitemap lists.

Regular expressions rather than a DOM: the page is parsed once already by
trafilatura in the same worker, and for `<a href>` and `<loc>` a careful
pattern finds the same links at a fraction of the cost. The sitemap pattern
also never expands XML entities, so a hostile sitemap cannot blow up.
"""

from __future__ import annotations

import gzip
import html
import io
import re
import zlib
from collections.abc import Sequence

from curator.crawl.urls import UnsupportedUrl, normalize_url, normalize_url_pair

_HREF = re.compile(r"""<(?:a|area)\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_BASE = re.compile(r"""<base\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.IGNORECASE)
_META = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>|<body\b", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
_LOC = re.compile(r"<(?:\w+:)?loc>\s*(.*?)\s*</(?:\w+:)?loc>", re.IGNORECASE | re.DOTALL)
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "ftp:", "#", "about:", "file:")
MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemap protocol's own limit, uncompressed


def _first(m: re.Match[str]) -> str:
    return next(g for g in m.groups() if g is not None)


def page_links(page: str, base_url: str, tracking_params: Sequence[str]) -> list[tuple[str, str]]:
    """(normalized key, URL to request) for each distinct http(s) link of the page, in order of appearance."""
    base = base_url
    found_base = _BASE.search(page)
    if found_base:
        base = html.unescape(_first(found_base)).strip() or base_url
        try:
            base = normalize_url(base, base_url, tracking_params, keep_trailing_slash=True)
        except UnsupportedUrl:
            base = base_url
    seen: dict[str, str] = {}
    for m in _HREF.finditer(page):
        href = html.unescape(_first(m)).strip()
        if not href or href.lower().startswith(_SKIP_SCHEMES):
            continue
        try:
            key, fetch = normalize_url_pair(href, base, tracking_params)
        except (UnsupportedUrl, ValueError):  # urljoin raises ValueError on a broken host like http://[x/
            continue
        seen.setdefault(key, fetch)
    return list(seen.items())


def robots_meta(page: str) -> set[str]:
    """Directives of <meta name="robots"> (and name="curator"), e.g. {'noindex', 'nofollow'}."""
    end = _HEAD_END.search(page, 0, 65536)
    head = page[: end.start() if end else 65536]
    directives: set[str] = set()
    for tag in _META.finditer(head):
        attrs = {a.lower(): next(v for v in vals if v is not None) for a, *vals in _ATTR.findall(tag.group(0))}
        if attrs.get("name", "").lower() in ("robots", "curator"):
            directives.update(d.strip().lower() for d in attrs.get("content", "").split(","))
    if "none" in directives:
        directives.update(("noindex", "nofollow"))
    return directives


def sitemap_locations(data: bytes) -> tuple[str, list[str]]:
    """('index' or 'urlset', the <loc> URLs) of a sitemap, gunzipping it when compressed."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_SITEMAP_BYTES + 1)[:MAX_SITEMAP_BYTES]
        except (OSError, EOFError, zlib.error):
            return "urlset", []
    text = data.decode("utf-8", errors="replace")
    kind = "index" if re.search(r"<(?:\w+:)?sitemapindex\b", text[:4096], re.IGNORECASE) else "urlset"
    return kind, [html.unescape(m.group(1)) for m in _LOC.finditer(text)]

