import sqlite3

import pytest

from curator.errors import SchemaTooNew
from curator.store import connect, current_version, latest_version
from curator.store import migrate


def test_new_database_gets_every_migration_recorded(tmp_path):
    conn = connect(tmp_path / "w.db")
    rows = conn.execute("SELECT number, name FROM schema_migrations ORDER BY number").fetchall()
    assert [r["number"] for r in rows] == [m.number for m in migrate.known_migrations()]
    assert current_version(conn) == latest_version()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"sources", "documents", "chunks", "qa_pairs", "flags", "reviews", "llm_calls", "runs",
            "versions"} <= tables


def test_reopening_applies_nothing_and_keeps_data(tmp_path):
    conn = connect(tmp_path / "w.db")
    conn.execute("INSERT INTO runs (stage, status) VALUES ('ingest', 'done')")
    conn.close()
    conn = connect(tmp_path / "w.db")
    assert migrate.apply_migrations(conn) == []
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1


def test_pragmas_for_concurrent_use(tmp_path):
    conn = connect(tmp_path / "w.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_database_from_a_newer_curator_is_refused_untouched(tmp_path):
    path = tmp_path / "w.db"
    connect(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {latest_version() + 5}")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(SchemaTooNew, match="newer curator"):
        connect(path)
    assert path.read_bytes() == before


def test_failing_migration_rolls_back_whole(tmp_path, monkeypatch):
    path = tmp_path / "w.db"
    connect(path).close()
    broken = migrate.Migration(latest_version() + 1, "broken",
                               "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);\n")
    real = migrate.known_migrations()
    monkeypatch.setattr(migrate, "known_migrations", lambda: [*real, broken])
    with pytest.raises(sqlite3.OperationalError):
        connect(path)
    monkeypatch.undo()
    conn = connect(path)
    assert current_version(conn) == latest_version()
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "half_done" not in names


def test_split_keeps_trigger_bodies_whole():
    sql = ("-- a comment; with a semicolon\nCREATE TABLE t (x INTEGER);\n"
           "CREATE TRIGGER t_keep BEFORE DELETE ON t\nBEGIN SELECT RAISE(ABORT, 'no; never'); END;\n")
    statements = migrate._split_sql(sql)
    assert len(statements) == 2
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_a_migration_numbered_below_the_applied_ones_still_runs(tmp_path, monkeypatch):
    path = tmp_path / "w.db"
    real = migrate.known_migrations()
    late = migrate.Migration(real[-1].number + 10, "late_high", "CREATE TABLE high_one (x INTEGER);")
    monkeypatch.setattr(migrate, "known_migrations", lambda: [*real, late])
    connect(path).close()
    early = migrate.Migration(real[-1].number + 5, "merged_later", "CREATE TABLE merged_later (x INTEGER);")
    monkeypatch.setattr(migrate, "known_migrations", lambda: [*real, early, late])
    conn = connect(path)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"high_one", "merged_later"} <= names
    assert current_version(conn) == late.number
