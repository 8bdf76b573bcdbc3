"""Paragraph and sentence spans of a text, and a cheap token estimate, for Korean and English alike.

Spans are (start, end) offsets into the original string, never copies with
changed whitespace, so a chunk built from them is exactly `text[start:end]`.

A page holds hundreds of sentences and chunk planning runs for every stored
page, so `sentences` finds them with array arithmetic over the whole text's
code points instead of a Python loop per sentence. The result is the same as
splitting each paragraph on sentence ends and trimming each piece: inside a
paragraph break the only sentence ends are its line breaks, and the pieces
between them are whitespace, which trimming drops.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_HANGUL_RUN = re.compile("[\uac00-\ud7a3]+")
_HANGUL_FIRST, _HANGUL_COUNT = 0xAC00, 0xD7A3 - 0xAC00 + 1
# A sentence ends at . ! ? (and CJK full stops), possibly followed by closing quotes or
# brackets, then whitespace; or at a single line break (list items, subtitles, table rows).
_END_MARKS = ".!?。？！…"
_CLOSERS = "\"'”’)]」』"
# What each code point is to the sentence splitter, one look-up per character: whitespace (as str.isspace()
# says), an end mark, a closer. All of them lie below U+FFFF, which stands for every code point from it up.
_SPACE, _MARK, _CLOSER = 1, 2, 4
_CLASS_CEILING = 0xFFFF
_CLASS = np.zeros(_CLASS_CEILING + 1, dtype=np.uint8)
_CLASS[[c for c in range(_CLASS_CEILING) if chr(c).isspace()]] = _SPACE
_CLASS[[ord(c) for c in _END_MARKS]] = _MARK
_CLASS[[ord(c) for c in _CLOSERS]] = _CLOSER


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
    return _tokens(hangul, len(text))


def _tokens(hangul: int, length: int) -> int:
    return max(1, math.ceil(hangul / 1.5 + (length - hangul) / 4))


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Non-blank paragraphs (separated by blank lines) of text[start:end], whitespace trimmed."""
    end = len(text) if end is None else end
    spans, pos = [], start
    for m in _PARAGRAPH_BREAK.finditer(text, start, end):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    return [s for s in (_trim(text, a, b) for a, b in spans) if s]


@dataclass(frozen=True)
class Sentences:
    """The sentences of one text as parallel lists, none longer than the max_tokens it was built with.

    `hangul_before[i]` counts the Hangul syllables in text[:i], so the token
    estimate of any span is two look-ups (`tokens_between`).
    """

    starts: list[int]
    ends: list[int]
    tokens: list[int]
    paragraphs: list[int]
    hangul_before: np.ndarray

    def __len__(self) -> int:
        return len(self.starts)

    def tokens_between(self, start: int, end: int) -> int:
        """estimate_tokens(text[start:end]) for a non-empty span."""
        return _tokens(int(self.hangul_before[end] - self.hangul_before[start]), end - start)

    def spans(self) -> list[Span]:
        return [Span(*u) for u in zip(self.starts, self.ends, self.tokens, self.paragraphs)]


