"""What runs in the extraction processes: bytes of one page in, its text, title, language, links and chunks out.

Chunk spans are planned here too, with the same planners `curator add` uses
(`curator.ingest.chunking`): planning costs a third as much as the extraction
itself, and done in the parent it would leave one core waiting on the other.
The parent only writes the planned spans. Everything here is a plain function of picklable values, so the crawl can
hand pages to a process pool and keep both cores busy while the network
waits. Failures come back as `PageResult.error` (a sentence for the user),
never as exceptions: one bad page must not take down a worker.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from curator.crawl.kinds import media_type
from curator.crawl.links import page_links, robots_meta
from curator.errors import CuratorError
from curator.ingest.chunking import ChunkPlan, plan_text_chunks, plan_transcript_chunks
from curator.ingest.decode import decode_bytes
from curator.ingest.html import html_to_markdown
from curator.ingest.language import detect_language
from curator.ingest.pdf import pdf_to_text
from curator.ingest.transcripts import merge_cues, parse_srt, parse_vtt

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
# The script mix of a page's first few thousand characters decides its language as well as all of it would.
LANGUAGE_SAMPLE_CHARS = 4000
ChunkRow = tuple[int, int, int, float | None, float | None]


@dataclass(frozen=True)
class PageJob:
    url: str  # the frontier key; errors name it
    base_url: str  # the URL the answer came from, for resolving relative links
    kind: str  # html | pdf | text | markdown | transcript
    content_type: str
    data: bytes
    tracking_params: tuple[str, ...]
    chunking: dict[str, Any]  # the workspace's [chunking] settings


@dataclass
class PageResult:
    kind: str
    text: str = ""
    title: str | None = None
    language: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    directives: set[str] = field(default_factory=set)
    meta: dict[str, Any] = field(default_factory=dict)
    cues: list[dict[str, Any]] = field(default_factory=list)
    # (start, end, tokens, time_start, time_end) of each planned chunk: plain tuples, because pickling a page's
    # few dozen ChunkPlan instances cost 0.1 ms a page, about as much as pickling the whole of its text.
    chunks: list[ChunkRow] = field(default_factory=list)
    error: str | None = None
    cpu_s: float = 0.0


def extract_page(job: PageJob) -> PageResult:
    started = time.process_time()
    try:
        result = _extract(job)
    except CuratorError as exc:
        result = PageResult(job.kind, error=_without_location(str(exc), job.url))
    except Exception as exc:  # noqa: BLE001 (a parser bug fails this page only)
        result = PageResult(job.kind, error=f"extraction failed ({type(exc).__name__}: {exc})")
    if result.error is None and not result.text.strip() and "noindex" not in result.directives:
        result.error = "no text left after extraction"
    if result.error is None and result.text:
        result.language = detect_language(result.text, LANGUAGE_SAMPLE_CHARS)
        result.chunks = [(p.start, p.end, p.tokens, p.time_start, p.time_end)
                         for p in plan_chunks(result.text, result.cues, job.chunking)]
    result.cpu_s = time.process_time() - started
    return result


def _extract(job: PageJob) -> PageResult:
    if job.kind == "pdf":
        pdf = pdf_to_text(job.data, job.url)
        meta = {"pages": pdf.pages}
        if pdf.pages_without_text:
            meta["pages_without_text"] = pdf.pages_without_text
        return PageResult("pdf", text=pdf.text, meta=meta)
    _, charset = media_type(job.content_type)
    if job.kind == "html":
        page, encoding = decode_html(job.data, charset, job.url)
        directives = robots_meta(page)
        links = [] if "nofollow" in directives else page_links(page, job.base_url, job.tracking_params)
        if "noindex" in directives:
            return PageResult("html", links=links, directives=directives, meta={"encoding": encoding})
        extracted = html_to_markdown(page, job.url)
        return PageResult("html", text=extracted.markdown, title=extracted.title, links=links,
                          directives=directives, meta={"encoding": encoding})
    text, encoding = _decode_text(job.data, charset, job.url)
    text = text.lstrip("\ufeff")
    if job.kind == "transcript":
        raw = parse_vtt(text, job.url) if text.lstrip().startswith("WEBVTT") else parse_srt(text, job.url)
        if not raw:
            return PageResult("transcript", error="no subtitle cues with text were found")
        content, cues = merge_cues(raw)
        return PageResult("transcript", text=content, cues=cues,
                          meta={"encoding": encoding, "cues": len(cues),
                                "duration_s": round(max(c.end for c in raw), 3)})
    title = None
    if job.kind == "markdown":
        heading = _MD_HEADING.search(text)
        title = heading.group(1).strip() if heading else None
    return PageResult(job.kind, text=text.strip(), title=title, meta={"encoding": encoding})


def plan_chunks(text: str, cues: list[dict[str, Any]], chunking: dict[str, Any]) -> list[ChunkPlan]:
    """Chunk spans as `chunk_document` would make them: time windows for transcripts, sentences packed otherwise."""
    if cues:
        return plan_transcript_chunks(text, cues, chunking["transcript_window_s"], chunking["target_tokens"])
    return plan_text_chunks(text, chunking["target_tokens"], chunking["overlap_tokens"])


def decode_html(data: bytes, header_charset: str | None, name: str) -> tuple[str, str]:
    """An HTML page's text: the charset the server declared, else the page's <meta charset>, else sniffed."""
    declared = _META_CHARSET.search(data[:4096])
    return _decode_first(data, (header_charset, declared.group(1).decode("ascii") if declared else None), name)


def _decode_text(data: bytes, charset: str | None, name: str) -> tuple[str, str]:
    return _decode_first(data, (charset,), name)


def _decode_first(data: bytes, charsets: tuple[str | None, ...], name: str) -> tuple[str, str]:
    """The text in the first named charset that decodes it, else as sniffed."""
    for candidate in charsets:
        if candidate:
            try:
                return data.decode(candidate), candidate.lower()
            except (LookupError, UnicodeDecodeError):
                continue
    decoded = decode_bytes(data, name)
    return decoded.text, decoded.encoding


def _without_location(message: str, url: str) -> str:
    """Loaders prefix their messages with the file or URL; the crawl shows the URL beside it already."""
    prefix = f"{url}: "
    return message.removeprefix(prefix)
