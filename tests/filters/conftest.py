"""Fixtures for the filter tests: pairs written straight into a fresh workspace, and settings as a user sets them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import pytest

from curator.config import load_config
from curator.filters.settings import FilterSettings
from curator.store import transaction
from curator.store.pairs import add_pair
from curator.workspace import Workspace


def add_pairs(ws: Workspace, pairs: Iterable[tuple[str, str] | dict[str, Any]], *, origin: str = "import") -> list[int]:
    """Insert pairs (question, answer) or dicts of qa_pairs columns; returns their ids in order."""
    conn = ws.connect()
    ids = []
    try:
        with transaction(conn):
            for p in pairs:
                fields = dict(p) if isinstance(p, dict) else {"question": p[0], "answer": p[1]}
                fields.setdefault("origin", origin)
                ids.append(add_pair(conn, actor="test", **fields))
        return ids
    finally:
        conn.close()


def set_filters(ws: Workspace, section: str = "filters", **values: object) -> None:
    """Change keys of one section of curator.toml (as a user would) and reload the workspace's config."""
    text = ws.config_path.read_text(encoding="utf-8")
    head = text.index(f"[{section}]\n")
    end = text.find("\n[", head + 1)
    end = len(text) if end == -1 else end
    body = text[head:end]
    for key, value in values.items():
        literal = f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) \
            else repr(value)
        pattern = re.compile(rf"^{key} = .*$", re.MULTILINE)
        line = f"{key} = {literal}"
        body = pattern.sub(line.replace("\\", "\\\\"), body) if pattern.search(body) else body + line + "\n"
    ws.config_path.write_text(text[:head] + body + text[end:], encoding="utf-8")
    ws.config = load_config(ws.config_path)


def settings_of(ws: Workspace) -> FilterSettings:
    return FilterSettings.from_config(ws.config["filters"])


def active(conn, kind: str | None = None) -> list[dict[str, Any]]:
    sql = "SELECT * FROM flags WHERE active = 1" + (" AND kind = ?" if kind else "") + " ORDER BY pair_id, id"
    return [dict(r) for r in conn.execute(sql, (kind,) if kind else ())]


@pytest.fixture
def workspace(tmp_path, request) -> Workspace:
    """A fresh workspace; semantic duplicates off (loading the model costs seconds) except in the tests about them."""
    from curator.workspace import init_workspace
    ws = init_workspace(tmp_path / "ws")
    if "semantic" not in request.node.module.__name__:
        set_filters(ws, semantic=False)
    return ws


@pytest.fixture
def settings() -> FilterSettings:
    return FilterSettings(threads=1)


def record_judge_verdict(conn, pair_id: int, quality: float, **details: object) -> None:
    """A current judge measurement for a pair, as `curator filter --only judge` stores one."""
    conn.execute("INSERT INTO filter_scores (pair_id, kind, score, reason, details) VALUES (?, 'judge', ?, 'j', ?)",
                 (pair_id, quality, json.dumps({"grounded": True, "self_contained": True, **details})))


def judged_and_decided(ws: Workspace) -> list[int]:
    """20 pairs judged at qualities 1..10 (twice); reviewer kim accepts the first 18 at 8 and up, rejects the rest."""
    from curator.store.review_actions import decide

    ids = add_pairs(ws, [(f"Question number {n}?", f"Answer {n}.") for n in range(20)])
    conn = ws.connect()
    with transaction(conn):
        for n, pid in enumerate(ids):
            record_judge_verdict(conn, pid, 1 + n % 10)
    for n, pid in enumerate(ids[:18]):  # two pairs stay undecided
        decide(conn, pid, "accepted" if 1 + n % 10 >= 8 else "rejected", "kim")
    conn.close()
    return ids
