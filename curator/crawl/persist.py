"""Writing one crawled page to the store: its document (or a new location of known text), chunks, and new links.

All of it is one transaction with the frontier row's new state, which is what
makes a killed crawl resumable without fetching a stored page again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from curator.crawl.page_text import PageResult
from curator.crawl.urls import Scope
from curator.store.catalog import (
    add_chunk_rows,
    add_cues,
    add_document,
    add_location,
    find_document_by_hash,
    text_hash,
)
from curator.store.connection import transaction
from curator.store.crawl import (
    BEYOND_DEPTH,
    BEYOND_PAGES,
    enqueue,
    mark,
    mark_alias,
    retire_replaced_document,
)


@dataclass
class SeedPlan:
    """One seed of this crawl: its source row, scope and limits."""

    source_id: int
    seed: str
    fetch_url: str
    scope: Scope
    max_depth: int
    room: int  # frontier rows max_pages still allows
    run_sitemaps: bool
    known: set[str] = field(default_factory=set)  # frontier URLs of this seed: links to skip without a query


@dataclass
class PageOutcome:
    status: str  # fetched | unchanged | skipped
    document_id: int | None
    new_document: bool
    duplicate: bool
    chunks: int
    added: list[tuple[str, str, int]]  # links newly queued: (url, fetch_url, depth)


def store_page(conn: sqlite3.Connection, plan: SeedPlan, *, url: str, depth: int,
               previous_document: int | None, result: PageResult, fetch_meta: dict[str, Any],
               aliases: list[str], run_id: int | None) -> PageOutcome:
    """Store a page's extracted text, its chunks (planned by the worker) and its new links, all or nothing."""
    # Links already in the frontier are most of a page's links (its site's navigation again): set them aside
    # before the scope check, which costs far more than a set look-up.
    links = [(key, fetch, depth + 1) for key, fetch in result.links
             if key not in plan.known and plan.scope.allows(key)]
    noindex = "noindex" in result.directives
    with transaction(conn):
        document_id, new, duplicate, chunks = None, False, False, 0
        if not noindex:
            content_hash = text_hash(result.text)
            known = find_document_by_hash(conn, content_hash)
            if known is not None:
                document_id, duplicate = known["id"], known["id"] != previous_document
                add_location(conn, document_id, url)
            else:
                document_id = add_document(conn, plan.source_id, url, result.kind, result.text, title=result.title,
                                           language=result.language, meta={**fetch_meta, **result.meta},
                                           content_hash=content_hash)
                new = True
                if result.cues:
                    add_cues(conn, document_id, result.cues)
                add_chunk_rows(conn, document_id, result.text, result.chunks)
                chunks = len(result.chunks)
            if previous_document is not None and document_id != previous_document:
                retire_replaced_document(conn, previous_document, url, document_id)
            for alias in aliases:
                add_location(conn, document_id, alias)
                mark_alias(conn, alias, plan.source_id, depth, document_id, run_id)
        if noindex:
            status, reason = "skipped", "the page asks not to be indexed (meta robots noindex)"
        elif previous_document is not None and document_id == previous_document:
            status, reason = "unchanged", "same text as before"
        else:
            status, reason = "fetched", None
        mark(conn, url, status, run_id=run_id, reason=reason, document_id=document_id,
             http_status=fetch_meta.get("status"), etag=fetch_meta.get("etag"),
             last_modified=fetch_meta.get("last_modified"))
        added = queue_within_limits(conn, plan, links)
    return PageOutcome(status, document_id, new, duplicate and not new, chunks, added)


def link_redirect(conn: sqlite3.Connection, url: str, document_id: int, reason: str, run_id: int | None) -> None:
    """A URL that redirects to a page stored already: record it as one more location of that document."""
    with transaction(conn):
        add_location(conn, document_id, url)
        mark(conn, url, "fetched", run_id=run_id, reason=reason, document_id=document_id)


def queue_within_limits(conn: sqlite3.Connection, plan: SeedPlan,
                        links: list[tuple[str, str, int]]) -> list[tuple[str, str, int]]:
    """Queue what max_depth and max_pages allow; keep the rest as 'skipped' rows a later run may release.

    Links already in the frontier are sorted out in memory first: a page repeats
    its site's navigation, and asking SQLite about every one of those links again
    cost more than the rest of storing the page.
    """
    fresh = [link for link in links if link[0] not in plan.known]
    if not fresh:
        return []
    shallow = [link for link in fresh if link[2] <= plan.max_depth]
    added = enqueue(conn, plan.source_id, shallow, room=plan.room)
    plan.room -= len(added)
    if len(added) < len(fresh):
        enqueue(conn, plan.source_id, [link for link in fresh if link[2] > plan.max_depth], status="skipped",
                reason=BEYOND_DEPTH)
        enqueue(conn, plan.source_id, shallow, status="skipped", reason=BEYOND_PAGES)  # only rows not known yet
    plan.known.update(link[0] for link in fresh)
    return added
