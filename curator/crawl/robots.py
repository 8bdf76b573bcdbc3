"""robots.txt as RFC 9309 reads it, plus the Crawl-delay and Sitemap lines most sites also use.

The standard library's parser knows neither `*` and `$` in paths nor the
longest-match rule, and sites rely on both (`Disallow: /*?sort=`), so this is a
small parser of its own. Groups are chosen by the most specific user-agent
token that is part of ours (`curator`), else `*`; within a group the longest
matching rule wins, Allow on a tie.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309 asks crawlers to parse at least 500 KiB


@dataclass
class _Group:
    agents: list[str] = field(default_factory=list)
    rules: list[tuple[bool, str]] = field(default_factory=list)  # (allow, pattern)
    crawl_delay: float | None = None


@dataclass(frozen=True)
class RobotsRules:
    """The rules for our user agent at one origin."""

    rules: tuple[tuple[bool, str], ...] = ()
    crawl_delay: float | None = None
    sitemaps: tuple[str, ...] = ()
    disallow_all: bool = False
    note: str = ""  # why the rules are what they are (e.g. "robots.txt answered HTTP 503")

    def allows(self, path_and_query: str) -> bool:
        if self.disallow_all:
            return False
        if path_and_query.startswith("/robots.txt"):
            return True
        best_len, best_allow = -1, True
        for allow, pattern in self.rules:
            length = _match_length(pattern, path_and_query)
            if length > best_len or (length == best_len and allow and length >= 0):
                best_len, best_allow = length, allow
        return best_allow


ALLOW_ALL = RobotsRules(note="no robots.txt")


def disallow_everything(note: str) -> RobotsRules:
    return RobotsRules(disallow_all=True, note=note)


def parse_robots(text: str, user_agent: str) -> RobotsRules:
    """The rules of `text` that apply to `user_agent` (its product token: the part before the first '/')."""
    token = user_agent.split("/", 1)[0].strip().lower()
    groups: list[_Group] = []
    sitemaps: list[str] = []
    current: _Group | None = None
    last_was_agent = False
    for raw in text[:MAX_ROBOTS_BYTES].splitlines():
        line = raw.split("#", 1)[0].strip()
        if ":" not in line:
            continue
        key, value = (part.strip() for part in line.split(":", 1))
        key = key.lower()
        if key in ("user-agent", "useragent"):
            if current is None or not last_was_agent:
                current = _Group()
                groups.append(current)
            current.agents.append(value.lower())
            last_was_agent = True
            continue
        last_was_agent = False
        if key == "sitemap":
            if value:
                sitemaps.append(value)
        elif current is None:
            continue
        elif key in ("allow", "disallow"):
            if value:  # an empty Disallow allows everything: no rule
                current.rules.append((key == "allow", _canonical_pattern(value)))
        elif key == "crawl-delay":
            try:
                delay = float(value)
            except ValueError:
                continue
            if delay >= 0:
                current.crawl_delay = delay
    chosen = _choose(groups, token)
    rules = tuple(r for g in chosen for r in g.rules)
    delays = [g.crawl_delay for g in chosen if g.crawl_delay is not None]
    return RobotsRules(rules=rules, crawl_delay=max(delays) if delays else None, sitemaps=tuple(sitemaps),
                       note="robots.txt")


def _choose(groups: list[_Group], token: str) -> list[_Group]:
    """Groups naming our product token (the longest such name wins), else the '*' groups, merged."""
    best, best_len = [], 0
    for g in groups:
        for agent in g.agents:
            if agent != "*" and agent and agent in token:
                if len(agent) > best_len:
                    best, best_len = [g], len(agent)
                elif len(agent) == best_len and g not in best:
                    best.append(g)
    if best:
        return best
    return [g for g in groups if "*" in g.agents]


def _canonical_pattern(value: str) -> str:
    # Compare percent-decoded forms so /%7Euser and /~user are one rule.
    return unquote(value)


def _match_length(pattern: str, path: str) -> int:
    """len(pattern) if it matches the start of `path`, else -1."""
    return len(pattern) if _compiled(pattern).match(unquote(path)) else -1


@lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    regex = ".*".join(re.escape(part) for part in body.split("*"))
    return re.compile(regex + ("$" if anchored else ""), re.DOTALL)
