"""`curator add`: files and folders into the store, one transaction per file.

A file is added completely (its source, documents, cues, chunks, pairs and the
items it had to skip) or not at all. The same bytes at the same path are
recognised and add nothing; an edited file adds only the records whose text
is new, and a record whose exact text is already stored (same kind) gets a
second location instead of a second copy. A file that cannot be read is kept
as a source with status 'error' and an entry in the errors table, so
`curator status` shows it, and the other files go on.

Two runs adding the same files at once split them without harm: the "already
stored?" question is asked again inside the write transaction (the first look,
before loading, only saves work), so the second run to get there finds the first
run's source and reports the file unchanged; and an error never overwrites a
source another run stored well.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from curator.ingest.chunking import STRUCTURED_KINDS, chunk_document
from curator.ingest.errors import IngestError
from curator.ingest.load_result import LoadResult
from curator.ingest.loaders import SUPPORTED, load_file, max_text_chars
from curator.ingest.textfile import read_bytes
from curator.store import transaction
from curator.store.catalog import (
    add_cues,
    add_document,
    add_location,
    add_source,
    document_with_hash,
    errored_file_source,
    find_file_source,
    first_chunk_id,
    mark_source_failed,
    mark_source_read,
    skip_pending_chunks_of_source,
    source_status,
    text_hash,
)
from curator.store.pairs import add_pair
from curator.store.rows import insert
from curator.store.runs import record_error

ACTOR = "machine:ingest"
STAGE = "ingest"


@dataclass
class FileReport:
    path: str
    status: str  # added | unchanged | error | skipped
    kind: str | None = None
    format: str | None = None
    source_id: int | None = None
    documents: int = 0
    duplicates: int = 0  # records whose text was already stored: linked, not copied
    chunks: int = 0
    pairs: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def walk(paths: list[Path], skip_names: list[str]) -> Iterator[tuple[Path, str | None]]:
    """(file, reason to skip or None) for every file named or found under a named folder, in a stable order.

    Hidden files and folders are left out silently; in folders, files of an
    unsupported type and files matching `skip_names` (README, LICENSE: they
    describe the folder) are yielded with the reason they are skipped. A file
    named explicitly is always tried.
    """
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for f in sorted(files):
                    if f.startswith("."):
                        continue
                    full = Path(root) / f
                    if Path(f).suffix.lower() not in SUPPORTED:
                        yield full, "unsupported file type"
                    elif any(fnmatch.fnmatch(f, pat) for pat in skip_names):
                        yield full, "describes the folder ([ingest].skip_in_folders); name the file to add it"
                    else:
                        yield full, None
        elif p.exists():
            yield p, None
        else:
            yield p, "does not exist"


def add_file(conn: sqlite3.Connection, path: Path, *, kind: str | None, config: dict[str, Any],
             run_id: int | None = None) -> FileReport:
    """Add one file; never raises for bad input: the report says what happened."""
    path = path.resolve()
    uri = str(path)
    cap = int(config.get("ingest", {}).get("max_file_mb", 200) * 2**20)
    content_hash = None
    try:
        data = read_bytes(path, cap)
        content_hash = hashlib.sha256(data).hexdigest()
        known = find_file_source(conn, uri, content_hash)
        reread = None
        if known and known["status"] == "ok" and kind and kind != known["doc_kind"]:
            # --kind names another reading of bytes already added: a new source revision of that kind
            reread, known = known, find_file_source(conn, uri, content_hash, kind)
        if known and known["status"] == "ok":
            return FileReport(uri, "unchanged", known["doc_kind"], source_id=known["id"])
        result = load_file(path, data, kind, config)
        report = _store(conn, uri, content_hash, len(data), result, known, config, run_id)
        if reread and report.source_id:
            report.notes.append(_retire_reading(conn, reread, result.doc_kind, report.source_id))
        return report
    except IngestError as exc:
        message = exc.reason
        location = exc.location or uri
    except RecursionError:
        message = "the file's data is nested too deeply to read (Python recurses once per level)"
        location = uri
    except Exception as exc:  # noqa: BLE001  a loader bug must not stop the other files; the message says so
        message = f"unexpected error while reading the file ({type(exc).__name__}: {exc}); please report it"
        location = uri
    source_id = _failed_source(conn, uri, content_hash, kind, f"{location}: {message}")
    record_error(conn, STAGE, location, message, run_id)
    return FileReport(uri, "error", kind, source_id=source_id, error=f"{location}: {message}")


def _store(conn: sqlite3.Connection, uri: str, content_hash: str, size: int, result: LoadResult,
           known: dict[str, Any] | None, config: dict[str, Any], run_id: int | None) -> FileReport:
    report = FileReport(uri, "added", result.doc_kind, result.format, notes=list(result.notes),
                        problems=[{"location": p.location, "message": p.message} for p in result.problems])
    if not result.documents:
        raise IngestError("nothing in the file could be used" + (
            f" ({len(result.problems)} item(s) skipped, e.g. {result.problems[0].message})" if result.problems
            else ""), uri)
    _refuse_oversized(uri, result, max_text_chars(config))
    meta = {**result.meta, "format": result.format, "size": size, "notes": result.notes,
            "skipped_items": report.problems}
    with transaction(conn):
        # Again, under the write lock: another run may have stored these bytes (as this kind) meanwhile.
        same = find_file_source(conn, uri, content_hash, result.doc_kind)
        if (known is not None and (same is None or same["id"] != known["id"])
                and source_status(conn, known["id"]) == "ok"):
            same = {**known, "status": "ok"}
        if same is not None and same["status"] == "ok":
            return FileReport(uri, "unchanged", same["doc_kind"], source_id=same["id"],
                              notes=["stored meanwhile by another run"])
        if same is not None:
            known = same  # the row of this kind: one source per file version and kind
        if known:
            source_id = known["id"]
            mark_source_read(conn, source_id, result.doc_kind, meta)
        else:
            source_id = add_source(conn, "file", uri, content_hash=content_hash, doc_kind=result.doc_kind,
                                   meta=meta)
        report.source_id = source_id
        for doc in result.documents:
            twin = document_with_hash(conn, text_hash(doc.content), doc.kind)
            if twin is not None:
                add_location(conn, twin, doc.uri)
                report.duplicates += 1
                continue
            doc_id = add_document(conn, source_id, doc.uri, doc.kind, doc.content, title=doc.title,
                                  language=doc.language, meta=doc.meta)
            if doc.cues:
                add_cues(conn, doc_id, doc.cues)
            report.documents += 1
            report.chunks += chunk_document(conn, doc_id, config)
            chunk_id = first_chunk_id(conn, doc_id) if doc.kind in STRUCTURED_KINDS else None
            for d in doc.pairs:
                add_pair(conn, question=d.question, answer=d.answer, origin=d.origin, actor=ACTOR,
                         template=d.template, language=d.language, source_id=source_id, document_id=doc_id,
                         chunk_id=chunk_id, meta=d.meta)
                report.pairs += 1
        for p in result.problems:
            insert(conn, "errors", {"run_id": run_id, "stage": STAGE, "location": p.location,
                                    "message": p.message})
    if report.documents == 0:
        report.status = "unchanged"
    return report


def _refuse_oversized(uri: str, result: LoadResult, limit: int) -> None:
    """A document or pair text over [ingest].max_text_mb fails the file, naming the record's line: stored, it
    would pass SQLite's own limit (about 1 GB) or be split and chunked in memory several times over."""
    for doc in result.documents:
        texts = [doc.content] + [t for d in doc.pairs for t in (d.question, d.answer)]
        longest = max(len(t or "") for t in texts)
        if longest > limit:
            line = doc.meta.get("line") if isinstance(doc.meta, dict) else None
            raise IngestError(f"a field holds {longest / 2**20:,.1f} MB of text, over the [ingest].max_text_mb limit "
                              f"of {limit / 2**20:,.1f} MB; shorten it or raise the limit",
                              f"{uri}:{line}" if line else doc.uri)


