"""Batched answer generation from exactly the prompt tokens the model trained on, with one default setting.

Prompts are sorted by length and left-padded in batches (large ones on a GPU, so
a thousand test pairs take a few batches); the same loaded model answers as the
base model (adapter disabled) and as the fine-tuned model, so both see the same
prompt and settings.

Evaluation, `chat` and `serve` share one default (`default_settings`): the base
model's own generation config where it has one (its sampling temperature, top-p,
top-k), plus a guard against degenerate repetition: no 4-token sequence may
appear twice in an answer (the prompt may be quoted freely). Sampling is seeded,
so the same run evaluates to the same numbers. `--greedy` gives plain greedy
decoding without the guard; explicit settings override any default. Every report
and chat output carries the settings and where each came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from trainer.formatting import Formatter
from trainer.version import Example

GUARD_NGRAM = 4  # the default guard: no 4-token sequence twice in one answer
SAMPLING_KEYS = ("temperature", "top_p", "top_k", "repetition_penalty", "no_repeat_ngram_size")
GPU_BATCH = 256  # prompts per batch on a GPU when none is given: a 270M model's cache for 256 rows is ~2 GB
CPU_BATCH = 8


@dataclass
class Settings:
    max_new_tokens: int = 128
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    top_k: int = 0  # 0: no top-k cut
    repetition_penalty: float = 1.0
    no_repeat_ngram_size: int = 0  # 0: off; counted over the answer only, never the prompt
    seed: int = 0
    batch_size: int = 0  # 0: GPU_BATCH on CUDA, CPU_BATCH on the CPU
    origin: str = "explicit"  # where the settings came from, for the report

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def base_generation_config(base_path: str | None) -> dict[str, Any]:
    """The sampling settings of a base model folder's generation_config.json ({} when it has none)."""
    import json
    from pathlib import Path

    if not base_path:
        return {}
    file = Path(base_path) / "generation_config.json"
    try:
        config = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, Any] = {}
    if config.get("do_sample"):
        found["temperature"] = float(config.get("temperature") or 1.0)
        if config.get("top_p") is not None:
            found["top_p"] = float(config["top_p"])
        if config.get("top_k") is not None:
            found["top_k"] = int(config["top_k"])
    if config.get("repetition_penalty") not in (None, 1.0):
        found["repetition_penalty"] = float(config["repetition_penalty"])
    if config.get("no_repeat_ngram_size"):
        found["no_repeat_ngram_size"] = int(config["no_repeat_ngram_size"])
    return found


def default_settings(base_path: str | None = None, *, greedy: bool = False, **explicit: Any) -> Settings:
    """The one generation setting evaluation, chat and serve use, with the caller's explicit values on top.

    Defaults: greedy decoding with the repetition guard (no_repeat_ngram_size GUARD_NGRAM), then whatever
    the base model's generation_config.json sets (sampling, seeded), then `explicit` (None values ignored).
    `greedy`: plain greedy decoding, no guard and no sampling, as before these defaults existed.
    """
    given = {k: v for k, v in explicit.items() if v is not None}
    if greedy:
        values: dict[str, Any] = {"temperature": 0.0, "top_p": 1.0, "top_k": 0, "repetition_penalty": 1.0,
                                  "no_repeat_ngram_size": 0}
        origin = ["--greedy (no sampling, no repetition guard)"]
    else:
        from_base = base_generation_config(base_path)
        values = {"no_repeat_ngram_size": GUARD_NGRAM, **from_base}
        origin = [f"repetition guard (no_repeat_ngram_size {GUARD_NGRAM})"]
        origin.insert(0, "base model generation_config.json (" + ", ".join(f"{k} {v}" for k, v in from_base.items())
                      + ")" if from_base else "greedy (the base model has no sampling settings)")
    decoding = {k: v for k, v in given.items() if k in (*SAMPLING_KEYS, "seed")}  # not lengths or batch sizes
    if decoding:
        origin.append("explicit " + ", ".join(f"{k} {v}" for k, v in sorted(decoding.items())))
    return Settings(**{**values, **given, "origin": "; ".join(origin)})


