"""The embedding cache: vectors of normalized texts by model and text hash (migration 0010).

Stored as float16 (half the bytes; cosine similarities move by under 0.001), read and
written in blocks so that tens of thousands of vectors never cost a query each.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence

import numpy as np

from curator.store.connection import transaction

_BLOCK = 900  # parameters per IN (...) query, under SQLite's limit


def text_hashes(texts: Sequence[str]) -> list[bytes]:
    return [hashlib.blake2b(t.encode("utf-8"), digest_size=16).digest() for t in texts]


def cached_vectors(conn: sqlite3.Connection, model: str, hashes: Sequence[bytes]) -> dict[bytes, np.ndarray]:
    """The cached vectors (float32) of the hashes that have one."""
    found: dict[bytes, np.ndarray] = {}
    wanted = list(dict.fromkeys(hashes))
    for lo in range(0, len(wanted), _BLOCK):
        part = wanted[lo:lo + _BLOCK]
        rows = conn.execute(f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN "
                            f"({', '.join('?' * len(part))})", [model, *part])
        for h, blob in rows:
            found[bytes(h)] = np.frombuffer(blob, dtype="<f2").astype(np.float32)
    return found


def store_vectors(conn: sqlite3.Connection, model: str, hashes: Sequence[bytes], vectors: np.ndarray) -> int:
    """Cache vectors (one row per hash) in one transaction; returns how many were written."""
    if not len(hashes):
        return 0
    half = np.ascontiguousarray(vectors, dtype="<f2")
    with transaction(conn):
        conn.executemany("INSERT OR REPLACE INTO embeddings (model, text_hash, vector) VALUES (?, ?, ?)",
                         ((model, h, half[k].tobytes()) for k, h in enumerate(hashes)))
    return len(hashes)
