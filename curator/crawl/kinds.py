"""Which responses the crawler keeps, and as what kind of document."""

from __future__ import annotations

from curator.crawl.urls import url_name

_BY_TYPE = {
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
    "text/vtt": "transcript",
    "application/x-subrip": "transcript",
    "text/srt": "transcript",
    "application/srt": "transcript",
}
_BY_SUFFIX = {".html": "html", ".htm": "html", ".xhtml": "html", ".pdf": "pdf", ".txt": "text", ".md": "markdown",
              ".markdown": "markdown", ".srt": "transcript", ".vtt": "transcript"}
# Servers often send subtitles and markdown as text/plain or application/octet-stream.
_GENERIC_TYPES = ("", "text/plain", "application/octet-stream", "binary/octet-stream")


def media_type(content_type: str | None) -> tuple[str, str | None]:
    """('text/html', 'utf-8') from 'text/html; charset=UTF-8'."""
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in parts[1:]:
        if p.lower().startswith("charset="):
            charset = p.split("=", 1)[1].strip().strip("\"'") or None
    return parts[0].lower(), charset


def page_kind(content_type: str | None, url: str) -> str | None:
    """'html', 'pdf', 'text', 'markdown' or 'transcript'; None for what the crawler does not keep (images, zip...)."""
    mtype, _ = media_type(content_type)
    suffix = "." + url_name(url).rsplit(".", 1)[-1] if "." in url_name(url) else ""
    if mtype in _GENERIC_TYPES and suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    return _BY_TYPE.get(mtype)
