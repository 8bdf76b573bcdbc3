"""A crawl's settings: the workspace's [crawl] section, overridden by command-line options."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from curator import __version__
from curator.crawl.urls import DEFAULT_TRACKING_PARAMS


def default_user_agent() -> str:
    return f"curator/{__version__} (+dataset builder; polite crawler)"


@dataclass(frozen=True)
class CrawlSettings:
    user_agent: str = ""
    delay_s: float = 1.0
    per_host_concurrency: int = 1
    concurrency: int = 8
    scope: str = "host"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_depth: int = 5
    max_pages: int = 1000
    sitemaps: bool = True
    max_body_mb: float = 10.0
    max_redirects: int = 5
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    page_timeout_s: float = 120.0
    retries: int = 3
    backoff_s: float = 1.0
    max_retry_after_s: float = 300.0
    extract_workers: int = 0
    tracking_params: tuple[str, ...] = field(default=DEFAULT_TRACKING_PARAMS)
    allow_private: bool = False
    refresh: bool = False

    @classmethod
    def from_config(cls, config: dict[str, Any], **overrides: Any) -> CrawlSettings:
        """Settings from `ws.config` (its [crawl] table may be partial or missing), then non-None overrides."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in (config.get("crawl") or {}).items() if k in known}
        values.update({k: v for k, v in overrides.items() if v is not None and k in known})
        for key in ("include", "exclude", "tracking_params"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    @property
    def agent(self) -> str:
        return self.user_agent or default_user_agent()

    @property
    def max_body_bytes(self) -> int:
        return int(self.max_body_mb * 1024 * 1024)

    @property
    def workers(self) -> int:
        return self.extract_workers or os.cpu_count() or 1

    def as_record(self) -> dict[str, Any]:
        """What the run records as its config (everything but nothing secret: there is nothing secret here)."""
        record = asdict(self)
        record["user_agent"] = self.agent
        return record
