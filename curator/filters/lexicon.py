"""Is a changed English word a typo, or another word? Decided with a dictionary.

A one-letter difference between two words that are both dictionary entries ("cat"/"hat",
"form"/"from", "lose"/"loose") is not a typo: the questions ask about different things.
Anything else (one side not in the dictionary: "lading"/"ladng", inflected forms the
list lacks, terms and names) is left to spelling, where one slip is a typo; names,
acronyms and codes are told apart by `curator.filters.subjects`. The dictionary is
the web2 list (Webster's Second International, public domain) as shipped by the PyPI
package `english-words` (MIT); without that package every one-slip pair counts as a
typo, as before.
"""

from __future__ import annotations

import functools
import re

_LATIN = re.compile(r"[a-z]+")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ly")


@functools.cache
def _words() -> frozenset[str] | None:
    try:
        from english_words import get_english_words_set
    except ImportError:
        return None
    return frozenset(get_english_words_set(["web2"], lower=True, alpha=True))


def inflection(a: str, b: str) -> bool:
    """`a` and `b` are one word with another ending: singular/plural, tense."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    return long_.startswith(short) and long_[len(short):] in _SUFFIXES and len(short) >= 3


def lexicon_verdict(a: str, b: str) -> float | None:
    """100 (a variant), 0 (another word), or None (the dictionary cannot tell: spelling decides)."""
    if not (_LATIN.fullmatch(a) and _LATIN.fullmatch(b)):
        return None  # Hangul, digits, codes: the other checks decide
    if inflection(a, b):
        return 100.0
    words = _words()
    if words is None:
        return None
    if a in words and b in words:
        return 0.0  # two entries of the dictionary: two words, not a slip
    return None  # one side is not an entry (a typo, an inflection the list lacks, a term): spelling decides
