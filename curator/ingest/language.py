"""Cheap language detection by script: enough to pick a Korean or an English template or prompt."""

from __future__ import annotations

import numpy as np

# Share of Hangul among letters above which a text counts as Korean. Korean
# prose is full of Latin acronyms (FOB, L/C, HS) and a Latin word spends about
# five letters where a Korean word spends two or three syllables, so a fairly
# low share already means the sentences themselves are Korean.
KOREAN_SHARE = 0.25

_OTHER, _HANGUL, _LATIN, _KANA, _HAN = range(5)
_BMP = 0x10000


def _script_table() -> np.ndarray:
    """The script of every code point below U+10000: letters (as str.isalpha() says) are Latin unless a block
    below says otherwise; every code point of the Hangul, kana and CJK blocks counts, letter or not."""
    every = np.arange(_BMP, dtype=np.uint32).view("<U1")  # each code point as a one-character string
    table = np.where(np.strings.isalpha(every), _LATIN, _OTHER).astype(np.uint8)
    table[0x3040:0x3100] = _KANA
    table[0x4E00:0xA000] = _HAN
    for first, last in ((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3130, 0x318F)):
        table[first:last + 1] = _HANGUL
    return table


# One table look-up per character in numpy instead of a Python loop: every crawled page is counted, and the
# loop cost about a third of a millisecond a page. Code points beyond the table are letters (Latin) or nothing.
_SCRIPT = _script_table()


def _script_counts(text: str) -> tuple[int, int, int, int]:
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    counts = np.bincount(_SCRIPT[points[points < _BMP]], minlength=5)
    beyond = sum(1 for c in points[points >= _BMP].tolist() if chr(c).isalpha())
    return int(counts[_HANGUL]), int(counts[_LATIN]) + beyond, int(counts[_KANA]), int(counts[_HAN])


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
