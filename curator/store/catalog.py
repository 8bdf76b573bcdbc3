"""Sources, documents, transcript cues and chunks: what was ingested, and where each piece came from."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from curator.store.rows import as_dict, insert, redact_text, to_json


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_file_source(conn: sqlite3.Connection, uri: str, content_hash: str,
                     doc_kind: str | None = None) -> dict[str, Any] | None:
    """The source already recorded for this exact file content, if any (adding a file twice adds nothing).

    The same bytes may have been read as several kinds (`--kind`): the latest reading, or the one of
    `doc_kind` when it is given.
    """
    row = conn.execute(
        "SELECT * FROM sources WHERE kind = 'file' AND uri = ? AND content_hash = ?"
        + (" AND doc_kind = ?" if doc_kind else "") + " ORDER BY id DESC LIMIT 1",
        (uri, content_hash, doc_kind) if doc_kind else (uri, content_hash)).fetchone()
    return as_dict(row)


def source_status(conn: sqlite3.Connection, source_id: int) -> str | None:
    row = conn.execute("SELECT status FROM sources WHERE id = ?", (source_id,)).fetchone()
    return None if row is None else row["status"]


def mark_source_read(conn: sqlite3.Connection, source_id: int, doc_kind: str, meta: dict[str, Any]) -> None:
    """A source read again (after an error, or as another kind) is good now: its kind and meta replaced."""
    conn.execute("UPDATE sources SET status = 'ok', error = NULL, doc_kind = ?, meta = ? WHERE id = ?",
                 (doc_kind, to_json(meta), source_id))


def errored_file_source(conn: sqlite3.Connection, uri: str, content_hash: str | None,
                        doc_kind: str | None) -> sqlite3.Row | None:
    """The row a failed reading of these bytes updates: an error row, or the reading of this kind."""
    return conn.execute("SELECT id, status FROM sources WHERE kind = 'file' AND uri = ? AND content_hash IS ?"
                        " AND (status = 'error' OR doc_kind IS ?) ORDER BY id DESC",
                        (uri, content_hash, doc_kind)).fetchone()


def mark_source_failed(conn: sqlite3.Connection, source_id: int, error: str) -> None:
    conn.execute("UPDATE sources SET status = 'error', error = ? WHERE id = ?", (error, source_id))


def skip_pending_chunks_of_source(conn: sqlite3.Connection, source_id: int, reason: str) -> int:
    """Chunks of this source still waiting for the LLM are not extracted (marked skipped with the reason)."""
    return conn.execute(
        "UPDATE chunks SET extract_status = 'skipped', extract_error = ? WHERE extract_status = 'pending'"
        " AND document_id IN (SELECT id FROM documents WHERE source_id = ?)", (reason, source_id)).rowcount


def document_with_hash(conn: sqlite3.Connection, content_hash: str, kind: str) -> int | None:
    """The oldest document of this kind with this exact text (a twin gets a location, not a copy)."""
    row = conn.execute("SELECT id FROM documents WHERE content_hash = ? AND kind = ? ORDER BY id LIMIT 1",
                       (content_hash, kind)).fetchone()
    return row[0] if row else None


def first_chunk_id(conn: sqlite3.Connection, document_id: int) -> int | None:
    row = conn.execute("SELECT id FROM chunks WHERE document_id = ? ORDER BY seq LIMIT 1", (document_id,)).fetchone()
    return row[0] if row else None


def file_source_uris(conn: sqlite3.Connection) -> list[str]:
    """Every file source's path, once each, sorted (what `curator add` would ingest again)."""
    return [r[0] for r in conn.execute("SELECT DISTINCT uri FROM sources WHERE kind = 'file' ORDER BY uri")]


def add_source(conn: sqlite3.Connection, kind: str, uri: str, *, content_hash: str | None = None,
               doc_kind: str | None = None, status: str = "ok", error: str | None = None,
               meta: dict[str, Any] | None = None) -> int:
    return insert(conn, "sources", {"kind": kind, "uri": uri, "content_hash": content_hash, "doc_kind": doc_kind,
                                    "status": status, "error": error, "meta": meta or {}})


def add_document(conn: sqlite3.Connection, source_id: int, uri: str, kind: str, content: str, *,
                 title: str | None = None, language: str | None = None,
                 meta: dict[str, Any] | None = None, content_hash: str | None = None) -> int:
    """A new document; `content_hash` is text_hash(content), passed by a caller that has computed it already."""
    doc_id = insert(conn, "documents", {
        "source_id": source_id, "uri": uri, "kind": kind, "title": title, "language": language,
        "content": content, "content_hash": content_hash or text_hash(content), "meta": meta or {},
    })
    conn.execute("INSERT OR IGNORE INTO document_locations (document_id, uri) VALUES (?, ?)", (doc_id, uri))
    return doc_id


def find_document_by_hash(conn: sqlite3.Connection, content_hash: str) -> dict[str, Any] | None:
    return as_dict(conn.execute("SELECT * FROM documents WHERE content_hash = ? ORDER BY id LIMIT 1",
                                (content_hash,)).fetchone())


