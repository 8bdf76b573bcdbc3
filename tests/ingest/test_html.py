"""HTML to markdown: the same text as calling trafilatura with our options, however the call is made."""

from __future__ import annotations

import trafilatura

from curator.bench.crawl_site import write_site
from curator.ingest.html import TRAFILATURA_OPTIONS, html_to_markdown


def test_the_markdown_is_what_trafilatura_extract_returns(tmp_path, sample_dir):
    # html_to_markdown hands trafilatura a settings object built once; if a trafilatura release reads more
    # than that object from its keyword arguments, the outputs part here.
    pages = [(p.read_text(encoding="utf-8"), p.as_uri()) for p in write_site(tmp_path / "site", 4)]
    pages += [(p.read_text(encoding="utf-8"), None) for p in sorted((sample_dir / "web").glob("*.html"))]
    assert len(pages) == 8
    for html, url in pages:
        expected = trafilatura.extract(html, url=url, **TRAFILATURA_OPTIONS).strip()
        assert html_to_markdown(html, url).markdown == expected
