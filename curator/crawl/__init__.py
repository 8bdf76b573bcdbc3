"""The polite crawler behind `curator crawl`: robots.txt, per-host spacing, scope, resumable frontier.

`run_crawl` is the library call; `CrawlSettings` holds its options (the
workspace's [crawl] section overridden by command-line options).

Both are imported on first use: the extraction processes import
`curator.crawl.page_text`, which imports this package first, and
they have no use for the crawling side (httpx, the fetcher, the frontier),
whose import would only delay the start of every crawl.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from curator.crawl.runner import CrawlReport, run_crawl
    from curator.crawl.settings import CrawlSettings

__all__ = ["CrawlReport", "CrawlSettings", "run_crawl"]
_HOMES = {"CrawlReport": "runner", "run_crawl": "runner", "CrawlSettings": "settings"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
