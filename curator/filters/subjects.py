"""The subject of a question: names, acronyms, identifiers, codes and numbers, which a typo never explains.

Two questions that differ only in a common word slip ("ladng" for "lading") ask the
same thing. Two questions that differ in their subject ask different things however
alike they look: "Ireland"/"Iceland", "DBMS"/"NDBMS", "Lock"/"RLock", "DVD+R"/"DVD-R",
"GPT"/"GPA" are one letter apart and never duplicates of each other.

A word is a subject when, as written (before case folding):

- it has a digit, or a symbol inside it ("DVD+R", "os.path", "C++", "ISO-9001");
- it has a capital letter after its first letter ("DBMS", "RLock", "iPhone");
- it starts with a capital letter, is not the first word of a sentence, and the text
  is not written in capitals or title case throughout (where case says nothing).

`subjects_of` gives the subjects of a text, case-folded; `differing_subjects` tells
whether two questions differ in one: a subject of either that the other text lacks
as a word. Korean has no case: Hangul names are left to the changed-word guard (two
different words are different questions), Latin acronyms inside Korean text
("FOB란") are subjects as in English.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

# a Latin word or code: letters and digits, with symbols allowed inside (DVD+R, os.path, C++, a/b)
_TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F](?:[A-Za-z0-9\u00C0-\u024F'+#_./:-]*[A-Za-z0-9\u00C0-\u024F+#])?")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$")
_INNER_SYMBOL = re.compile(r"[+#_./:-]")
_DIGIT = re.compile(r"\d")
_LETTER = re.compile(r"[^\W\d_]")


def _tokens(text: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group()) for m in _TOKEN.finditer(text)]


def subjects_of(text: str) -> frozenset[str]:
    """The subject words of a question as written (case-folded): see the module docstring."""
    text = unicodedata.normalize("NFKC", text)  # full-width letters ("ＦＯＢ") as plain ones
    tokens = _tokens(text)
    if not tokens:
        return frozenset()
    letters = [t for _, t in tokens if t[:1].isalpha()]
    capital = sum(t[:1].isupper() for t in letters)
    shouting = sum(t.isupper() and len(t) > 1 for t in letters)
    words = max(len(letters), sum(1 for w in text.split() if _LETTER.search(w)))  # Hangul words count too
    case_says_nothing = bool(letters) and (shouting * 2 > words or capital * 3 > words * 2)
    found = set()
    for k, (start, token) in enumerate(tokens):
        if _DIGIT.search(token) or _INNER_SYMBOL.search(token.rstrip("+#")) or token.endswith(("+", "#")):
            found.add(token.casefold())
            continue
        if case_says_nothing or not token[:1].isalpha():
            continue
        rest = token[1:]
        if rest != rest.lower():  # a capital after the first letter
            found.add(token.casefold())
        elif token[:1].isupper() and k > 0 and not _SENTENCE_END.search(text, 0, start):
            found.add(token.casefold())
    return frozenset(found)


def words_of(normalized: str) -> frozenset[str]:
    """The Latin words and codes of a normalized (case-folded) text, as subjects are spelled."""
    return frozenset(t for _, t in _tokens(normalized))


def differing_subjects(subjects_a: frozenset[str], words_b: frozenset[str], subjects_b: frozenset[str],
                       words_a: frozenset[str]) -> bool:
    """Whether either text has a subject the other does not have as a word (then they ask different things)."""
    return bool(subjects_a - words_b) or bool(subjects_b - words_a)


class SubjectIndex:
    """Subjects of distinct normalized texts, from the raw questions asking them, computed only when asked.

    `raw[p]` is a question as written and `text_of[p]` the distinct text it normalizes to;
    a text's subjects are the union over its raw forms.
    """

    def __init__(self, raw: Sequence[str], text_of: np.ndarray) -> None:
        self.raw = raw
        self.text_of = np.asarray(text_of, dtype=np.int64)
        self._subjects: dict[int, frozenset[str]] = {}

    def subjects(self, texts: np.ndarray) -> dict[int, frozenset[str]]:
        wanted = np.setdiff1d(np.unique(texts), np.fromiter(self._subjects, dtype=np.int64,
                                                            count=len(self._subjects)))
        if wanted.size:
            found: dict[int, set[str]] = {int(t): set() for t in wanted.tolist()}
            for p in np.flatnonzero(np.isin(self.text_of, wanted)).tolist():
                found[int(self.text_of[p])] |= subjects_of(self.raw[p])
            self._subjects.update({t: frozenset(s) for t, s in found.items()})
        return self._subjects

    def same_subjects(self, texts: Sequence[str], pairs: np.ndarray) -> np.ndarray:
        """Per pair of distinct texts (indexes into `texts`, normalized), whether they share every subject."""
        if not len(pairs):
            return np.ones(0, dtype=bool)
        subjects = self.subjects(pairs.ravel())
        words: dict[int, frozenset[str]] = {}
        out = np.ones(len(pairs), dtype=bool)
        for k, (a, b) in enumerate(pairs.tolist()):
            sa, sb = subjects[a], subjects[b]
            if not sa and not sb:
                continue
            wa = words.get(a) or words.setdefault(a, words_of(texts[a]))
            wb = words.get(b) or words.setdefault(b, words_of(texts[b]))
            out[k] = not differing_subjects(sa, wb, sb, wa)
        return out
