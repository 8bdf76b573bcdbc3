"""The markdown trafilatura writes for the tree it extracted, written at a fraction of its cost for common blocks.

`trafilatura.extract(..., output_format="markdown")` spends about a third of
a page's extraction turning its tree into markdown, and most of that goes to
reading every text node again in each of half a dozen passes (lxml decodes a
node's text from UTF-8 on every read). Most of what pages hold is plain
paragraphs, headings, flat lists and tables; for those blocks `tree_markdown`
writes the same markdown in one read of each text. Any other block (quotes
with markup, inline formatting, line breaks, nested lists, code, anything
holding a backslash) goes to trafilatura's own serializer block by block, and
a tree whose shape this module does not vouch for goes there whole.

The equivalence rests on how trafilatura's serializer behaves, so tests hold
the two outputs equal on generated trees and on real pages. What it relies
on: a top-level block renders the same whatever came before it, once the
output so far ends a line; a block's markdown ends with a line of its own
that the final clean-up turns into a blank line; that clean-up (`sanitize`,
then HTML unescaping) works line by line, so blocks cleaned in runs and
joined by a newline read as if cleaned together.
"""

from __future__ import annotations

import re
from html import unescape
from unicodedata import normalize

from lxml.etree import _Element
from trafilatura.utils import sanitize
from trafilatura.xml import xmltotxt

# Block-level tags trafilatura puts directly under the extracted body, rendered one after another.
_BLOCKS = frozenset(("p", "head", "quote", "list", "table"))
# trafilatura's serializer ends each block with this line; its clean-up turns the line into a blank one.
_BLOCK_END = "\n\u2424\n"
# CommonMark's inline syntax characters, escaped wherever they stand in prose.
_INLINE_SPECIAL = re.compile(r"[*_`~\[\]<]")
# A line opening with a heading, quote, bullet or ordered-list marker; the escape goes before the marker
# (before the delimiter after an ordered list's number).
_BLOCK_MARKER = re.compile(r"( {0,3})(?:(#{1,6})(?=[ \t]|$)|(>)|([-+])(?=[ \t]|$)|\d{1,9}(?=[.)](?:[ \t]|$)))")
_HEADING_LEVELS = frozenset("123456")


def tree_markdown(body: _Element) -> str:
    """`xmltotxt(body, include_formatting=True)`, the markdown of trafilatura's extracted body."""
    if body.text or any(block.tag not in _BLOCKS or _has_text(block.tail) for block in body):
        return xmltotxt(body, True)
    pieces: list[str] = []
    run: list[str] = []  # raw markdown of consecutive plain blocks, cleaned together
    for block in body:
        raw = _plain_block(block)
        if raw is not None:
            run.append(raw)
            continue
        if run:
            pieces.append(_clean("".join(run)))
            run = []
        pieces.append(xmltotxt(block, True))
    if run:
        pieces.append(_clean("".join(run)))
    # Every piece holds at least its last block's closing line, so joining the cleaned pieces by a newline
    # gives what cleaning them together would, even for a piece that cleans to "".
    return "\n".join(pieces)


def document_markdown(body: _Element, comments: _Element | None) -> str:
    """What `trafilatura.extract` returns for markdown output without metadata, from the extracted document."""
    text = tree_markdown(body)
    if comments is not None:
        text = f"{text}\n{xmltotxt(comments, True)}".strip()
    return normalize("NFC", text)


def _clean(raw: str) -> str:
    return unescape(sanitize(raw, True) or "")


def _has_text(text: str | None) -> bool:
    return bool(text) and not text.isspace()


def _plain_text(text: str | None) -> bool:
    # A backslash may open LaTeX math or be an escape already, which trafilatura's serializer treats specially.
    return _has_text(text) and "\\" not in text


def _escape_inline(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\g<0>", text)


def _escape_block_start(text: str) -> str:
    m = _BLOCK_MARKER.match(text)
    if m is None:
        return text
    at = len(m.group(1)) if m.lastindex and m.lastindex > 1 else m.end()
    return f"{text[:at]}\\{text[at:]}"


def _plain_block(block: _Element) -> str | None:
    """The raw markdown of a block of plain text, before the clean-up; None for any other block."""
    tag = block.tag
    if tag in ("p", "quote", "head"):
        text = block.text
        if len(block) or not _plain_text(text):
            return None
        text = _escape_inline(text.strip())
        if tag == "head":
            level = block.get("rend") or ""
            return f"{'#' * (int(level[1]) if level[1:2] in _HEADING_LEVELS else 2)} {text}{_BLOCK_END}"
        return f"{_escape_block_start(text)}{_BLOCK_END}"
    if tag == "list":
        return _plain_list(block)
    if tag == "table":
        return _plain_table(block)
    return None


def _plain_list(block: _Element) -> str | None:
    if block.text is not None or not len(block):
        return None
    numbered = block.get("rend") == "ol"
    lines = []
    for number, item in enumerate(block, start=1):
        text = item.text
        if item.tag != "item" or len(item) or not _plain_text(text) or _has_text(item.tail):
            return None
        marker = f"{number}. " if numbered else "- "
        lines.append(f"{marker}{_escape_block_start(_escape_inline(text))}\n")
    return f"{''.join(lines)}\n{_BLOCK_END}"


def _plain_table(block: _Element) -> str | None:
    if block.text is not None:
        return None
    lines = []
    for row in block:
        if row.tag != "row" or row.text is not None or _has_text(row.tail):
            return None
        cells, head = [], False
        for cell in row:
            text = cell.text
            if cell.tag != "cell" or len(cell) or _has_text(cell.tail) or (text and "\\" in text):
                return None
            head = head or cell.get("role") == "head"
            cells.append(_escape_inline(text).strip().replace("|", "\\|").replace("\n", " ") if text else "")
        line = f"| {' | '.join(cells)} | " if cells else ""
        rule = f"\n|{'---|' * len(cells)}\n" if head else ""
        lines.append(f"{line}{rule}\n")
    return f"{''.join(lines)}\n{_BLOCK_END}"
