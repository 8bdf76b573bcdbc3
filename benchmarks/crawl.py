"""`curator bench crawl`: crawl a generated 2,000-page site on 127.0.0.1 and compare with one-process extraction.

What is measured, all in one run on the same pages:
- pages_per_s: pages stored per second of the whole crawl (pool start-up,
  robots.txt, sitemap, fetching, extraction, chunking, SQLite writes);
- extract_pages_per_cpu_s: pages per CPU second the extraction workers spent;
- single_process_pages_per_s: the baseline, plain trafilatura as a user calls
  it for HTML to markdown (`trafilatura.extract(html, url=url,
  output_format="markdown")`, every other option at trafilatura's default)
  over an evenly spread sample of the same pages, one after another in a
  fresh process (benchmarks.trafilatura_baseline). Half the sample is
  timed just before the crawl and half just after it, and the rate is over
  both halves: this machine's speed drifts by 10-20% over a minute (other
  virtual machines on the host), and a baseline timed only after the crawl
  turned that drift into the ratio (the same build read 1.4x in one run and
  2.0x in another). Both halves are printed;
- peak_rss_mb: the largest sum of resident memory of this process and the
  crawl's extraction processes, sampled every 0.1 s (the benchmark's web
  server runs in its own process and is left out: it is not the crawler).
- crawl_pages_per_cpu_s, single_process_pages_per_cpu_s and
  cpu_time_speedup: the same comparison in CPU time (the crawl's rate per CPU
  second times the number of cores, over the baseline's), which other work on
  the machine disturbs much less than wall-clock rates.
Politeness is off for this loopback site: no delay and 16 requests in flight.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.crawl_site import start_server, write_site
from benchmarks.processes import RssSampler
from curator.crawl import CrawlSettings, run_crawl
from curator.crawl.progress import CrawlCounts
from curator.workspace import init_workspace

BASELINE = "trafilatura.extract defaults, markdown, one process"


def run_crawl_bench(pages: int = 2000, baseline_pages: int = 600, workers: int = 0) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="curator-bench-crawl-") as tmp:
        root = Path(tmp) / "site"
        files = write_site(root, pages)
        site_bytes = sum(f.stat().st_size for f in files)
        sample = baseline_sample(files, baseline_pages)
        before = time_baseline(sample[::2])
        server, port = start_server(root)
        try:
            ws = init_workspace(Path(tmp) / "ws")
            settings = CrawlSettings.from_config(
                ws.config, delay_s=0.0, per_host_concurrency=16, concurrency=16, allow_private=True,
                max_pages=pages + 100, max_depth=1000, extract_workers=workers)
            sampler = RssSampler(exclude={server.pid})
            counts = CrawlCounts()
            conn = ws.connect()
            load_before = os.getloadavg()[0]
            sampler.start()
            started = time.perf_counter()
            try:
                run_crawl(conn, ws.config, [f"http://127.0.0.1:{port}/"], settings, counts=counts)
            finally:
                seconds = time.perf_counter() - started
                sampler.stop()
                conn.close()
        finally:
            server.kill()
            server.join(10)
        after = time_baseline(sample[1::2])
    baseline = len(sample) / (before.seconds + after.seconds)
    baseline_cpu = len(sample) / (before.cpu_seconds + after.cpu_seconds)
    cpus = os.cpu_count() or 1
    crawl_per_cpu_s = counts.fetched / sampler.cpu_seconds
    return {
        "pages": counts.fetched,
        "seconds": round(seconds, 2),
        "pages_per_s": round(counts.fetched / seconds, 2),
        "extract_pages_per_cpu_s": round(counts.fetched / counts.extract_cpu_s, 2) if counts.extract_cpu_s else None,
        "single_process_pages_per_s": round(baseline, 2),
        "single_process_pages_per_s_before_after": [round(before.rate, 2), round(after.rate, 2)],
        "baseline_pages": len(sample),
        "baseline": BASELINE,
        "speedup_vs_single_process": round(counts.fetched / seconds / baseline, 2),
        "peak_rss_mb": round(sampler.peak / 2**20, 1),
        "errors": counts.errors,
        "skipped_by_robots": counts.skipped_robots,
        "site_mb": round(site_bytes / 2**20, 1),
        "workers": settings.workers,
        "cpus": os.cpu_count(),
        # How much of the machine the crawl's processes got: well below 1 while the load average is high
        # means other work shared the cores and the wall-clock rates above are low for that reason.
        "crawl_cpu_share": round(sampler.cpu_seconds / (seconds * cpus), 2),
        "load_average_before": round(load_before, 2),
        # The same comparison in CPU time, which other work on the machine disturbs much less: pages per CPU
        # second of all the crawl's processes together, and of the single-process baseline.
        "crawl_pages_per_cpu_s": round(crawl_per_cpu_s, 2),
        "single_process_pages_per_cpu_s": round(baseline_cpu, 2),
        # What speedup_vs_single_process would be with every core busy with the crawl and nothing else.
        "cpu_time_speedup": round(crawl_per_cpu_s * cpus / baseline_cpu, 2),
    }


@dataclass(frozen=True)
class BaselineTime:
    pages: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.pages / self.seconds


def baseline_sample(files: list[Path], sample: int) -> list[Path]:
    """`sample` pages spread evenly over the site."""
    step = max(1, len(files) // sample)
    return files[::step][:sample]


def time_baseline(pages: list[Path]) -> BaselineTime:
    """The baseline (BASELINE) over `pages`, one after another in a fresh process (trafilatura_baseline)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.trafilatura_baseline"], check=False,
                          input="\n".join(str(p) for p in pages), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the baseline process failed (exit code {done.returncode}): {done.stderr[-2000:]}")
    figures = json.loads(done.stdout)
    return BaselineTime(figures["pages"], figures["seconds"], figures["cpu_seconds"])