def sentences(text: str, max_tokens: int) -> Sentences:
    """Every sentence of the text with its token estimate and paragraph number; longer ones cut by split_long."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    classes = _CLASS.take(points, mode="clip")  # "clip": a code point beyond the table reads its last entry
    hangul_before = _running_count((points - _HANGUL_FIRST) < _HANGUL_COUNT)
    solid_before = _running_count(classes != _SPACE)
    ends_at = sentence_ends(points, classes)
    piece_starts = np.concatenate(([0], ends_at))
    piece_ends = np.concatenate((ends_at, [len(points)]))
    kept = solid_before[piece_ends] > solid_before[piece_starts]
    # Trimming: a piece starts at its first non-space character, the one that raises the running count
    # of non-space characters above its value at the piece's start, and ends where that count last rises.
    starts = np.searchsorted(solid_before, solid_before[piece_starts[kept]] + 1) - 1
    ends = np.searchsorted(solid_before, solid_before[piece_ends[kept]])
    paragraphs = np.searchsorted(_paragraph_starts(text, solid_before), starts, side="right") - 1
    hangul = hangul_before[ends] - hangul_before[starts]
    tokens = np.maximum(1, np.ceil(hangul / 1.5 + (ends - starts - hangul) / 4)).astype(np.int64)
    table = Sentences(starts.tolist(), ends.tolist(), tokens.tolist(), paragraphs.tolist(), hangul_before)
    if tokens.size and int(tokens.max()) > max_tokens:
        table = _split_long_sentences(text, table, max_tokens)
    return table


def _paragraph_starts(text: str, solid_before: np.ndarray) -> np.ndarray:
    """Where each paragraph of `paragraph_spans(text)` starts, trimmed the same way as the sentences above."""
    breaks = np.array([m.span() for m in _PARAGRAPH_BREAK.finditer(text)], dtype=np.int64).reshape(-1, 2)
    piece_starts = np.concatenate(([0], breaks[:, 1]))
    piece_ends = np.concatenate((breaks[:, 0], [len(text)]))
    kept = solid_before[piece_ends] > solid_before[piece_starts]  # blank pieces are no paragraphs
    return np.searchsorted(solid_before, solid_before[piece_starts[kept]] + 1) - 1


def _running_count(mask: np.ndarray) -> np.ndarray:
    """counts[i] = how many of mask[:i] are true (int32: a text is far below 2**31 characters)."""
    counts = np.zeros(len(mask) + 1, dtype=np.int32)
    np.cumsum(mask, dtype=np.int32, out=counts[1:])
    return counts


def sentence_ends(points: np.ndarray, classes: np.ndarray) -> np.ndarray:
    r"""Where each sentence end ends, in order, from a text's code points and their classes (_CLASS).

    The ends are those of the regular expression
    `[.!?。？！…]+["'”’)\]」』]*(?=\s)|\n` scanning the text: a run of end
    marks ends a sentence (with the closers right after it) only when
    whitespace follows the closers, and no shorter match inside the run
    exists, since it would be followed by a mark or a closer. Every line
    break ends one on its own.
    """
    n = len(points)
    after = _run_ends(classes == _MARK)
    closer_ends = _run_ends(classes == _CLOSER)
    closed = after < n
    closed[closed] = classes[after[closed]] == _CLOSER
    after[closed] = closer_ends[np.searchsorted(closer_ends, after[closed], side="right")]
    ended = after < n
    ended[ended] = classes[after[ended]] == _SPACE
    line_ends = np.flatnonzero(points == 0x0A) + 1
    return np.sort(np.concatenate((after[ended], line_ends)))


def _run_ends(mask: np.ndarray) -> np.ndarray:
    """Where each run of true values in the mask ends (the index just past it), in order."""
    ends = np.flatnonzero(mask[:-1] & ~mask[1:]) + 1
    return np.append(ends, len(mask)) if mask.size and mask[-1] else ends


def _split_long_sentences(text: str, table: Sentences, max_tokens: int) -> Sentences:
    starts, ends, tokens, paragraphs = [], [], [], []
    for start, end, cost, paragraph in zip(table.starts, table.ends, table.tokens, table.paragraphs):
        pieces = [(start, end)] if cost <= max_tokens else split_long(text, start, end, max_tokens)
        for a, b in pieces:
            starts.append(a)
            ends.append(b)
            tokens.append(table.tokens_between(a, b))
            paragraphs.append(paragraph)
    return Sentences(starts, ends, tokens, paragraphs, table.hangul_before)


def sentence_units(text: str, max_tokens: int) -> list[Span]:
    """Every sentence of the text as a Span with its paragraph number; none longer than max_tokens."""
    return sentences(text, max_tokens).spans()


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


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None
