"""Token-budget batches: every example once per epoch, within budget, the same order for the same seed."""

from __future__ import annotations

import numpy as np

from trainer.data import build, choose_max_length, collate, length_stats, token_batches
from trainer.formatting import IGNORE


def test_batches_cover_every_example_once_within_the_budget():
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 400, size=3000)
    batches = token_batches(lengths, batch_tokens=4096, max_batch_size=64, seed=1, epoch=0)
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(3000))
    for batch in batches:
        assert len(batch) <= 64
        assert len(batch) == 1 or max(lengths[batch]) * len(batch) <= 4096
    padded = sum(max(lengths[b]) * len(b) for b in batches)
    assert padded / lengths.sum() < 1.15  # grouping by length keeps padding small


def test_batch_order_depends_only_on_seed_and_epoch():
    lengths = np.arange(10, 510)
    first = token_batches(lengths, 2048, 32, seed=3, epoch=1)
    assert first == token_batches(lengths, 2048, 32, seed=3, epoch=1)
    assert first != token_batches(lengths, 2048, 32, seed=3, epoch=2)


def test_max_length_comes_from_the_lengths_and_long_answers_lose_their_tail():
    assert choose_max_length(np.array([30, 90, 130]), cap=2048) == 192
    assert choose_max_length(np.array([30, 5000]), cap=1024) == 1024
    data = build([([1, 2, 3], [4, 5, 6, 7]), ([1] * 10, [9, 9])], max_length=6)
    assert data.truncated == 1 and data.dropped == 1 and len(data) == 1
    assert data.ids[0].tolist() == [1, 2, 3, 4, 5, 6]
    stats = length_stats(np.array([10, 20, 30]))
    assert stats["max"] == 30 and stats["mean"] == 20.0


def test_collate_pads_right_and_masks_prompt_and_padding():
    data = build([([5, 6], [7, 8, 1]), ([5], [9, 1])], max_length=64)
    batch = collate(data, [0, 1], pad_id=0, multiple=8)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["input_ids"][1].tolist()[:3] == [5, 9, 1] and batch["input_ids"][1].tolist()[3:] == [0] * 5
    assert batch["labels"][0].tolist() == [IGNORE, IGNORE, 7, 8, 1] + [IGNORE] * 3
