"""The text the extraction model reads for a chunk: the stored text without Markdown noise.

A chunk's stored text is a span of its document, kept as extracted (the
Markdown trafilatura writes, with its escapes), so offsets into it stay valid
and the document is what the page said. The model reads a cleaned copy:

- Markdown escapes are undone in prose and identifiers (`set\\_usage()`
  becomes `set_usage()`, `\\*args` becomes `*args`): the model copies its
  evidence from what it reads, and would otherwise quote or answer with the
  backslashes. An escape stays where the Markdown needs it: a `#`, `>`, `-`,
  `+`, `*` or a number's `.` at the start of a line (it would become a
  heading, quote or list item), `|` in a table row, and `[` `]` in a line
  that has a link (`](`).
- Code spans and fenced code blocks are left exactly as they are, including a
  block opened at the end of a line of text and the rest of a long block a
  chunk starts in (see `_starts_inside_code`). On the Python documentation's
  7,602 chunks no fenced block is changed and no escaped identifier is left.
- A permalink mark (`¶`, `§`) ending a heading or a line is dropped (pages
  stored before the HTML reader dropped them still carry it).

`ModelText.source_offset` maps an offset in the cleaned text back to the
stored chunk text, so the evidence the model quotes is grounded on the
stored span the reviewer sees.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

# What the Markdown writer (and trafilatura) escape: CommonMark's inline syntax characters anywhere, block markers
# at a line's start (the "." or ")" after an ordered item's number).
_ESCAPABLE = set("*_`~[]<#>-+.)|\\")
_LINE_START_MARKS = set("#>-+*|=")
_PERMALINK = re.compile(r"[ \t]*[¶§](?=[ \t]*(?:\n|$))")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})", re.MULTILINE)


@dataclass(frozen=True)
class ModelText:
    text: str
    # Pieces of the stored text copied unchanged: (start in text, start in the stored chunk), sorted.
    _pieces: tuple[tuple[int, int], ...]

    def source_offset(self, offset: int) -> int:
        """The offset in the stored chunk text of `offset` in `text` (an end offset maps to the end)."""
        if not self._pieces:
            return offset
        k = max(0, bisect.bisect_right([p[0] for p in self._pieces], offset) - 1)
        start, source = self._pieces[k]
        return source + (offset - start)


def model_text(stored: str) -> ModelText:
    """The cleaned text of a stored chunk (see the module doc), with the map back to it."""
    drops = sorted(_drops(stored))
    if not drops:
        return ModelText(stored, ((0, 0),))
    out: list[str] = []
    pieces: list[tuple[int, int]] = []
    pos = length = 0
    for start, end in drops:
        if start < pos:
            continue
        if start > pos:
            pieces.append((length, pos))
            out.append(stored[pos:start])
            length += start - pos
        pos = end
    pieces.append((length, pos))
    out.append(stored[pos:])
    return ModelText("".join(out), tuple(pieces))


def _drops(stored: str) -> list[tuple[int, int]]:
    """Spans of the stored text to leave out: escaping backslashes and permalink marks, outside code."""
    drops: list[tuple[int, int]] = []
    for start, end in _prose_spans(stored):
        segment = stored[start:end]
        for m in _PERMALINK.finditer(segment):
            drops.append((start + m.start(), start + m.end()))
        i = segment.find("\\")
        while i >= 0:
            nxt = segment[i + 1:i + 2]
            if nxt and nxt in _ESCAPABLE and _unescape_here(stored, start + i, nxt):
                drops.append((start + i, start + i + 1))
                i = segment.find("\\", i + 2)  # the escaped character itself is kept, even a backslash
            else:
                i = segment.find("\\", i + 1)
    return drops


def _unescape_here(text: str, at: int, char: str) -> bool:
    line_start = text.rfind("\n", 0, at) + 1
    line_end = text.find("\n", at)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    before = text[line_start:at]
    if not before.strip() and char in _LINE_START_MARKS:
        return False  # "\#", "\-", "\>" ... at the start of a line would become Markdown
    if char in ".)" and before.strip().isdigit():
        return False  # "1\." at a line's start would become a numbered item
    if char == "|" and line.lstrip().startswith("|"):
        return False  # a pipe inside a table cell
    return not (char in "[]" and "](" in line)  # brackets inside a line with a link stay escaped


def _prose_spans(text: str) -> list[tuple[int, int]]:
    """The parts of the text outside fenced code blocks and inline code spans.

    Fences are read line by line as the chunker reads them: a line that is a
    fence opens or closes a block, and a line of text ending in an odd number
    of fences opens one (trafilatura writes a code block found inside a
    paragraph that way: "... and then calls ```").
    """
    outside: list[tuple[int, int]] = []
    inside = _starts_inside_code(text)
    prose_start = None if inside else 0
    pos = 0
    while pos <= len(text):
        line_end = text.find("\n", pos)
        line_end = len(text) if line_end < 0 else line_end
        line = text[pos:line_end]
        stripped = line.strip()
        if inside:
            if stripped[:3] in ("```", "~~~") and not stripped.strip(stripped[0]):
                inside, prose_start = False, line_end
        elif _FENCE.match(line):
            outside.append((prose_start, pos))
            inside = True
        elif "```" in line and stripped.endswith("```") and line.count("```") % 2 == 1:
            outside.append((prose_start, line_end - len(line) + len(line.rstrip()) - 3))
            inside = True
        pos = line_end + 1
    if not inside:
        outside.append((prose_start, len(text)))
    spans: list[tuple[int, int]] = []
    for start, end in outside:
        spans.extend(_outside_code_spans(text, start, end))
    return spans


def _starts_inside_code(text: str) -> bool:
    """Whether a chunk begins inside a fenced code block (one longer than a chunk, cut between its lines).

    Seen from the chunk alone: an odd number of fence lines, the chunk not
    starting with one, and the first one right under a line of text with no
    opener before it. The Markdown writer puts a blank line or a heading
    before an opening fence and the code's last line right above a closing one.
    """
    fences = list(_FENCE.finditer(text))
    if len(fences) % 2 == 0 or fences[0].start() == 0:
        return False
    before = text[:fences[0].start()]
    if before.count("```") % 2 == 1:
        return False  # a fence opened at the end of a line of text: the first fence line closes that one
    before = before.rstrip(" \t")
    return before.endswith("\n") and not before.endswith("\n\n") and bool(before.strip())


_CODE_SPAN = re.compile(r"(?<!\\)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)


def _outside_code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, pos = [], start
    for m in _CODE_SPAN.finditer(text, start, end):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    return [(a, b) for a, b in spans if b > a]
