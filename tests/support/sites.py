"""A deterministic static web site and its 127.0.0.1 server (see benchmarks/crawl_site.py)."""

from benchmarks.crawl_site import start_server, write_site

__all__ = ["start_server", "write_site"]
