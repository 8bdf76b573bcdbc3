"""One generation setting for eval, chat and serve: the base model's config plus a repetition guard, seeded."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from trainer.evaluate import EvalOptions, evaluate, settings_for_run
from trainer.formatting import Formatter
from trainer.generate import GUARD_NGRAM, AnswerNoRepeatNGram, Settings, default_settings, generate
from trainer.model import load_base, load_tokenizer
from trainer.run import execute, plan
from trainer.serve import Chatbot, _settings
from trainer.version import Example


@pytest.fixture(scope="module")
def sampling_run(tiny_model, tmp_path_factory, make_version, pairs):
    """A run whose base model ships a generation_config.json that samples (as Gemma 3's own does)."""
    root = tmp_path_factory.mktemp("genrun")
    base = root / "base"
    shutil.copytree(tiny_model, base)
    (base / "generation_config.json").write_text(json.dumps(
        {"do_sample": True, "temperature": 0.7, "top_k": 20, "top_p": 0.9, "bos_token_id": 2}), encoding="utf-8")
    version = make_version(root / "versions", pairs)
    run_dir = plan(version, root / "runs", base=str(base), preset_name="smoke", overrides={"max_steps": 2},
                   run_id="gen", on_gpu=False)
    execute(run_dir, log=lambda _: None)
    return run_dir


def _repeats_a_ngram(tokens: list[int], n: int) -> bool:
    grams = [tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
    return len(grams) != len(set(grams))


def test_eval_chat_and_serve_read_the_same_setting(sampling_run):
    settings = settings_for_run(sampling_run)
    assert (settings.temperature, settings.top_k, settings.top_p) == (0.7, 20, 0.9)
    assert settings.no_repeat_ngram_size == GUARD_NGRAM and settings.seed == 0
    assert "generation_config.json" in settings.origin and "repetition guard" in settings.origin
    bot = Chatbot(sampling_run, device="cpu")
    chat = bot.default_settings()
    assert {**chat.as_dict(), "batch_size": 0} == settings.as_dict()
    served = _settings({}, chat)  # a request that names nothing gets the server's default
    assert served.as_dict() == chat.as_dict()
    asked = _settings({"temperature": 0, "max_tokens": 5}, chat)
    assert (asked.temperature, asked.max_new_tokens, asked.no_repeat_ngram_size) == (0.0, 5, GUARD_NGRAM)
    assert "request" in asked.origin
    report = evaluate(sampling_run, EvalOptions(settings=settings_for_run(sampling_run, max_new_tokens=6)),
                      log=lambda _: None)
    assert report["generation"]["temperature"] == 0.7 and report["generation"]["origin"] == settings.origin
    assert report["generation"]["max_new_tokens"] == 6
    assert set(report["timings"]) >= {"generate_base_s", "generate_fine_tuned_s", "semscore_s", "total_s"}


def test_greedy_and_explicit_settings_still_win(sampling_run):
    greedy = settings_for_run(sampling_run, greedy=True)
    assert (greedy.temperature, greedy.no_repeat_ngram_size, greedy.repetition_penalty) == (0.0, 0, 1.0)
    explicit = settings_for_run(sampling_run, temperature=0.0, no_repeat_ngram_size=3, repetition_penalty=1.2)
    assert (explicit.temperature, explicit.no_repeat_ngram_size, explicit.repetition_penalty) == (0.0, 3, 1.2)
    plain = default_settings(None)  # a base without a generation config: greedy with the guard
    assert (plain.temperature, plain.no_repeat_ngram_size) == (0.0, GUARD_NGRAM)


def test_sampling_is_seeded(sampling_run):
    bot = Chatbot(sampling_run, device="cpu")
    settings = bot.default_settings(max_new_tokens=12)
    first = bot.answer("What is demurrage?", settings).text
    assert bot.answer("What is demurrage?", settings).text == first
    other = [bot.answer("What is demurrage?", bot.default_settings(max_new_tokens=12, seed=s)).text
             for s in range(1, 6)]
    assert any(text != first for text in other)  # it does sample: another seed, another answer


def test_the_guard_changes_a_looping_models_answer(tiny_model):
    tokenizer = load_tokenizer(str(tiny_model))
    model = load_base(str(tiny_model), device="cpu", quantize=False)
    formatter = Formatter(tokenizer, "gemma", None)
    question = [Example(question="What is a bill of lading?", answer="")]
    raw = generate(model, formatter, question, Settings(max_new_tokens=40, batch_size=1))[0]
    guarded = generate(model, formatter, question, Settings(max_new_tokens=40, no_repeat_ngram_size=GUARD_NGRAM,
                                                            batch_size=1))[0]
    assert _repeats_a_ngram(raw.token_ids, GUARD_NGRAM)  # the untrained model loops...
    assert guarded.token_ids != raw.token_ids and not _repeats_a_ngram(guarded.token_ids, GUARD_NGRAM)  # ...not now


def test_the_ngram_guard_bans_only_repeats_inside_the_answer():
    prompt = [5, 6, 7, 8, 5, 6, 7]  # the prompt may repeat itself freely: it is not the answer
    answer = [1, 2, 3, 9, 1, 2]
    ids = torch.tensor([prompt + answer])
    scores = torch.zeros(1, 12)
    out = AnswerNoRepeatNGram(3, len(prompt))(ids, scores.clone())
    assert out[0, 3] == float("-inf")  # "1 2 3" again is banned
    assert (out[0, [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11]] == 0).all()  # "5 6 7 8" of the prompt is not
