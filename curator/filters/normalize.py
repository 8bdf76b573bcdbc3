"""Text normalization shared by every filter: what counts as "the same question".

Exact duplicates compare the normalized form: Unicode NFKC (full-width letters and
digits, circled option numbers and compatibility jamo fold to their plain forms),
case-folded, control characters treated as spaces, whitespace collapsed. Numbers
and exam options are kept on purpose: exam questions that differ in one number are
different questions.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable


# Every C0/C1 control except the ones str.split() already treats as whitespace.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff]")
NUMBER_PATTERN = r"\d+(?:[.,]\d+)*"
_NUMBERS = re.compile(NUMBER_PATTERN)


def normalize(text: str | None) -> str:
    """The canonical form of a question or answer (NFKC, case-folded, controls as spaces, whitespace collapsed)."""
    if not text:
        return ""
    folded = unicodedata.normalize("NFKC", text).casefold()
    if not folded.isascii() or not folded.isprintable():
        folded = _CONTROLS.sub(" ", folded)
    return " ".join(folded.split())


def answer_key(text: str | None) -> str:
    """What two answers must share to be the same answer: normalized, punctuation dropped, spaces collapsed.

    Only answers equal under this key make a pair a duplicate (dropped from versions);
    any other difference, even one word ("DVD+R"/"DVD-R" aside, "Network DataBase
    Management System" against "DataBase Management System"), makes it a conflict
    that a person looks at.
    """
    folded = normalize(text)
    if not folded:
        return ""
    kept = "".join(" " if unicodedata.category(ch).startswith("P") and ch not in "+#%" else ch for ch in folded)
    return " ".join(kept.split())


def normalize_all(texts: Iterable[str | None]) -> list[str]:
    return [normalize(t) for t in texts]


def numbers_of(normalized: str) -> str:
    """The numbers a text mentions, in order, as one key: two questions whose keys differ are different questions."""
    return " ".join(_NUMBERS.findall(normalized))


def text_hash(text: str) -> str:
    """A short stable hash of a text, kept with scores so a later run sees whether the text changed."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=10).hexdigest()
