"""The crawl benchmark's baseline in a process of its own: plain trafilatura over the given pages, one by one.

`python -m benchmarks.trafilatura_baseline < paths` reads one HTML file path
a line, extracts each with `trafilatura.extract(html, url=url,
output_format="markdown")` (every other option at trafilatura's default),
and prints {"pages", "seconds", "cpu_seconds"} as JSON. A fresh interpreter
that imports nothing but trafilatura is the single-process case as a user
meets it, and it leaves out the benchmark process's own state (a heap the
crawl has just used), which made the baseline timed after the crawl a few
percent slower than the one timed before it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import trafilatura


def main() -> None:
    paths = [Path(line) for line in sys.stdin.read().splitlines() if line]
    pages = [(p.read_bytes().decode("utf-8"), p.as_uri()) for p in paths]
    if pages:  # trafilatura's first call sets up what later calls reuse: not timed
        trafilatura.extract(pages[0][0], url=pages[0][1], output_format="markdown")
    started, cpu = time.perf_counter(), time.process_time()
    for page, url in pages:
        trafilatura.extract(page, url=url, output_format="markdown")
    print(json.dumps({"pages": len(pages), "seconds": time.perf_counter() - started,
                      "cpu_seconds": time.process_time() - cpu}))


if __name__ == "__main__":
    main()
