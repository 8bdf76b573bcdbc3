"""Batched answer generation from exactly the prompt tokens the model trained on.

Prompts are sorted by length and left-padded in batches; the same loaded model
answers as the base model (adapter disabled) and as the fine-tuned model, so
both see the same prompt and settings. Greedy by default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from trainer.formatting import Formatter
from trainer.version import Example


@dataclass
class Settings:
    max_new_tokens: int = 128
    temperature: float = 0.0  # 0: greedy
    top_p: float = 1.0
    repetition_penalty: float = 1.0
    batch_size: int = 32

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Generated:
    text: str
    new_tokens: int
    hit_limit: bool  # stopped by max_new_tokens, not by a stop token


def _generate_kwargs(settings: Settings, stop_ids: list[int], pad_id: int) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"max_new_tokens": settings.max_new_tokens, "eos_token_id": stop_ids,
                              "pad_token_id": pad_id, "repetition_penalty": settings.repetition_penalty}
    if settings.temperature > 0:
        kwargs.update(do_sample=True, temperature=settings.temperature, top_p=settings.top_p)
    else:
        kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
    return kwargs


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
    context = model.disable_adapter() if (not use_adapter and hasattr(model, "disable_adapter")) else _Nothing()
    with context:
        for start in range(0, len(order), settings.batch_size):
            batch = order[start:start + settings.batch_size]
            width = max(len(prompts[i]) for i in batch)
            ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, index in enumerate(batch):
                prompt = prompts[index]
                ids[row, width - len(prompt):] = torch.tensor(prompt)
                mask[row, width - len(prompt):] = 1
            output = model.generate(input_ids=ids.to(device), attention_mask=mask.to(device), **kwargs)
            for row, index in enumerate(batch):
                results[index] = _decode(output[row, width:].tolist(), stops, pad_id, tokenizer,
                                         settings.max_new_tokens)
            if progress:
                progress(len(batch))
    return [r for r in results if r is not None]


def _decode(tokens: list[int], stops: list[int], pad_id: int, tokenizer: Any, limit: int) -> Generated:
    stop_at = next((i for i, t in enumerate(tokens) if t in stops), None)
    kept = tokens[:stop_at] if stop_at is not None else [t for t in tokens if t != pad_id]
    hit_limit = stop_at is None and len(tokens) >= limit
    return Generated(text=tokenizer.decode(kept, skip_special_tokens=True).strip(), new_tokens=len(kept),
                     hit_limit=hit_limit)


class _Nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
