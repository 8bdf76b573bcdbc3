"""The fast answer-only loss equals the model's own loss on answer tokens, with the same gradients."""

from __future__ import annotations

import torch
from transformers import AutoModelForCausalLM

from trainer.formatting import IGNORE
from trainer.loss import AnswerOnlyLoss, linear_cross_entropy_sum
from trainer.model import add_lora


def _lora_model(path):
    model = add_lora(AutoModelForCausalLM.from_pretrained(path, dtype=torch.float64), 4, 8, 0.0)
    torch.manual_seed(1)
    for name, param in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.05)
    return model


def _grads(model):
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}


def test_answer_only_loss_and_gradients_match_the_reference(tiny_model):
    model = _lora_model(tiny_model)
    torch.manual_seed(2)
    ids = torch.randint(6, 300, (3, 21))
    labels = ids.clone()
    labels[:, :8] = IGNORE
    total, count = AnswerOnlyLoss(model, chunk=7)(ids, labels)
    (total / count).backward()
    ours = _grads(model)
    model.zero_grad()
    reference = model(input_ids=ids, labels=labels).loss
    reference.backward()
    assert count.item() == 3 * 13  # labels 8..20 of each row, each predicted from the previous position
    assert torch.allclose(total / count, reference.to(total.dtype), rtol=1e-6)
    for name, grad in _grads(model).items():
        assert (ours[name] - grad).abs().max() <= 1e-6 * grad.abs().max(), name


def test_right_padding_without_a_mask_changes_no_real_token(tiny_model):
    model = _lora_model(tiny_model)
    short = torch.tensor([[2, 40, 41, 42, 43, 1]])
    long = torch.tensor([[2, 50, 51, 52, 53, 54, 55, 56, 57, 1]])
    alone = []
    for ids in (short, long):
        labels = ids.clone()
        labels[:, :3] = IGNORE
        alone.append(AnswerOnlyLoss(model)(ids, labels)[0])
    padded = torch.zeros((2, 10), dtype=torch.long)
    padded[0, :6], padded[1] = short[0], long[0]
    labels = padded.clone()
    labels[:, :3] = IGNORE
    labels[0, 6:] = IGNORE
    together, _ = AnswerOnlyLoss(model)(padded, labels)
    assert torch.allclose(together, alone[0] + alone[1], rtol=1e-9)


def test_softcapped_logits_have_the_right_gradient():
    torch.manual_seed(3)
    hidden = torch.randn(9, 16, dtype=torch.float64, requires_grad=True)
    weight = torch.randn(50, 16, dtype=torch.float64)
    targets = torch.randint(0, 50, (9,))
    ours = linear_cross_entropy_sum(hidden, weight, targets, softcap=5.0, chunk=4)
    ours.backward()
    fast = hidden.grad.clone()
    hidden.grad = None
    logits = torch.tanh(hidden @ weight.t() / 5.0) * 5.0
    reference = torch.nn.functional.cross_entropy(logits, targets, reduction="sum")
    reference.backward()
    assert torch.allclose(ours, reference) and torch.allclose(fast, hidden.grad)
