"""Opening the workspace database: pragmas, migrations, and transactions.

Every connection runs in WAL mode with foreign keys on and a generous busy
timeout, so that the CLI and the TUI can write at the same time: one waits for
the other instead of failing. Writes go through `transaction`, which takes the
write lock up front (BEGIN IMMEDIATE) so two writers never deadlock half-way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curator.errors import CorruptDatabase, StoreError
from curator.store.migrate import apply_migrations

BUSY_TIMEOUT_MS = 30_000


def connect(path: str | Path, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` and bring its schema up to date."""
    path = Path(path)
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot open the workspace database {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        if migrate:
            apply_migrations(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if _looks_corrupt(exc):
            raise CorruptDatabase(
                f"{path} is not a readable curator database ({exc}). "
                "Restore it from a backup, or move it aside and run `curator init` again."
            ) from exc
        raise
    return conn


def _looks_corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("not a database", "malformed", "corrupt", "file is encrypted"))


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run a block as one write transaction: everything in it is committed, or nothing is."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def data_version(conn: sqlite3.Connection) -> int:
    """SQLite's counter that changes when another connection commits (the app watches it for other writers)."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """What SQLite's integrity and foreign-key checks find; an empty list means healthy."""
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        problems = [r for r in rows if r != "ok"]
        for r in conn.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(f"row {r[1]} of table {r[0]} points to a missing row of {r[2]}")
    except sqlite3.DatabaseError as exc:
        problems = [f"the database cannot be read: {exc}"]
    return problems
