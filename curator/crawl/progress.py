"""The crawl's running counts, and the live line rich draws from them while the crawl runs."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text


@dataclass
class CrawlCounts:
    fetched: int = 0  # pages stored (new documents or new locations of known text)
    new_documents: int = 0
    duplicates: int = 0  # text already stored under another URL: a location was added
    unchanged: int = 0  # 304 on --refresh, or the same text again
    skipped_robots: int = 0
    skipped_other: int = 0  # noindex, unsupported content type, out-of-scope redirects
    errors: int = 0
    queued: int = 0  # waiting or in flight right now
    bytes: int = 0
    chunks: int = 0
    sitemap_urls: int = 0
    extract_cpu_s: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("started")
        out["extract_cpu_s"] = round(self.extract_cpu_s, 3)
        out["seconds"] = round(self.elapsed, 3)
        return out


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


class CrawlProgressView:
    """A renderable rich.live.Live redraws a few times a second: one line of counts, one of rates."""

    def __init__(self, counts: CrawlCounts, title: str) -> None:
        self.counts = counts
        self.title = title

    def __rich__(self) -> RenderableType:
        c = self.counts
        elapsed = max(c.elapsed, 1e-6)
        grid = Table.grid(padding=(0, 2))
        cells = [("fetched", c.fetched, "green"), ("queued", c.queued, "cyan"),
                 ("robots", c.skipped_robots, "yellow"), ("skipped", c.skipped_other, "yellow"),
                 ("unchanged", c.unchanged, "blue"), ("errors", c.errors, "red")]
        for _ in cells:
            grid.add_column(justify="right")
        grid.add_column(justify="right")
        grid.add_row(*(Text.assemble((f"{n:,}", f"bold {style}"), f" {label}") for label, n, style in cells),
                     Text(_size(c.bytes)))
        rate = Text(f"{self.title}  {c.fetched / elapsed:.1f} pages/s  {_size(c.bytes / elapsed)}/s  "
                    f"{elapsed:.0f} s", style="dim")
        return Group(grid, rate)