def _retire_reading(conn: sqlite3.Connection, old: dict[str, Any], kind: str, source_id: int) -> str:
    """After a file was read again as another kind, its earlier reading's pending chunks are not extracted.

    The earlier documents, chunks and pairs stay (nothing is deleted); only
    chunks still waiting for the LLM are marked skipped, with the reason.
    """
    with transaction(conn):
        retired = skip_pending_chunks_of_source(conn, old["id"],
                                                f"the file was read again as {kind} (source {source_id})")
    return (f"read again as {kind} (was {old['doc_kind']}, source {old['id']}; "
            f"{retired} of its pending chunk(s) will not be extracted)")


def _failed_source(conn: sqlite3.Connection, uri: str, content_hash: str | None, kind: str | None,
                   error: str) -> int:
    """One error source per file version: trying a bad file again updates it instead of piling up rows.

    A row another run stored well for the same bytes is left as it is: its content is in the store.
    """
    with transaction(conn):
        # never a good reading of the same bytes as another kind (--kind): that one stays 'ok'
        row = errored_file_source(conn, uri, content_hash, kind)
        if row and row["status"] == "ok":  # another run stored these bytes well meanwhile: leave its row alone
            return row["id"]
        if row:
            mark_source_failed(conn, row["id"], error)
            return row["id"]
        return add_source(conn, "file", uri, content_hash=content_hash, doc_kind=kind, status="error", error=error)


def add_paths(conn: sqlite3.Connection, paths: list[Path], *, kind: str | None, config: dict[str, Any],
              run_id: int | None = None, on_file: Callable[[FileReport], None] | None = None) -> list[FileReport]:
    """Add every file under `paths`; `on_file` sees each report as soon as the file is done."""
    skip_names = list(config.get("ingest", {}).get("skip_in_folders", []))
    reports = []
    for path, skip in walk(paths, skip_names):
        if skip == "does not exist":
            report = FileReport(str(path), "error", kind, error=f"{path}: does not exist")
            record_error(conn, STAGE, str(path), "does not exist", run_id)
        elif skip:
            report = FileReport(str(path.resolve()), "skipped", error=skip)
        else:
            report = add_file(conn, path, kind=kind, config=config, run_id=run_id)
        reports.append(report)
        if on_file:
            on_file(report)
    return reports


def summarize(reports: list[FileReport]) -> dict[str, int]:
    counts = {"files": len(reports), "added": 0, "unchanged": 0, "error": 0, "skipped": 0, "documents": 0,
              "duplicates": 0, "chunks": 0, "pairs": 0, "problems": 0}
    for r in reports:
        counts[r.status] += 1
        for key in ("documents", "duplicates", "chunks", "pairs"):
            counts[key] += getattr(r, key)
        counts["problems"] += len(r.problems)
    return counts
