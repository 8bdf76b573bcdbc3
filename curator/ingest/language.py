"""Cheap language detection by script: enough to pick a Korean or an English template or prompt."""

from __future__ import annotations

# Share of Hangul among letters above which a text counts as Korean. Korean
# prose is full of Latin acronyms (FOB, L/C, HS) and a Latin word spends about
# five letters where a Korean word spends two or three syllables, so a fairly
# low share already means the sentences themselves are Korean.
KOREAN_SHARE = 0.25


def _script_counts(text: str) -> tuple[int, int, int, int]:
    hangul = latin = kana = han = 0
    for ch in text:
        o = ord(ch)
        if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            hangul += 1
        elif ch.isascii():
            if ch.isalpha():
                latin += 1
        elif 0x3040 <= o <= 0x30FF:
            kana += 1
        elif 0x4E00 <= o <= 0x9FFF:
            han += 1
        elif ch.isalpha():
            latin += 1
    return hangul, latin, kana, han


def detect_language(text: str, sample_chars: int = 20_000) -> str:
    """'ko', 'en', 'ja', 'zh', or 'und' when the text has no letters.

    Latin-script text is reported as 'en': the reference domain mixes only
    Korean and English, and the templates exist for those two.
    """
    hangul, latin, kana, han = _script_counts(text[:sample_chars])
    letters = hangul + latin + kana + han
    if letters == 0:
        return "und"
    if hangul / letters >= KOREAN_SHARE:
        return "ko"
    if kana and (kana + han) / letters >= 0.3:
        return "ja"
    if han / letters >= 0.3:
        return "zh"
    return "en"


def hangul_ratio(text: str) -> float:
    """Hangul syllables among all letters (0 when there are none)."""
    hangul, latin, kana, han = _script_counts(text)
    letters = hangul + latin + kana + han
    return hangul / letters if letters else 0.0
