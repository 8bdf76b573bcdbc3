"""Paragraph, block and sentence spans of a text, and a cheap token estimate, for Korean and English alike.

Spans are (start, end) offsets into the original string, never copies with
changed whitespace, so a chunk built from them is exactly `text[start:end]`.

The text is first read as Markdown blocks, line by line: fenced code blocks,
tables, list items and headings are units of their own and are never cut
into sentences (a chunk boundary falls between them, not inside them, unless
one alone is longer than a chunk). The remaining prose is split into
sentences by `sentencex` (Wikimedia's rule-based segmenter, MIT, with
abbreviation lists for English and Korean among ~300 languages) after its
hard-wrapped lines are joined: a single line break inside a paragraph is not a
sentence end. On the Python documentation (benchmarks/chunks.py) it was the
most accurate of pysbd, blingfire, syntok and sentencex on abbreviations
("e.g.", "cf.", "vs.", "Mr.") and the fastest (about 10 MB/s, a compiled
extension; pysbd reads 0.2 MB/s).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import sentencex

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_HANGUL_RUN = re.compile("[\uac00-\ud7a3]+")
_HANGUL_FIRST, _HANGUL_COUNT = 0xAC00, 0xD7A3 - 0xAC00 + 1
_FENCE = re.compile(r"[ \t]{0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}(?:[ \t]|$)")
_ITEM = re.compile(r"[ \t]*(?:[-*+•]|\d{1,9}[.)])(?:[ \t]|$)")
_QUOTE = re.compile(r"[ \t]{0,3}>")
_TABLE_ROW = re.compile(r"[ \t]*\|")
# A line this short (in columns, a Hangul syllable counting two) that ends without punctuation is a title or a
# label, not a hard-wrapped line: hard-wrapped prose fills its lines to the wrap width (70-80 columns) except
# the last one, so a short line followed by one that does not start in lower case ends a unit of its own.
_SHORT_LINE = 40
_CONTINUES = ",;:([{-–—/&"
# What any sentence end holds: an end mark (a block without one before its last character is one sentence).
_MAY_END = re.compile("[.!?。？！…]")
# The first characters of the lines that may open a block (fence, heading, table row, item, quote).
_MARKERS = frozenset("`~#|-*+•>0123456789")
_END_MARKS = ".!?。？！…\"'”’)]」』"

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
    """Every sentence and block of the text with its token estimate and paragraph number, in order.

    Prose gives one unit per sentence; a code block, a table, a list item or a
    heading gives one unit (a table or code block longer than max_tokens is cut
    between its lines, a longer list item between its sentences). A unit still
    longer than max_tokens is cut at spaces by split_long.
    """
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    hangul_before = _running_count((points - _HANGUL_FIRST) < _HANGUL_COUNT)
    starts: list[int] = []
    ends: list[int] = []
    for kind, start, end in blocks(text):
        if kind == "prose":
            pieces = _prose_sentences(text, start, end)
        elif kind == "heading" or _cost(hangul_before, start, end) <= max_tokens:
            pieces = ((start, end),)
        elif kind in ("table", "code"):
            pieces = _line_groups(text, start, end, hangul_before, max_tokens)
        else:  # a list item or quote longer than a chunk: between its sentences
            pieces = _prose_sentences(text, start, end)
        for a, b in pieces:
            starts.append(a)
            ends.append(b)
    start_array = np.array(starts, dtype=np.int64)
    end_array = np.array(ends, dtype=np.int64)
    hangul = hangul_before[end_array] - hangul_before[start_array]
    tokens = np.maximum(1, np.ceil(hangul / 1.5 + (end_array - start_array - hangul) / 4)).astype(np.int64)
    paragraph_starts = np.array([a for a, _ in paragraph_spans(text)], dtype=np.int64)
    paragraphs = np.maximum(np.searchsorted(paragraph_starts, start_array, side="right") - 1, 0)
    table = Sentences(starts, ends, tokens.tolist(), paragraphs.tolist(), hangul_before)
    if tokens.size and int(tokens.max()) > max_tokens:
        table = _split_long_sentences(text, table, max_tokens)
    return table


def _split_long_sentences(text: str, table: Sentences, max_tokens: int) -> Sentences:
    """The table with every unit longer than max_tokens cut by split_long."""
    starts, ends, tokens, paragraphs = [], [], [], []
    for start, end, cost, paragraph in zip(table.starts, table.ends, table.tokens, table.paragraphs):
        for a, b in [(start, end)] if cost <= max_tokens else split_long(text, start, end, max_tokens):
            starts.append(a)
            ends.append(b)
            tokens.append(table.tokens_between(a, b))
            paragraphs.append(paragraph)
    return Sentences(starts, ends, tokens, paragraphs, table.hangul_before)


def blocks(text: str) -> list[tuple[str, int, int]]:
    """The Markdown blocks of a text as (kind, start, end), whitespace trimmed, in order.

    Kinds: "code" (a fenced block with its fences), "table" (consecutive rows
    starting with "|"), "item" (a list item with its continuation lines),
    "heading", "quote" and "prose" (a paragraph's lines, hard wraps and all).
    Plain text without Markdown is prose; a short line without a final mark
    that is followed by one not starting in lower case ends its block (a
    title or a label, see _SHORT_LINE).
    """
    found: list[tuple[str, int, int]] = []
    kind, start, end = "", 0, 0  # the open block; kind "" when none
    fence = ""
    pos, n = 0, len(text)

    def close() -> None:
        nonlocal kind
        if kind:
            span = _trim(text, start, end)
            if span:
                found.append((kind, *span))
        kind = ""

    while pos <= n:
        line_end = text.find("\n", pos)
        if line_end < 0:
            line_end = n
        line = text[pos:line_end]
        first = line.lstrip(" \t")[:1]
        if fence:
            end = line_end
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = ""
                if kind == "code":
                    close()
        elif not first:
            close()
        elif first not in _MARKERS:  # most lines: plain text, no pattern to try
            if kind not in ("prose", "item", "quote") or (kind == "prose" and _ends_a_label(text, start, end, line)):
                close()
                kind, start = "prose", pos
            end = line_end
            if "```" in line and _opens_inline_fence(line):
                fence = "```"
        elif m := _FENCE.match(line):
            close()
            kind, start, end, fence = "code", pos, line_end, m.group(1)
        elif _HEADING.match(line):
            close()
            kind, start, end = "heading", pos, line_end
            close()
        elif _TABLE_ROW.match(line):
            if kind != "table":
                close()
                kind, start = "table", pos
            end = line_end
        else:
            if _ITEM.match(line) or (_QUOTE.match(line) and kind != "quote"):
                close()
                kind, start = ("item" if _ITEM.match(line) else "quote"), pos
            elif kind not in ("prose", "item", "quote") or (kind == "prose" and _ends_a_label(text, start, end, line)):
                close()
                kind, start = "prose", pos
            end = line_end
            if "```" in line and _opens_inline_fence(line):
                fence = "```"  # a code block opened at the end of a line of text: the text goes on after it
        pos = line_end + 1
    close()
    return found


def _opens_inline_fence(line: str) -> bool:
    """A line of text ending in an opening fence ("... and then calls ```"), as trafilatura writes a code
    block found inside a paragraph."""
    return line.rstrip().endswith("```") and line.count("```") % 2 == 1


def _ends_a_label(text: str, start: int, end: int, next_line: str) -> bool:
    """Whether the last line of text[start:end] is a title or label line that the next line does not continue."""
    line_start = text.rfind("\n", start, end)
    last = text[line_start + 1 if line_start >= 0 else start:end].strip()
    if not last or last[-1] in _END_MARKS or last[-1] in _CONTINUES:
        return False
    first = next_line.lstrip()[:1]
    if not first or first.islower():
        return False
    columns = len(last) + sum(map(len, _HANGUL_RUN.findall(last)))  # a Hangul syllable is two columns wide
    return columns < _SHORT_LINE



def _prose_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of one prose block, its line breaks read as spaces (the hard wraps are joined)."""
    block = text[start:end].replace("\n", " ")  # same length: offsets stay those of the text
    if not _MAY_END.search(block, 0, len(block) - 1):
        return [(start, end)]  # no end mark before its last character: one sentence, no need to ask
    language = "ko" if _HANGUL_RUN.search(block) else "en"
    spans, pos = [], 0
    for piece in sentencex.segment(language, block):
        piece = piece.strip()
        if not piece:
            continue
        at = block.find(piece, pos)
        if at < 0:  # the segmenter changed the text: keep the rest as one sentence rather than guess
            break
        spans.append((start + at, start + at + len(piece)))
        pos = at + len(piece)
    rest = _trim(text, start + pos, end)
    if rest:
        spans.append(rest)
    return spans


def _line_groups(text: str, start: int, end: int, hangul_before: np.ndarray,
                 max_tokens: int) -> list[tuple[int, int]]:
    """A long table or code block cut between its lines into pieces of at most max_tokens (where lines allow)."""
    pieces, piece_start, last_end = [], start, start
    pos = start
    while pos < end:
        line_end = text.find("\n", pos, end)
        line_end = end if line_end < 0 else line_end
        if last_end > piece_start and _cost(hangul_before, piece_start, line_end) > max_tokens:
            pieces.append((piece_start, last_end))
            piece_start = pos
        last_end = line_end
        pos = line_end + 1
    pieces.append((piece_start, end))
    return [s for s in (_trim(text, a, b) for a, b in pieces) if s]


def _cost(hangul_before: np.ndarray, start: int, end: int) -> int:
    return _tokens(int(hangul_before[end] - hangul_before[start]), end - start)


def _running_count(mask: np.ndarray) -> np.ndarray:
    """counts[i] = how many of mask[:i] are true (int32: a text is far below 2**31 characters)."""
    counts = np.zeros(len(mask) + 1, dtype=np.int32)
    np.cumsum(mask, dtype=np.int32, out=counts[1:])
    return counts


def sentence_units(text: str, max_tokens: int) -> list[Span]:
    """Every sentence of the text as a Span with its paragraph number; none longer than max_tokens."""
    return sentences(text, max_tokens).spans()


def split_long(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut a span that alone exceeds max_tokens at line breaks or spaces (or anywhere, for text with none)."""
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
        # a line break in the second half of the piece is the better cut (lists of entries, code, table rows)
        newline = text.rfind("\n", pos + (limit - pos) // 2, limit)
        space = newline if newline > pos else text.rfind(" ", pos + 1, limit)
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
