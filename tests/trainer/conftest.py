"""Fixtures for the trainer: version directories written in the versions layout, and tiny models built locally.

No test downloads anything: the tiny model is a 2-layer Gemma 3 built from a
config, with a byte-level BPE tokenizer trained here on the pairs themselves.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'assistant' %}{% set role = 'model' %}"
    "{% else %}{% set role = m['role'] %}{% endif %}<start_of_turn>{{ role }}\n{{ m['content'] | trim }}"
    "<end_of_turn>\n{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}")

PAIRS_EN = [
    ("What does FOB mean?", "Free On Board: the seller delivers the goods on board the vessel."),
    ("What is a bill of lading?", "A document issued by a carrier acknowledging receipt of cargo."),
    ("What is demurrage?", "A charge for holding a container beyond the free time at the terminal."),
    ("What is an HS code?", "A six-digit number classifying goods for customs."),
    ("What is a letter of credit?", "A bank's promise to pay the seller against compliant documents."),
    ("What is cross-docking?", "Moving goods from inbound to outbound trucks with little or no storage."),
    ("What is safety stock?", "Extra inventory held to guard against variability in demand or supply."),
    ("What is lead time?", "The time between placing an order and receiving it."),
]
PAIRS_KO = [
    ("본선인도조건(FOB)이란 무엇인가요?", "매도인이 지정 선적항에서 물품을 본선에 적재하여 인도하는 조건입니다."),
    ("선하증권이란 무엇인가요?", "운송인이 화물을 수령하였음을 증명하는 증권입니다."),
    ("체선료란 무엇인가요?", "정해진 기간을 넘겨 컨테이너를 사용할 때 부과되는 요금입니다."),
    ("신용장이란 무엇인가요?", "은행이 서류가 일치하면 대금 지급을 약속하는 증서입니다."),
]


def all_pairs(repeat: int = 1) -> list[tuple[str, str]]:
    pairs = PAIRS_EN + PAIRS_KO
    out = []
    for r in range(repeat):
        out.extend((q if r == 0 else f"{q} ({r})", a) for q, a in pairs)
    return out


def write_version(root: Path, pairs: list[tuple[str, str]], test_every: int = 4, version_id: str = "ab12cd34ef56ab78",
                  flags: dict[int, list[dict]] | None = None) -> Path:
    """A versions/<id>/ folder in the layout curator/versions writes: data.parquet, contexts.parquet, manifest."""
    folder = root / version_id
    folder.mkdir(parents=True)
    rows = []
    for i, (question, answer) in enumerate(pairs):
        rows.append({
            "pair_id": i + 1, "lineage_id": f"lin-{i + 1:04d}", "revision": 1, "question": question,
            "answer": answer, "evidence": answer, "origin": "glossary", "template": None,
            "language": "ko" if any("\uac00" <= ch <= "\ud7a3" for ch in question) else "en",
            "held_out": 0, "split": "test" if i % test_every == test_every - 1 else "train", "status": "accepted",
            "chunk_id": i + 1, "flags": json.dumps((flags or {}).get(i + 1)) if (flags or {}).get(i + 1) else None,
        })
    pq.write_table(pa.Table.from_pylist(rows), folder / "data.parquet")
    pq.write_table(pa.Table.from_pylist([{"chunk_id": r["chunk_id"], "context": f"Glossary entry: {r['answer']}"}
                                         for r in rows]), folder / "contexts.parquet")
    counts = {"train": sum(r["split"] == "train" for r in rows), "test": sum(r["split"] == "test" for r in rows)}
    (folder / "manifest.json").write_text(json.dumps({
        "id": version_id, "parent": None, "message": "test fixture", "created_at": "2026-01-01T00:00:00+00:00",
        "curator_version": "0.1.0", "counts": {"total": len(rows), "by_split": counts},
        "split": {"seed": 123, "test_size": 0.25}, "files": []}), encoding="utf-8")
    return folder


def build_tiny_model(folder: Path, texts: list[str], chat_template: str | None = None, vocab_size: int = 400) -> Path:
    """A 2-layer Gemma 3 text model and a byte-level BPE tokenizer with Gemma's special tokens."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import AutoModelForCausalLM, Gemma3TextConfig, PreTrainedTokenizerFast

    specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials,
                                                       initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.post_processor = processors.TemplateProcessing(  # like Gemma's tokenizer: BOS before every text
        single="<bos> $A", special_tokens=[("<bos>", tok.token_to_id("<bos>"))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>",
                                   unk_token="<unk>", additional_special_tokens=["<start_of_turn>", "<end_of_turn>"])
    if chat_template:
        fast.chat_template = chat_template
    folder.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(folder))
    config = Gemma3TextConfig(vocab_size=len(fast), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=32, sliding_window=64,
                              layer_types=["sliding_attention", "full_attention"], max_position_embeddings=1024,
                              pad_token_id=fast.pad_token_id, bos_token_id=fast.bos_token_id,
                              eos_token_id=fast.eos_token_id, tie_word_embeddings=True)
    torch.manual_seed(0)
    AutoModelForCausalLM.from_config(config).save_pretrained(str(folder))
    return folder


def _texts() -> list[str]:
    return [f"{q}\n{a}\n### Question:\n### Answer:\nBelow is an instruction" for q, a in all_pairs()]


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", _texts())


@pytest.fixture(scope="session")
def tiny_chat_model(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny_chat") / "model", _texts(), GEMMA_CHAT_TEMPLATE)


@pytest.fixture
def version_dir(tmp_path) -> Path:
    return write_version(tmp_path / "versions", all_pairs())


@pytest.fixture(scope="session")
def make_version():
    """write_version(root, pairs, ...) for tests that build their own versions."""
    return write_version


@pytest.fixture(scope="session")
def pairs():
    return all_pairs()
