"""The workspace store: one SQLite file, changed only through numbered migrations.

Modules hold the queries of one table group each: `catalog` (sources, documents,
cues, chunks), `pairs` (qa_pairs and the reviews audit log), `flags` (flags and
clusters), `llm_calls`, `runs` (runs and per-item errors), `versions`, and
`summary` (the counts `curator status` shows).
"""

from curator.store.connection import connect, integrity_problems, transaction
from curator.store.migrate import apply_migrations, current_version, latest_version

__all__ = ["connect", "transaction", "integrity_problems", "apply_migrations", "current_version", "latest_version"]