@dataclass
class Generated:
    text: str
    new_tokens: int
    hit_limit: bool  # stopped by max_new_tokens, not by a stop token
    token_ids: list[int] = field(default_factory=list)  # the answer's tokens, stop token excluded


class AnswerNoRepeatNGram:
    """A logits processor: ban every token that would repeat an n-gram already in the answer.

    transformers' no_repeat_ngram_size also counts the prompt (an answer could not quote the question) and
    walks every row in Python at every step; this one looks at the generated tokens only, on the GPU, for
    the whole batch at once: O(rows x answer length x n) tensor work per step.
    """

    def __init__(self, n: int, prompt_width: int) -> None:
        self.n, self.start = n, prompt_width

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        answer = input_ids[:, self.start:]
        n = self.n
        if answer.shape[1] < n:
            return scores
        windows = answer.unfold(1, n - 1, 1)  # rows x (length - n + 2) x (n - 1)
        tail = answer[:, -(n - 1):]
        # a window followed by a token, equal to the last n-1 tokens: that following token is banned
        match = (windows[:, :-1] == tail[:, None, :]).all(dim=-1)
        banned = answer[:, n - 1:]
        rows = torch.arange(answer.shape[0], device=answer.device)[:, None].expand_as(banned)
        return scores.index_put((rows[match], banned[match]), torch.tensor(float("-inf"), device=scores.device,
                                                                           dtype=scores.dtype))


def _generate_kwargs(settings: Settings, stop_ids: list[int], pad_id: int) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"max_new_tokens": settings.max_new_tokens, "eos_token_id": stop_ids,
                              "pad_token_id": pad_id, "repetition_penalty": settings.repetition_penalty}
    if settings.temperature > 0:
        kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p,
                      top_k=settings.top_k or None)
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    return kwargs


def batch_size_for(settings: Settings, device: Any) -> int:
    if settings.batch_size:
        return settings.batch_size
    return GPU_BATCH if getattr(device, "type", str(device)).startswith("cuda") else CPU_BATCH


@torch.inference_mode()
def generate(model: Any, formatter: Formatter, examples: list[Example], settings: Settings, *,
             use_adapter: bool = True, progress: Callable[[int], None] | None = None) -> list[Generated]:
    """Answers in the order of `examples`; `use_adapter=False` answers as the base model."""
    tokenizer = formatter.tokenizer
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else formatter.eos_id
    stops = formatter.stop_ids()
    prompts = [formatter.prompt_ids(e) for e in examples]
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    device = next(p for p in model.parameters()).device
    results: list[Generated | None] = [None] * len(prompts)
    kwargs = _generate_kwargs(settings, stops, pad_id)
    size = batch_size_for(settings, device)
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(settings.seed)  # sampling draws the same tokens for the same settings
    context = model.disable_adapter() if (not use_adapter and hasattr(model, "disable_adapter")) else _Nothing()
    with context:
        for start in range(0, len(order), size):
            batch = order[start:start + size]
            width = max(len(prompts[i]) for i in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, index in enumerate(batch):
                prompt = prompts[index]
                ids[row, width - len(prompt):] = torch.tensor(prompt)
                mask[row, width - len(prompt):] = 1
            extra = {}
            if settings.no_repeat_ngram_size:
                from transformers import LogitsProcessorList

                extra["logits_processor"] = LogitsProcessorList([AnswerNoRepeatNGram(settings.no_repeat_ngram_size,
                                                                                     width)])
            output = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), **kwargs, **extra)
            for row, index in enumerate(batch):
                results[index] = _decode(output[row, width:].tolist(), stops, pad_id, tokenizer,
                                         settings.max_new_tokens)
            if progress:
                progress(len(batch))
    torch.random.set_rng_state(generator_state)
    return [r for r in results if r is not None]


def _decode(tokens: list[int], stops: list[int], pad_id: int, tokenizer: Any, limit: int) -> Generated:
    stop_at = next((i for i, t in enumerate(tokens) if t in stops), None)
    kept = tokens[:stop_at] if stop_at is not None else [t for t in tokens if t != pad_id]
    hit_limit = stop_at is None and len(tokens) >= limit
    return Generated(text=tokenizer.decode(kept, skip_special_tokens=True).strip(), new_tokens=len(kept),
                     hit_limit=hit_limit, token_ids=kept)


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
