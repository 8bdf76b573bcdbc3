"""Answer-only loss that computes logits only where there is an answer token to predict.

A 270M Gemma has a 262,144-token vocabulary: its output layer costs more than all
of its transformer layers, and full logits for a batch of 16k tokens take 17 GB in
float32. Prompt tokens carry no loss, so their logits are never needed. This loss
takes the decoder's hidden states at answer positions only and runs the output
layer over them in chunks, computing the gradient with respect to the hidden
states inside the forward pass (the output layer is frozen in LoRA), so no chunk
of logits outlives its loop iteration. The value equals the mean token
cross-entropy over answer tokens that `model(input_ids, labels=...)` computes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from trainer.formatting import IGNORE

CHUNK_TOKENS = 4096


class _LinearCrossEntropySum(torch.autograd.Function):
    """Sum of cross-entropies of softcap(hidden @ weight.T) against targets; weight gets no gradient."""

    @staticmethod
    def forward(ctx: Any, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,
                softcap: float | None, chunk: int) -> torch.Tensor:
        need_grad = ctx.needs_input_grad[0]
        grad_hidden = torch.empty_like(hidden) if need_grad else None
        total = torch.zeros((), device=hidden.device)
        rows = torch.arange(min(chunk, max(hidden.shape[0], 1)), device=hidden.device)
        exact = torch.promote_types(weight.dtype, torch.float32)  # float32 at least, float64 stays float64
        total = total.to(exact)
        for start in range(0, hidden.shape[0], chunk):
            h = hidden[start:start + chunk].to(weight.dtype)
            target = targets[start:start + chunk]
            logits = (h @ weight.t()).to(exact)
            tanh = None
            if softcap:
                tanh = torch.tanh(logits / softcap)
                logits = tanh * softcap
            lse = torch.logsumexp(logits, dim=-1)
            picked = logits.gather(1, target[:, None]).squeeze(1)
            total += (lse - picked).sum()
            if need_grad:
                probs = logits.sub_(lse[:, None]).exp_()
                probs[rows[:len(target)], target] -= 1.0
                if tanh is not None:
                    probs.mul_(1.0 - tanh * tanh)
                grad_hidden[start:start + chunk] = (probs.to(weight.dtype) @ weight).to(hidden.dtype)
            del logits
        ctx.save_for_backward(grad_hidden if need_grad else torch.empty(0))
        return total

    @staticmethod
    def backward(ctx: Any, grad_total: torch.Tensor):
        (grad_hidden,) = ctx.saved_tensors
        return grad_hidden * grad_total.to(grad_hidden.dtype), None, None, None, None


def linear_cross_entropy_sum(hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor,
                             softcap: float | None = None, chunk: int = CHUNK_TOKENS) -> torch.Tensor:
    return _LinearCrossEntropySum.apply(hidden, weight, targets, softcap, chunk)


def causal_lm_parts(model: nn.Module) -> tuple[nn.Module, nn.Module, float | None]:
    """(decoder, output layer, final logit softcap) of a causal LM, under any PEFT wrapper."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder = base.get_decoder()
    head = base.get_output_embeddings()
    config = getattr(base.config, "text_config", None) or base.config
    return decoder, head, getattr(config, "final_logit_softcapping", None)


class AnswerOnlyLoss(nn.Module):
    """Wraps a (PEFT) causal LM; forward returns (sum of answer-token losses, number of answer tokens).

    One module around the whole computation so DistributedDataParallel sees a
    single forward per micro-batch.
    """

    def __init__(self, model: nn.Module, chunk: int = CHUNK_TOKENS) -> None:
        super().__init__()
        self.model = model
        self.chunk = chunk

    def forward(self, input_ids: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        decoder, head, softcap = causal_lm_parts(self.model)
        hidden = decoder(input_ids=input_ids, use_cache=False).last_hidden_state
        targets = labels[:, 1:]
        keep = targets != IGNORE
        selected = hidden[:, :-1][keep]
        weight = getattr(head, "weight", None)
        if weight is None or not weight.is_floating_point() or getattr(head, "bias", None) is not None:
            # A quantized or biased output layer: let the module compute its logits, still only at answers.
            logits = head(selected).float()
            if softcap:
                logits = torch.tanh(logits / softcap) * softcap
            total = nn.functional.cross_entropy(logits, targets[keep], reduction="sum")
        else:
            total = linear_cross_entropy_sum(selected, weight, targets[keep], softcap, self.chunk)
        return total, keep.sum()
