"""Numbered migrations: `migrations/NNNN_name.sql`, applied in order, recorded in the database.

The schema version also lives in `PRAGMA user_version`, so a curator that is older
than the database refuses to touch it instead of guessing.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from curator.errors import SchemaTooNew

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str


def known_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("curator.store").joinpath("migrations").iterdir():
        m = _NAME.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda mig: mig.number)
    numbers = [mig.number for mig in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


def latest_version() -> int:
    migrations = known_migrations()
    return migrations[-1].number if migrations else 0


def current_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def applied_numbers(conn: sqlite3.Connection) -> set[int]:
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone()
    return {r[0] for r in conn.execute("SELECT number FROM schema_migrations")} if exists else set()


def apply_migrations(conn: sqlite3.Connection, path: Path | str = "database") -> list[int]:
    """Apply the migrations the database lacks, each in its own transaction. Returns their numbers.

    "Lacks" means not recorded in schema_migrations, so a migration that lands with a
    lower number than one already applied (work merged from parallel branches) still runs.
    """
    migrations = known_migrations()
    latest = migrations[-1].number if migrations else 0
    if current_version(conn) > latest:
        raise SchemaTooNew(
            f"{path} was written by a newer curator (schema {current_version(conn)}; this curator knows up to "
            f"{latest}). Upgrade curator to open it; nothing was changed."
        )
    applied = []
    for mig in migrations:
        if mig.number in applied_numbers(conn):
            continue
        # executescript would commit on its own; run the statements inside our own transaction
        # so a crash mid-migration leaves the previous schema intact.
        conn.execute("BEGIN IMMEDIATE")
        try:
            if mig.number in applied_numbers(conn):  # another process migrated while we waited
                conn.execute("ROLLBACK")
                continue
            for statement in _split_sql(mig.sql):
                conn.execute(statement)
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"
            )
            conn.execute("INSERT INTO schema_migrations (number, name) VALUES (?, ?)", (mig.number, mig.name))
            conn.execute(f"PRAGMA user_version = {max(current_version(conn), mig.number)}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        applied.append(mig.number)
    return applied


def _split_sql(sql: str) -> list[str]:
    """Split a migration into statements; sqlite3.complete_statement keeps trigger bodies whole."""
    statements, buf = [], ""
    for line in sql.splitlines(keepends=True):
        if not buf and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    if buf.strip():
        raise ValueError(f"migration ends inside a statement: {buf.strip()[:80]}")
    return statements
