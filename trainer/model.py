"""Loading a base model (4-bit for QLoRA, or plain), putting LoRA on it, and loading a trained run back.

QLoRA: bitsandbytes NF4 with double quantization and bfloat16 compute, LoRA on
every linear projection. The rest of the model stays in bfloat16 (not float32 as
`prepare_model_for_kbit_training` would make it): the 262k-row output layer in
float32 would double the time of its matrix products for no gain, since it is
frozen. Without CUDA there is no 4-bit path; the model trains as LoRA in float32.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch

from trainer.bundled import BUNDLED_NAMES, convert
from trainer.errors import SettingsError

LORA_TARGETS = "all-linear"


def resolve_base(name: str | None, log=print) -> str:
    """A loadable path or hub id: the bundled Gemma 3 270M (converted once) when `name` is empty."""
    if name is None or name.strip() in BUNDLED_NAMES:
        return str(convert(log))
    candidate = Path(name).expanduser()
    return str(candidate.resolve()) if candidate.exists() else name


def base_hash(path_or_id: str) -> str | None:
    """sha256 over the checkpoint's config and weight files (None for a hub id not in a local folder)."""
    folder = Path(path_or_id)
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    files = sorted(p for p in folder.iterdir() if p.suffix in (".safetensors", ".bin") or p.name == "config.json")
    for file in files:
        digest.update(file.name.encode() + b"\0")
        with open(file, "rb") as fh:
            while block := fh.read(8 << 20):
                digest.update(block)
    return digest.hexdigest()


def load_tokenizer(path_or_id: str) -> Any:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path_or_id)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def quantization_config() -> Any:
    from transformers import BitsAndBytesConfig

    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


def load_base(path_or_id: str, *, device: str, quantize: bool, attn: str | None = None) -> Any:
    """The base causal LM on `device`: 4-bit NF4 when quantize (CUDA only), bfloat16 on CUDA, float32 on CPU."""
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if device.startswith("cuda") else torch.float32}
    if attn:
        kwargs["attn_implementation"] = attn
    if quantize:
        if not device.startswith("cuda"):
            raise SettingsError("4-bit quantization needs a CUDA GPU")
        kwargs["quantization_config"] = quantization_config()
        kwargs["device_map"] = {"": device}
    model = AutoModelForCausalLM.from_pretrained(path_or_id, **kwargs)
    if not quantize:
        model.to(device)
    model.config.use_cache = False
    return model


def add_lora(model: Any, r: int, alpha: int, dropout: float, gradient_checkpointing: bool = False) -> Any:
    from peft import LoraConfig, get_peft_model

    if gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    config = LoraConfig(r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=LORA_TARGETS,
                        task_type="CAUSAL_LM", bias="none")
    return get_peft_model(model, config)


def load_trained(run_dir: Path, *, device: str, quantize: bool | None = None) -> tuple[Any, Any, dict[str, Any]]:
    """(PEFT model with the run's adapter, tokenizer, run manifest); the base loads as it was trained."""
    from peft import PeftModel

    manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    base = manifest["base_model"]["path"]
    if quantize is None:
        quantize = bool(manifest["hyperparameters"].get("quantize")) and device.startswith("cuda")
    model = load_base(base, device=device, quantize=quantize)
    model = PeftModel.from_pretrained(model, str(run_dir / "adapter"), is_trainable=False)
    model.eval()
    tokenizer = load_tokenizer(str(run_dir / "adapter")) if (run_dir / "adapter" / "tokenizer_config.json").exists() \
        else load_tokenizer(base)
    return model, tokenizer, manifest


def merge_to(run_dir: Path, out: Path, log=print) -> Path:
    """A merged bfloat16 model: the base reloaded unquantized, the adapter folded into it (never into 4-bit)."""
    from peft import PeftModel

    manifest = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    base = manifest["base_model"]["path"]
    log(f"merging the adapter into {base} in bfloat16")
    model = load_base(base, device="cpu", quantize=False)
    model = PeftModel.from_pretrained(model, str(run_dir / "adapter")).merge_and_unload()
    model.to(torch.bfloat16).save_pretrained(str(out))
    load_tokenizer(base).save_pretrained(str(out))
    return out