def add_location(conn: sqlite3.Connection, document_id: int, uri: str) -> None:
    conn.execute("INSERT OR IGNORE INTO document_locations (document_id, uri) VALUES (?, ?)", (document_id, uri))


def add_cues(conn: sqlite3.Connection, document_id: int, cues: Iterable[dict[str, Any]]) -> None:
    """Cues: dicts with char_start, char_end, time_start, time_end and optional speaker."""
    conn.executemany(
        "INSERT INTO cues (document_id, seq, char_start, char_end, time_start, time_end, speaker)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(document_id, i, c["char_start"], c["char_end"], c["time_start"], c["time_end"], c.get("speaker"))
         for i, c in enumerate(cues)],
    )


def add_chunk(conn: sqlite3.Connection, document_id: int, seq: int, text: str, char_start: int, char_end: int,
              token_estimate: int, *, time_start: float | None = None, time_end: float | None = None) -> int:
    return insert(conn, "chunks", {
        "document_id": document_id, "seq": seq, "text": text, "char_start": char_start, "char_end": char_end,
        "token_estimate": token_estimate, "time_start": time_start, "time_end": time_end,
    })


def add_chunk_rows(conn: sqlite3.Connection, document_id: int, text: str,
                   spans: Sequence[tuple[int, int, int, float | None, float | None]]) -> None:
    """The rows `add_chunk` writes, in one statement for a page's few dozen chunks instead of one each.

    Each span is (char_start, char_end, token_estimate, time_start, time_end); its position is the seq.
    """
    conn.executemany(
        "INSERT INTO chunks (document_id, seq, text, char_start, char_end, token_estimate, time_start, time_end)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [(document_id, seq, text[start:end], start, end, tokens, time_start, time_end)
         for seq, (start, end, tokens, time_start, time_end) in enumerate(spans)])


def has_chunks(conn: sqlite3.Connection, document_id: int) -> bool:
    return conn.execute("SELECT 1 FROM chunks WHERE document_id = ? LIMIT 1", (document_id,)).fetchone() is not None


def cue_spans(conn: sqlite3.Connection, document_id: int) -> list[dict[str, Any]]:
    """A document's cues in text order: char_start, char_end, time_start, time_end."""
    rows = conn.execute("SELECT char_start, char_end, time_start, time_end FROM cues WHERE document_id = ?"
                        " ORDER BY char_start", (document_id,)).fetchall()
    return [dict(r) for r in rows]


def get_document(conn: sqlite3.Connection, document_id: int) -> dict[str, Any] | None:
    return as_dict(conn.execute("SELECT * FROM documents WHERE id = ?", (document_id,)).fetchone())


def get_chunk(conn: sqlite3.Connection, chunk_id: int) -> dict[str, Any] | None:
    return as_dict(conn.execute("SELECT * FROM chunks WHERE id = ?", (chunk_id,)).fetchone())


def set_chunk_status(conn: sqlite3.Connection, chunk_id: int, status: str, error: str | None = None) -> None:
    conn.execute("UPDATE chunks SET extract_status = ?, extract_error = ? WHERE id = ?", (status, redact_text(error), chunk_id))


def content_problems(conn: sqlite3.Connection, limit: int = 50) -> list[str]:
    """Stored text that is no longer what was stored: each document's text against the hash kept when it was
    added, and each chunk against the stretch of its document it was cut from. Names what changed."""
    problems: list[str] = []
    changed = 0
    for row in conn.execute("SELECT id, uri, content, content_hash FROM documents ORDER BY id"):
        if text_hash(row["content"]) != row["content_hash"]:
            changed += 1
            if len(problems) < limit:
                problems.append(f"document {row['id']} ({row['uri']}): its text no longer matches the sha256 stored "
                                "when it was added (changed in the database since)")
    rows = conn.execute(
        "SELECT c.id, c.seq, d.id AS document_id, d.uri FROM chunks c JOIN documents d ON d.id = c.document_id"
        " WHERE c.text != substr(d.content, c.char_start + 1, c.char_end - c.char_start) ORDER BY c.id").fetchall()
    for row in rows:
        changed += 1
        if len(problems) < limit:
            problems.append(f"chunk {row['id']} (#{row['seq']} of document {row['document_id']}, {row['uri']}): its "
                            "text differs from the part of its document it was cut from")
    if changed > len(problems):
        problems.append(f"... and {changed - len(problems)} more changed document(s) or chunk(s)")
    return problems


def chunk_texts(conn: sqlite3.Connection, ids: Sequence[int]) -> dict[int, str]:
    """chunk id -> text."""
    out: dict[int, str] = {}
    ids = list(ids)
    for lo in range(0, len(ids), 900):  # under SQLite's limit on bound parameters
        part = ids[lo:lo + 900]
        out.update(conn.execute(f"SELECT id, text FROM chunks WHERE id IN ({', '.join('?' * len(part))})", part))
    return out
