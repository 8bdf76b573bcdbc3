"""Turning a pair into the text and tokens a model trains on: TRL conversational prompt/completion.

A pair becomes {"prompt": [system?, user], "completion": [assistant]}, the
conversational prompt/completion form TRL's SFTTrainer takes. It is rendered
with the base model's own chat template when it has one, or with a named
fallback: the Gemma turn format, `### Question:/### Answer:`, or Alpaca.

Prompt and answer are tokenized separately and concatenated, so the boundary
between them is exact: only answer tokens carry loss, generation starts from
exactly the prompt tokens the model was trained on, and every answer ends with
the tokenizer's EOS so the model learns to stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainer.errors import TrainerError
from trainer.version import Example

TEMPLATES = ("auto", "chat", "gemma", "qa", "alpaca")
IGNORE = -100
GEMMA_END = "<end_of_turn>"
ALPACA_PREAMBLE = ("Below is an instruction that describes a task. "
                   "Write a response that appropriately completes the request.")


class TemplateError(TrainerError):
    """A template that cannot render this tokenizer's prompts; the message says which to use instead."""


def user_text(example: Example) -> str:
    """The user turn: the question, after its context when the version run asked for context."""
    if example.context:
        return f"{example.context.strip()}\n\n{example.question.strip()}"
    return example.question.strip()


def conversation(example: Example, system: str | None = None) -> dict[str, list[dict[str, str]]]:
    """The pair in TRL's conversational prompt/completion form."""
    prompt = [{"role": "system", "content": system}] if system else []
    prompt.append({"role": "user", "content": user_text(example)})
    return {"prompt": prompt, "completion": [{"role": "assistant", "content": example.answer.strip()}]}


def resolve_template(tokenizer: Any, name: str) -> str:
    """'auto' picks the model's chat template, else the Gemma turn format for Gemma vocabularies, else 'qa'."""
    if name not in TEMPLATES:
        raise TemplateError(f"unknown template {name!r}; choose one of {', '.join(TEMPLATES)}.")
    if name == "chat" and not getattr(tokenizer, "chat_template", None):
        raise TemplateError("this base model's tokenizer has no chat template; use --template gemma, qa or alpaca.")
    if name != "auto":
        return name
    if getattr(tokenizer, "chat_template", None):
        return "chat"
    if GEMMA_END in tokenizer.get_vocab():
        return "gemma"
    return "qa"


@dataclass
class Formatter:
    """Renders and tokenizes pairs with one template for one tokenizer."""

    tokenizer: Any
    template: str
    system: str | None = None

    def __post_init__(self) -> None:
        self.template = resolve_template(self.tokenizer, self.template)
        tok = self.tokenizer
        self.eos_id = tok.eos_token_id
        if self.eos_id is None:
            raise TemplateError("the tokenizer has no EOS token: answers could not end, so the model never "
                                "learns to stop. Give a base model whose tokenizer defines eos_token.")
        probe = tok("x", add_special_tokens=True).input_ids
        self.bos_id = tok.bos_token_id if tok.bos_token_id is not None and probe[:1] == [tok.bos_token_id] else None

    def texts(self, example: Example) -> tuple[str, str]:
        """(prompt text, answer text) as the template renders them, before EOS."""
        conv = conversation(example, self.system)
        if self.template == "chat":
            return self._chat_texts(conv)
        user = conv["prompt"][-1]["content"]
        answer = conv["completion"][0]["content"]
        if self.template == "gemma":
            head = f"{self.system}\n\n" if self.system else ""
            return f"<start_of_turn>user\n{head}{user}{GEMMA_END}\n<start_of_turn>model\n", answer + GEMMA_END
        if self.template == "qa":
            head = f"{self.system}\n\n" if self.system else ""
            return f"{head}### Question:\n{user}\n\n### Answer:\n", answer
        preamble = self.system or ALPACA_PREAMBLE
        if example.context:
            prompt = (f"{preamble}\n\n### Instruction:\n{example.question.strip()}\n\n### Input:\n"
                      f"{example.context.strip()}\n\n### Response:\n")
            return prompt, answer
        return f"{preamble}\n\n### Instruction:\n{user}\n\n### Response:\n", answer

    def _chat_texts(self, conv: dict[str, list[dict[str, str]]]) -> tuple[str, str]:
        tok = self.tokenizer
        try:
            prompt = tok.apply_chat_template(conv["prompt"], tokenize=False, add_generation_prompt=True)
            full = tok.apply_chat_template(conv["prompt"] + conv["completion"], tokenize=False)
        except Exception as exc:  # jinja errors: e.g. a template that refuses system turns
            raise TemplateError(f"the model's chat template failed ({exc}); use --template gemma, qa or alpaca."
                                ) from exc
        if not full.startswith(prompt):
            raise TemplateError("the model's chat template renders the prompt differently once the answer is "
                                "added, so the answer cannot be cut out exactly; use --template gemma, qa or alpaca.")
        return prompt, full[len(prompt):].rstrip()

    def prompt_ids(self, example: Example) -> list[int]:
        prompt, _ = self.texts(example)
        ids = self.tokenizer(prompt, add_special_tokens=False).input_ids
        if self.bos_id is not None and ids[:1] != [self.bos_id]:
            ids = [self.bos_id, *ids]
        return ids

    def encode(self, example: Example) -> tuple[list[int], list[int]]:
        """(prompt ids, answer ids ending with EOS)."""
        _, answer = self.texts(example)
        answer_ids = self.tokenizer(answer, add_special_tokens=False).input_ids
        if answer_ids[-1:] != [self.eos_id]:
            answer_ids = [*answer_ids, self.eos_id]
        return self.prompt_ids(example), answer_ids

    def stop_ids(self) -> list[int]:
        """Tokens that end a generated answer: EOS, and the end-of-turn token where the template uses one."""
        stops = [self.eos_id]
        end = self.tokenizer.convert_tokens_to_ids(GEMMA_END) if GEMMA_END in self.tokenizer.get_vocab() else None
        if end is not None and self.template in ("gemma", "chat"):
            stops.append(end)
        return sorted(set(stops))


def labels_for(prompt_ids: list[int], answer_ids: list[int]) -> tuple[list[int], list[int]]:
    """input_ids and labels: IGNORE on every prompt token, the token itself on every answer token."""
    return [*prompt_ids, *answer_ids], [IGNORE] * len(prompt_ids) + list(answer_ids)
