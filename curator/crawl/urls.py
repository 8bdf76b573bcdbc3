"""URL normalization and crawl scope.

Two spellings of one page must normalize to the same string, or the frontier
would fetch the page twice: the scheme and host are lowercased, default ports,
fragments, empty queries and credentials dropped, dot segments resolved,
percent-escapes of unreserved characters decoded (and the rest uppercased),
tracking parameters (utm_*, fbclid, gclid, ...) removed and the query sorted.
A trailing slash is dropped from every path but the root in the key, so
`/docs/` and `/docs` are one page; the crawler still requests the spelling it
found (`keep_trailing_slash=True`), so a site's own relative links keep
resolving against the right folder and no needless redirect is asked for.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

DEFAULT_TRACKING_PARAMS = ("utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga", "yclid",
                           "igshid", "ref_src")
# Credentials people paste into URLs by accident: never fetched with, never stored.
SECRET_PARAMS = ("access_token", "api_key", "apikey", "password", "passwd", "secret", "token", "auth")
ALLOWED_SCHEMES = ("http", "https")
SCOPE_MODES = ("host", "prefix")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


class UnsupportedUrl(ValueError):
    """Not an http(s) URL, or not a URL at all."""


def normalize_url(url: str, base: str | None = None,
                  tracking_params: Sequence[str] = DEFAULT_TRACKING_PARAMS, *,
                  keep_trailing_slash: bool = False) -> str:
    """The canonical form of `url` (resolved against `base` when relative); UnsupportedUrl if not http(s)."""
    key, fetch = normalize_url_pair(url, base, tracking_params)
    return fetch if keep_trailing_slash else key


def normalize_url_pair(url: str, base: str | None = None,
                       tracking_params: Sequence[str] = DEFAULT_TRACKING_PARAMS) -> tuple[str, str]:
    """(frontier key, URL to request): `normalize_url` without and with keep_trailing_slash, parsed once."""
    url = url.strip()
    if base is not None:
        url = _join_absolute_path(origin(base), url) if _is_absolute_path(url) else urljoin(base, url)
    return _normalized_pair(url, tuple(tracking_params))


def _is_absolute_path(reference: str) -> bool:
    return reference.startswith("/") and not reference.startswith("//")


@lru_cache(maxsize=8192)
def _join_absolute_path(home: str, reference: str) -> str:
    # A reference that starts with one slash takes only the scheme and host from its base, so its resolution
    # can be cached per site instead of per page: most of a page's links are such paths to the same pages.
    return urljoin(home + "/", reference)


@lru_cache(maxsize=8192)
def _normalized_pair(url: str, tracking_params: tuple[str, ...]) -> tuple[str, str]:
    # Cached on the absolute URL: a site's pages link to the same pages again and again (navigation, sidebars),
    # each from its own base, so the look-up hits once the relative link is resolved.
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsupportedUrl(f"{url}: not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise UnsupportedUrl(f"{url}: only http and https URLs can be crawled, not {scheme or 'a relative URL'}")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsupportedUrl(f"{url}: the URL has no host")
    host = _idna(host)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path, trailing_slash = _normalize_path(parts.path)
    query = _normalize_query(parts.query, tracking_params)
    key = urlunsplit((scheme, netloc, path, query, ""))
    return key, urlunsplit((scheme, netloc, path + "/", query, "")) if trailing_slash else key


def _idna(host: str) -> str:
    host = host.lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise UnsupportedUrl(f"{host}: not a valid host name ({exc})") from exc


def _normalize_escapes(text: str, safe: str) -> str:
    def fix(m: re.Match[str]) -> str:
        ch = chr(int(m.group(0)[1:], 16))
        return ch if ch in _UNRESERVED else m.group(0).upper()
    text = _PCT.sub(fix, text)
    return quote(text, safe=safe + "%")


def _normalize_path(path: str) -> tuple[str, bool]:
    """The path without dot segments and trailing slash, and whether the link spelled it with one (not the root)."""
    if not path:
        return "/", False
    path = _normalize_escapes(path, "/:@!$&'()*+,;=-._~")
    resolved = posixpath.normpath(path)
    if resolved.startswith("//"):  # normpath keeps a leading double slash; the web does not mean anything by it
        resolved = "/" + resolved.lstrip("/")
    if resolved in (".", ""):
        return "/", False
    if resolved == "/":
        return resolved, False
    return resolved.rstrip("/"), path.endswith("/")


def _normalize_query(query: str, tracking_params: Sequence[str]) -> str:
    if not query:
        return ""
    kept = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        lowered = key.lower()
        if lowered in SECRET_PARAMS or any(fnmatch.fnmatchcase(lowered, p) for p in tracking_params):
            continue
        kept.append((key, value))
    kept.sort()
    return urlencode(kept, quote_via=quote, safe="/:@!$'()*,;-._~")


def has_credentials(url: str) -> bool:
    """Whether the URL carries user:password@ or a secret-looking query parameter (both are dropped)."""
    parts = urlsplit(url)
    if parts.username or parts.password:
        return True
    return any(k.lower() in SECRET_PARAMS for k, _ in parse_qsl(parts.query, keep_blank_values=True))


@lru_cache(maxsize=8192)
def origin(url: str) -> str:
    """scheme://host[:port] of a normalized URL: the unit robots.txt and politeness apply to.

    Cached: the crawl asks again for the same URLs (queueing, fetching, the
    robots.txt check, the scope of each link found), and splitting them was
    a noticeable share of the crawling process's time.
    """
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def host_of(url: str) -> str:
    return urlsplit(url).hostname or ""


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def url_name(url: str) -> str:
    """The last path segment, unquoted: where a file extension is read from."""
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1]).lower()


@dataclass(frozen=True)
class Scope:
    """Which URLs a crawl from one seed may visit.

    mode "host": the seed's scheme, host and port; "prefix": also under the
    seed's path (the seed's folder when it names a file, like /docs/intro.html
    giving /docs/). Include patterns (regex, searched in the whole URL) must
    match when given; exclude patterns must not.
    """

    seed: str
    mode: str = "host"
    include: tuple[re.Pattern[str], ...] = field(default_factory=tuple)
    exclude: tuple[re.Pattern[str], ...] = field(default_factory=tuple)

    @classmethod
    def build(cls, seed: str, mode: str, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> Scope:
        """A scope for `seed`; ValueError names a bad mode or pattern."""
        if mode not in SCOPE_MODES:
            raise ValueError(f"unknown scope {mode!r}: use 'host' or 'prefix'")
        return cls(seed, mode, _compile(include, "--include"), _compile(exclude, "--exclude"))

    @cached_property
    def home(self) -> str:
        return origin(self.seed)

    @cached_property
    def prefix(self) -> str:
        path = urlsplit(self.seed).path
        folder = path if path.endswith("/") or "." not in path.rsplit("/", 1)[-1] else path.rsplit("/", 1)[0] + "/"
        return folder.rstrip("/") + "/"

    def allows(self, url: str) -> bool:
        if origin(url) != self.home:
            return False
        if self.mode == "prefix" and url != self.seed:
            path = urlsplit(url).path
            if not (path + "/").startswith(self.prefix):
                return False
        if self.include and url != self.seed and not any(p.search(url) for p in self.include):
            return False
        return not any(p.search(url) for p in self.exclude)


def _compile(patterns: Iterable[str], option: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for p in patterns:
        try:
            compiled.append(re.compile(p))
        except re.error as exc:
            raise ValueError(f"{option} {p!r} is not a valid regular expression: {exc}") from exc
    return tuple(compiled)
