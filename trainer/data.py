"""Tokenized training examples, length statistics, and batches built to a token budget.

Batches group examples of similar length (sorted inside shuffled mega-batches,
then the batches themselves shuffled), so right padding wastes little. With
right padding and causal attention a real token never sees a pad, so no
attention mask is needed and PyTorch's fused attention kernels run; pads carry
no loss. The order depends only on (seed, epoch), so a resumed run sees exactly
the batches the killed one would have.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
import torch

from trainer.formatting import IGNORE, Formatter
from trainer.version import Example

MEGABATCH = 512  # examples sorted together; large enough for little padding, small enough to stay shuffled


@dataclass
class Tokenized:
    """Training sequences: each one's ids and how many of its first tokens are prompt."""

    ids: list[np.ndarray]
    prompt_lengths: np.ndarray
    truncated: int = 0
    dropped: int = 0

    @property
    def lengths(self) -> np.ndarray:
        return np.fromiter((len(x) for x in self.ids), dtype=np.int64, count=len(self.ids))

    def __len__(self) -> int:
        return len(self.ids)


def encode_all(formatter: Formatter, examples: list[Example]) -> list[tuple[list[int], list[int]]]:
    return [formatter.encode(e) for e in examples]


def length_stats(lengths: np.ndarray) -> dict[str, float]:
    if len(lengths) == 0:
        return {"count": 0}
    return {"count": len(lengths), "mean": round(float(lengths.mean()), 1),
            "p50": int(np.percentile(lengths, 50)), "p95": int(np.percentile(lengths, 95)),
            "p99": int(np.percentile(lengths, 99)), "max": int(lengths.max())}


def choose_max_length(lengths: np.ndarray, cap: int) -> int:
    """The longest example rounded up to 64 tokens, capped: nothing is cut unless it exceeds the cap."""
    longest = int(lengths.max()) if len(lengths) else 64
    return max(64, min(cap, int(math.ceil(longest / 64) * 64)))


def build(encoded: list[tuple[list[int], list[int]]], max_length: int) -> Tokenized:
    """Concatenate prompt and answer; cut answers that overflow (they lose EOS), drop prompts that fill it all."""
    ids, prompt_lengths, truncated, dropped = [], [], 0, 0
    for prompt, answer in encoded:
        if len(prompt) >= max_length - 1:
            dropped += 1
            continue
        room = max_length - len(prompt)
        if len(answer) > room:
            truncated += 1
            answer = answer[:room]
        ids.append(np.asarray([*prompt, *answer], dtype=np.int64))
        prompt_lengths.append(len(prompt))
    return Tokenized(ids, np.asarray(prompt_lengths, dtype=np.int64), truncated, dropped)


def token_batches(lengths: np.ndarray, batch_tokens: int, max_batch_size: int, seed: int,
                  epoch: int) -> list[list[int]]:
    """Index lists whose padded size (rows x longest row) stays within batch_tokens."""
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(lengths))
    batches: list[list[int]] = []
    for start in range(0, len(order), MEGABATCH):
        chunk = order[start:start + MEGABATCH]
        chunk = chunk[np.argsort(-lengths[chunk], kind="stable")]
        current: list[int] = []
        longest = 0
        for index in chunk.tolist():
            size = int(lengths[index])
            width = max(longest, size)
            if current and (width * (len(current) + 1) > batch_tokens or len(current) >= max_batch_size):
                batches.append(current)
                current, width = [], size
            current.append(index)
            longest = width
        if current:
            batches.append(current)
    return [batches[i] for i in rng.permutation(len(batches))]


def collate(data: Tokenized, indices: list[int], pad_id: int, multiple: int = 8) -> dict[str, torch.Tensor]:
    """Right-padded input_ids and labels (IGNORE on prompt and pad tokens)."""
    width = max(len(data.ids[i]) for i in indices)
    width = int(math.ceil(width / multiple) * multiple)
    input_ids = torch.full((len(indices), width), pad_id, dtype=torch.long)
    labels = torch.full((len(indices), width), IGNORE, dtype=torch.long)
    for row, index in enumerate(indices):
        seq = torch.from_numpy(data.ids[index])
        input_ids[row, :len(seq)] = seq
        start = int(data.prompt_lengths[index])
        labels[row, start:len(seq)] = seq[start:]
    return {"input_ids": input_ids, "labels": labels}


def answer_token_count(labels: torch.Tensor) -> int:
    """Tokens that carry loss: labels are predicted from the previous position, so the first never counts."""
    return int((labels[:, 1:] != IGNORE).sum())


def real_token_count(data: Tokenized, indices: list[int]) -> int:
    return int(sum(len(data.ids[i]) for i in indices))


def validation_split(examples: list[Example], fraction: float, max_examples: int, min_train: int,
                     seed: int) -> tuple[list[int], list[int]]:
    """(train indices, validation indices): whole source items go to validation, never half of one.

    An item is drawn when a hash of (seed, its group) falls under `fraction`, so the draw does not depend on
    the other pairs; items are taken in hash order until `max_examples`. Train splits under `min_train`
    pairs keep everything for training.
    """
    everything = list(range(len(examples)))
    if fraction <= 0 or len(examples) < min_train:
        return everything, []
    position: dict[str, float] = {}
    for i, e in enumerate(examples):
        group = e.group or e.lineage_id or f"row:{i}"
        if group not in position:
            digest = hashlib.blake2b(f"{seed}\x1f{group}".encode(), digest_size=8).digest()
            position[group] = int.from_bytes(digest, "big") / 2**64
    members: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        members.setdefault(e.group or e.lineage_id or f"row:{i}", []).append(i)
    chosen: set[int] = set()
    for group in sorted((g for g, p in position.items() if p < fraction), key=position.__getitem__):
        if len(chosen) + len(members[group]) > max_examples:
            break
        chosen.update(members[group])
    return [i for i in everything if i not in chosen], sorted(chosen)
