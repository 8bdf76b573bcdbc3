"""HTML to markdown: the page's main content (headings, paragraphs, lists, tables), boilerplate dropped.

Used by `curator add` for local .html files and by the crawler's extraction
workers, so both produce the same text for the same page. Metadata extraction
(dates, authors) is left off on purpose: it costs about as much as the content
extraction itself and nothing downstream reads it; the title comes from the
first heading of the extracted text, else the page's <title>.

trafilatura runs in fast mode, without its fallback extractors (readability
and jusText), which cost about a quarter of the extraction. On well-formed
pages the fallbacks change nothing: the output was identical on the crawl
benchmark's 2,000 pages, the sample corpus and 95% of 1,200 Rust
documentation pages; where it differed, fast mode kept whole source listings
the fallbacks cut short, and on about 1% of pages (short API pages without
paragraph markup) it kept less than the fallbacks would have.

trafilatura's settings object is built once per process and copied for each
page with its URL: `trafilatura.extract` with keyword options would rebuild
it (a dozen configuration look-ups and today's date) on every call.

The extraction is trafilatura.extract in its two halves: `bare_extraction`
finds the main content as a tree, and `markdown_writer.document_markdown`
writes that tree as the markdown trafilatura would, at about a quarter of the
cost for ordinary prose (see that module). Before that, `page_markup` mends
what trafilatura misreads in the page's tree (permalink marks, definition
lists, documentation sections named "Comments"); the markdown is what
trafilatura.extract gives for the mended tree.
"""

from __future__ import annotations

import html as html_lib
import re
from copy import copy
from dataclasses import dataclass

from trafilatura import bare_extraction
from trafilatura.settings import Extractor
from trafilatura.utils import load_html

from curator.errors import CuratorError
from curator.ingest.markdown_writer import document_markdown
from curator.ingest.page_markup import prepare_page

_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")
_MAX_TITLE = 300
# The options of the extraction; _EXTRACTOR is what `trafilatura.extract(html, url=url, **TRAFILATURA_OPTIONS)`
# builds from them for every page, minus the URL (a test holds the two to the same output).
TRAFILATURA_OPTIONS = {"output_format": "markdown", "include_tables": True, "include_formatting": True,
                       "include_comments": False, "with_metadata": False, "fast": True}
_EXTRACTOR = Extractor(output_format="markdown", tables=True, formatting=True, comments=False, with_metadata=False,
                       fast=True)


class NoMainContent(CuratorError):
    """The page holds nothing but navigation, scripts or boilerplate: there is no text to keep."""


@dataclass(frozen=True)
class HtmlText:
    title: str | None
    markdown: str


def html_to_markdown(html: str, url: str | None = None) -> HtmlText:
    """The main content of `html` as markdown, or NoMainContent naming `url` when nothing is left."""
    where = url or "the HTML document"
    markdown = ""
    tree = load_html(html) if html and html.strip() else None  # what bare_extraction would parse it into
    if tree is not None:
        # bare_extraction and document_markdown are the two halves of trafilatura.extract, the second faster.
        document = bare_extraction(prepare_page(tree), options=_extractor(url), as_dict=False)
        if document is not None:
            markdown = document_markdown(document.body, document.commentsbody).strip()
    if not markdown:
        raise NoMainContent(f"{where}: no main content found (the page holds only navigation, scripts or "
                            "boilerplate, or is empty)")
    return HtmlText(title=_title(markdown, html), markdown=markdown)


def _extractor(url: str | None) -> Extractor:
    """trafilatura's settings for one page: the shared ones with this page's URL, set as Extractor(url=...) sets it."""
    options = copy(_EXTRACTOR)
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    return options


def _title(markdown: str, html: str) -> str | None:
    first = markdown.lstrip().split("\n", 1)[0]
    heading = _HEADING.match(first)
    if heading:
        return heading.group(1)[:_MAX_TITLE]
    tag = _TITLE_TAG.search(html[:65536])
    if tag:
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", "", tag.group(1))).split())
        return text[:_MAX_TITLE] or None
    return None
