"""Paragraph and sentence spans of a text, and a cheap token estimate, for Korean and English alike.

Spans are (start, end) offsets into the original string, never copies with
changed whitespace, so a chunk built from them is exactly `text[start:end]`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
# A sentence ends at . ! ? (and CJK full stops), possibly followed by closing quotes or
# brackets, then whitespace; or at a single line break (list items, subtitles, table rows).
_SENTENCE_END = re.compile(r"[.!?。？！…]+[\"'”’)\]」』]*(?=\s)|\n")
_HANGUL_RUN = re.compile("[\uac00-\ud7a3]+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    tokens: int
    paragraph: int


def estimate_tokens(text: str) -> int:
    """About how many tokens a text costs: a Hangul syllable ~ 1/1.5 token, other characters ~ 1/4."""
    if not text:
        return 0
    hangul = sum(map(len, _HANGUL_RUN.findall(text)))  # runs, not characters: the regex engine does the loop
    return max(1, math.ceil(hangul / 1.5 + (len(text) - hangul) / 4))


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Non-blank paragraphs (separated by blank lines) of text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s]


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of text[start:end], whitespace trimmed."""
    spans, pos = [], start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.end()))
        pos = m.end()
    spans.append((pos, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s]


def split_long(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut a span that alone exceeds max_tokens at spaces (or anywhere, for text with none)."""
    pieces, pos = [], start
    while pos < end:
        cost, limit = 0.0, pos
        while limit < end:
            cost += 1 / 1.5 if "\uac00" <= text[limit] <= "\ud7a3" else 0.25
            if cost > max_tokens:
                break
            limit += 1
        if limit >= end:
            pieces.append((pos, end))
            break
        space = text.rfind(" ", pos + 1, limit)
        cut = space if space > pos else max(limit, pos + 1)
        pieces.append((pos, cut))
        pos = cut
    return [s for s in (_trim(text, a, b) for a, b in pieces) if s]


def sentence_units(text: str, max_tokens: int) -> list[Span]:
    """Every sentence of the text as a Span with its paragraph number; none longer than max_tokens."""
    units: list[Span] = []
    for p, (ps, pe) in enumerate(paragraph_spans(text)):
        for ss, se in sentence_spans(text, ps, pe):
            tokens = estimate_tokens(text[ss:se])
            if tokens <= max_tokens:
                units.append(Span(ss, se, tokens, p))
                continue
            for a, b in split_long(text, ss, se, max_tokens):
                units.append(Span(a, b, estimate_tokens(text[a:b]), p))
    return units


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
