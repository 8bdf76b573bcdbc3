"""Text metrics for generated answers: normalized exact match, ROUGE-L that works for Korean, error classes.

Korean words carry particles and endings ("신용장이란", "신용장은"), so word-level
ROUGE-L undercounts matches; here any whitespace word holding Hangul, kana or CJK
ideographs is split into its syllables/characters, while Latin words stay whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """NFKC, lower case, punctuation and symbols removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    text = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in text)
    return _SPACES.sub(" ", text).strip()


def exact_match(prediction: str, reference: str) -> bool:
    return normalize(prediction) == normalize(reference) and bool(normalize(reference))


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (0xAC00 <= code <= 0xD7A3 or 0x1100 <= code <= 0x11FF or 0x3130 <= code <= 0x318F
            or 0x3040 <= code <= 0x30FF or 0x4E00 <= code <= 0x9FFF)


def rouge_tokens(text: str) -> list[str]:
    """Latin words whole; words with Hangul/CJK characters split into characters."""
    tokens: list[str] = []
    for word in normalize(text).split():
        if any(_is_cjk(ch) for ch in word):
            tokens.extend(word)
        else:
            tokens.append(word)
    return tokens


def _lcs(a: list[str], b: list[str]) -> int:
    if not a or not b:
        return 0
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b, start=1):
            current.append(previous[j - 1] + 1 if x == y else max(previous[j], current[j - 1]))
        previous = current
    return previous[-1]


def rouge_l(prediction: str, reference: str) -> float:
    """ROUGE-L F1 (beta = 1) over rouge_tokens."""
    p, r = rouge_tokens(prediction), rouge_tokens(reference)
    common = _lcs(p, r)
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def is_repetitive(text: str, times: int = 3) -> bool:
    """A word trigram occurring `times` or more times; for text without spaces, a 6-character run instead."""
    words = _WORDS.findall((text or "").lower())
    grams = Counter(tuple(words[i:i + 3]) for i in range(len(words) - 2))
    if grams and grams.most_common(1)[0][1] >= times:
        return True
    compact = _SPACES.sub("", text or "")
    if len(words) < 6 and len(compact) >= 6 * times:
        runs = Counter(compact[i:i + 6] for i in range(len(compact) - 5))
        return runs.most_common(1)[0][1] >= times
    return False


def error_classes(prediction: str, reference: str, hit_limit: bool) -> list[str]:
    """empty, unfinished (stopped by max_new_tokens), too_long (over 3x the reference and 100 chars), repetitive."""
    text = (prediction or "").strip()
    if not text:
        return ["empty"]
    found = []
    if hit_limit:
        found.append("unfinished")
    if len(text) > max(100, 3 * len(reference.strip())):
        found.append("too_long")
    if is_repetitive(text):
        found.append("repetitive")
    return found
