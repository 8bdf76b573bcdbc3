"""Each template renders a pair so that only the answer tokens carry loss and every answer ends with EOS."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from trainer.formatting import IGNORE, Formatter, TemplateError, conversation, labels_for, resolve_template
from trainer.version import Example

PAIRS = [Example(question="What is demurrage?", answer="A charge for holding a container too long."),
         Example(question="신용장이란 무엇인가요?", answer="은행이 대금 지급을 약속하는 증서입니다."),
         Example(question="What is FOB?", answer="Free On Board.", context="Incoterms glossary, 2020 edition.")]


@pytest.mark.parametrize("template", ["gemma", "qa", "alpaca", "chat"])
def test_only_answer_tokens_carry_loss_and_answers_end_with_eos(tiny_model, tiny_chat_model, template):
    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model if template == "chat" else tiny_model)
    formatter = Formatter(tokenizer, template, system="You answer trade questions.")
    for example in PAIRS:
        prompt, answer = formatter.encode(example)
        ids, labels = labels_for(prompt, answer)
        assert len(ids) == len(labels)
        assert labels[:len(prompt)] == [IGNORE] * len(prompt)
        assert labels[len(prompt):] == ids[len(prompt):] and IGNORE not in labels[len(prompt):]
        assert ids[-1] == tokenizer.eos_token_id and labels[-1] == tokenizer.eos_token_id
        assert ids[0] == tokenizer.bos_token_id
        answer_text = tokenizer.decode(answer, skip_special_tokens=True)
        assert example.answer in answer_text
        prompt_text = tokenizer.decode(prompt, skip_special_tokens=True)
        assert example.question in prompt_text and example.answer not in prompt_text
        assert "You answer trade questions." in prompt_text
        if example.context:
            assert example.context in prompt_text


def test_template_texts_match_their_named_formats(tiny_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    example = PAIRS[0]
    gemma = Formatter(tokenizer, "gemma").texts(example)
    assert gemma == ("<start_of_turn>user\nWhat is demurrage?<end_of_turn>\n<start_of_turn>model\n",
                     "A charge for holding a container too long.<end_of_turn>")
    assert Formatter(tokenizer, "qa").texts(example) == (
        "### Question:\nWhat is demurrage?\n\n### Answer:\n", "A charge for holding a container too long.")
    prompt, _ = Formatter(tokenizer, "alpaca").texts(PAIRS[2])
    assert "### Instruction:\nWhat is FOB?" in prompt and "### Input:\nIncoterms glossary" in prompt
    assert prompt.endswith("### Response:\n")


def test_chat_template_answer_is_cut_out_exactly(tiny_chat_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_chat_model)
    formatter = Formatter(tokenizer, "auto")
    assert formatter.template == "chat"
    prompt, answer = formatter.texts(PAIRS[0])
    assert prompt.endswith("<start_of_turn>model\n")
    assert answer == "A charge for holding a container too long.<end_of_turn>"
    assert set(formatter.stop_ids()) == {tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids("<end_of_turn>")}


def test_auto_without_chat_template_picks_the_gemma_turns_and_chat_is_refused(tiny_model):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    assert resolve_template(tokenizer, "auto") == "gemma"
    with pytest.raises(TemplateError, match="no chat template"):
        Formatter(tokenizer, "chat")
    with pytest.raises(TemplateError, match="unknown template"):
        Formatter(tokenizer, "vicuna")


def test_conversation_is_trl_prompt_completion():
    conv = conversation(PAIRS[2], system="Be brief.")
    assert conv == {"prompt": [{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": "Incoterms glossary, 2020 edition.\n\nWhat is FOB?"}],
                    "completion": [{"role": "assistant", "content": "Free On Board."}]}
