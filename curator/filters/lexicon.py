"""Is a changed English word a typo, or another word? Decided with a dictionary.

A one-letter difference between two words that are both dictionary entries ("cat"/"hat",
"form"/"from", "lose"/"loose") is not a typo: the questions ask about different things.
Anything else (one side not in the dictionary: "lading"/"ladng", inflected forms the
list lacks, terms and names) is left to spelling, where one slip is a typo; names,
acronyms and codes are told apart by `curator.filters.subjects`. The dictionary is
the web2 list (Webster's Second International, public domain) as shipped by the PyPI
package `english-words` (MIT); without that package every one-slip pair counts as a
typo, as before.

A negation that only one question has ("... do not block" / "... block"; "있습니까" /
"없습니까") turns a question into its opposite: however alike the rest, the two are
different questions, for spelling and for the embeddings alike (`is_negation`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

_LATIN = re.compile(r"[a-z]+")
_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ly")
# as the filters spell words: case-folded, apostrophes dropped ("don't" -> "dont")
NEGATIONS = frozenset(("not", "no", "never", "nor", "neither", "none", "nothing", "cannot", "cant", "dont", "doesnt",
                       "didnt", "isnt", "arent", "wasnt", "werent", "wont", "wouldnt", "shouldnt", "couldnt",
                       "hasnt", "havent", "hadnt", "mustnt", "neednt", "aint",
                       "안", "못", "아니", "아닌", "아니다", "아니오"))
# Korean negates with a separate verb (하지 않다, 할 수 없다, 하지 못하다): a word of its forms
_KOREAN_NEGATING = ("않", "없", "못하", "못한", "못할")


@functools.cache
def _words() -> frozenset[str] | None:
    try:
        from english_words import get_english_words_set
    except ImportError:
        return None
    return frozenset(get_english_words_set(["web2"], lower=True, alpha=True))


def is_negation(word: str) -> bool:
    """A word (case-folded, without punctuation) that negates: "not", "don't", "never", "안", "않는다", "없다"."""
    return word in NEGATIONS or word.startswith(_KOREAN_NEGATING)


def negation_differs(stems_a: Sequence[str], stems_b: Sequence[str]) -> bool:
    """Whether one text has a negation the other lacks (counted: "not ... not" against one "not" differs)."""
    neg_a = sorted(w for w in stems_a if is_negation(w))
    neg_b = sorted(w for w in stems_b if is_negation(w))
    return neg_a != neg_b


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
