"""Exact match, ROUGE-L for Korean and English, and the error classes of generated answers."""

from __future__ import annotations

from trainer.metrics import error_classes, exact_match, is_repetitive, normalize, rouge_l, rouge_tokens


def test_exact_match_ignores_case_punctuation_and_spacing():
    assert exact_match("  Free on board. ", "free ON board")
    assert exact_match("본선인도조건(FOB)", "본선인도조건 FOB")
    assert not exact_match("Free alongside ship", "Free on board")
    assert not exact_match("", "")
    assert normalize("Ａｂｃ！") == "abc"


def test_rouge_l_splits_korean_into_syllables_and_keeps_english_words():
    assert rouge_tokens("신용장은 은행") == ["신", "용", "장", "은", "은", "행"]
    assert rouge_tokens("Letter of credit") == ["letter", "of", "credit"]
    # A particle change ("은" for "이란") leaves most syllables in common; whole words would share none.
    assert rouge_l("신용장은 은행의 지급 약속이다", "신용장이란 은행의 지급 약속이다") > 0.8
    assert rouge_l("a b c d", "a b c d") == 1.0
    assert rouge_l("the cat sat", "dogs run fast") == 0.0
    assert abs(rouge_l("a b c", "a x c y") - 2 * (2 / 3 * 2 / 4) / (2 / 3 + 2 / 4)) < 1e-9


def test_repetition_and_error_classes():
    looping = "The bill of lading is a document. " * 4
    assert is_repetitive(looping)
    assert not is_repetitive("A bill of lading is a document issued by a carrier to acknowledge receipt.")
    assert is_repetitive("신용장신용장신용장신용장신용장신용장신용장신용장신용장신용장")
    assert error_classes("", "ref", hit_limit=False) == ["empty"]
    assert error_classes(looping, "A document.", hit_limit=True) == ["unfinished", "too_long", "repetitive"]
    assert error_classes("A document from the carrier.", "A document.", hit_limit=False) == []
