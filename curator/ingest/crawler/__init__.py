"""The polite crawler behind `curator crawl`: robots.txt, per-host spacing, scope, resumable frontier.

`run_crawl` is the library call; `CrawlSettings` holds its options (the
workspace's [crawl] section overridden by command-line options).
"""

from curator.ingest.crawler.runner import CrawlReport, run_crawl
from curator.ingest.crawler.settings import CrawlSettings

__all__ = ["CrawlReport", "CrawlSettings", "run_crawl"]
