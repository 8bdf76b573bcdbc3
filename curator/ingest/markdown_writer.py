"""The markdown trafilatura writes for the tree it extracted, written at a fraction of its cost for common blocks.

`trafilatura.extract(..., output_format="markdown")` spends about a third of
a page's extraction turning its tree into markdown, and most of that goes to
reading every text node again in each of half a dozen passes (lxml decodes a
node's text from UTF-8 on every read). Most of what pages hold is paragraphs,
headings, quotes and flat list items (with bold, italics or code inside),
tables and code blocks; for those `tree_markdown` writes the same markdown in
one read of each text. Any other block (formatting inside table cells, nested
lists, line breaks, anything holding a backslash) goes to trafilatura's own
serializer block by block, and a tree whose shape this module does not vouch
for goes there whole.

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
from collections.abc import Callable
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
# What may end the output before a block for trafilatura's serializer to start the block on the same line.
_SEPARATORS = frozenset(" \n|")
# <hi rend=...> as markdown markers, or as HTML where markdown has none; runs of the first four merge.
_HI_MARKERS = {"#b": "**", "#i": "*", "#t": "`"}
_HI_HTML_TAGS = {"#sup": "sup", "#sub": "sub", "#u": "u"}
_MERGEABLE = frozenset(("#b", "#i", "#t", "#u"))
_BACKTICK_RUN = re.compile("`+")


def tree_markdown(body: _Element) -> str:
    """`xmltotxt(body, include_formatting=True)`, the markdown of trafilatura's extracted body."""
    if body.text or not all(_stands_alone(block) for block in body):
        return xmltotxt(body, True)
    pieces: list[str] = []
    run: list[str] = []  # raw markdown of consecutive plain blocks, cleaned together
    for block in body:
        raw = _plain_block(block)
        if raw is not None:
            # After a code span, trafilatura's serializer starts a block on a new line.
            if run and block.tag != "code" and run[-1][-1] not in _SEPARATORS:
                raw = f"\n{raw}"
            run.append(raw)
            continue
        if run:
            if run[-1][-1] != "\n":  # the next piece would continue this one's last line
                return xmltotxt(body, True)
            pieces.append(_clean("".join(run)))
            run = []
        pieces.append(xmltotxt(block, True))
    if run:
        pieces.append(_clean("".join(run)))
    # Every piece but a run's last ends a line, and every piece holds at least its last block's closing line,
    # so joining the cleaned pieces by a newline gives what cleaning them together would.
    return "\n".join(pieces)


def _stands_alone(block: _Element) -> bool:
    """Whether the block renders the same alone as after the blocks before it, given they end a line."""
    if block.tag == "code":  # code is no block to trafilatura: its tail and what follows stay on its line
        return not len(block) and bool(block.text) and not _has_text(block.tail)
    return block.tag in _BLOCKS and not _has_text(block.tail)


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
        return _paragraph(block) if len(block) else _plain_paragraph(block)
    if tag == "list":
        return _plain_list(block)
    if tag == "table":
        return _plain_table(block)
    if tag == "code":
        return f"{_inline_markup('code', '', block.text)}{block.tail or ''}"
    return None


def _heading_marker(block: _Element) -> str:
    level = block.get("rend") or ""
    return "#" * (int(level[1]) if level[1:2] in _HEADING_LEVELS else 2)


def _plain_paragraph(block: _Element) -> str | None:
    text = block.text
    if not _plain_text(text):
        return None
    text = _escape_inline(text.strip())
    if block.tag == "head":
        return f"{_heading_marker(block)} {text}{_BLOCK_END}"
    return f"{_escape_block_start(text)}{_BLOCK_END}"


def _paragraph(block: _Element) -> str | None:
    """A paragraph, heading or quote whose children are inline formatting or code holding plain text."""
    text = block.text or ""
    spans = _inline_spans(block)
    if spans is None or "\\" in text:
        return None
    text = _escape_inline(text.lstrip())
    spans[-1][3] = spans[-1][3].rstrip()
    if block.tag == "head":
        out = [f"{_heading_marker(block)} {text}" if text else f"{_heading_marker(block)} "]
    else:
        out = [_escape_block_start(text)]
    for tag, rend, inner, tail in spans:
        out.append(_inline_markup(tag, rend, inner))
        out.append(tail)
    out.append(_BLOCK_END)
    return "".join(out)


def _inline_spans(block: _Element) -> list[list[str]] | None:
    """[tag, rend, text, tail] of each inline child, escaped and merged as trafilatura's tree passes do it.

    None when a child is anything but formatting or code holding plain text.
    """
    spans: list[list[str]] = []
    for child in block:
        tag, inner, tail = child.tag, child.text, child.tail or ""
        rend = child.get("rend") or "" if tag == "hi" else ""
        # An inline element without text drops its tail in trafilatura's serializer: leave that to it.
        if tag not in ("hi", "code") or len(child) or not inner or "\\" in tail:
            return None
        if tag == "hi" and _HI_MARKERS.get(rend) != "`":
            if "\\" in inner:
                return None
            inner = _escape_inline(inner)
        spans.append([tag, rend, inner, _escape_inline(tail)])
    for i in range(len(spans) - 2, -1, -1):  # neighbouring runs of one emphasis read as one
        cur, nxt = spans[i], spans[i + 1]
        if cur[0] == nxt[0] == "hi" and cur[1] == nxt[1] and cur[1] in _MERGEABLE and not cur[3].strip():
            cur[2] += cur[3] + nxt[2]
            cur[3] = nxt[3]
            del spans[i + 1]
    return spans


def _list_item(item: _Element, marker: str) -> str | None:
    """One item of a flat list: text, inline formatting or code, or a mix; None for any other item."""
    text = item.text
    spans = _inline_spans(item)
    if spans is None or (text and "\\" in text):
        return None
    if not _has_text(text) and not any(_has_text(inner + tail) for _, _, inner, tail in spans):
        return None  # trafilatura gives an item with no text at all no marker: leave it to trafilatura
    out = [marker, _escape_block_start(_escape_inline(text)) if _has_text(text) else ""]
    for i, (tag, rend, inner, tail) in enumerate(spans):
        out.append(_inline_markup(tag, rend, inner))
        if not tail:
            continue
        # Inside an item trafilatura trims a tail to one space either side, and only where a space was.
        core = tail.strip()
        if core and tail[0].isspace():
            core = f" {core}"
        if tail[-1].isspace() and i + 1 < len(spans):
            core += " "
        if core[:1] == " " and out[-1][-1:] in _SEPARATORS:
            core = core[1:]
        out.append(core)
    out.append("\n")
    return "".join(out)


def _inline_markup(tag: str, rend: str, text: str) -> str:
    if tag == "code":
        if "\n" in text:
            fence = _code_fence(text, 3)
            return f"{fence}\n{text}\n{fence}\n"
        return _wrap(text, _code_span)
    marker = _HI_MARKERS.get(rend)
    if marker == "`":
        return _wrap(text, _code_span)
    if marker:
        return _wrap(text, lambda inner: f"{marker}{inner}{marker}")
    if rend in _HI_HTML_TAGS:
        return _wrap(text, lambda inner: f"<{_HI_HTML_TAGS[rend]}>{inner}</{_HI_HTML_TAGS[rend]}>")
    return text


def _wrap(text: str, markup: Callable[[str], str]) -> str:
    """Markup around the text, with its flanking whitespace left outside (CommonMark needs it so)."""
    inner = text.strip()
    if not inner:
        return text
    at = text.index(inner)
    return f"{text[:at]}{markup(inner)}{text[at + len(inner):]}"


def _code_span(text: str) -> str:
    fence = _code_fence(text, 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    return f"{fence}{text}{fence}"


def _code_fence(text: str, shortest: int) -> str:
    """Backticks longer than any run of them inside the code, and at least `shortest` of them."""
    longest_run = max(map(len, _BACKTICK_RUN.findall(text)), default=0)
    return "`" * max(shortest, longest_run + 1)


def _plain_list(block: _Element) -> str | None:
    if block.text is not None or not len(block):
        return None
    numbered = block.get("rend") == "ol"
    lines = []
    for number, item in enumerate(block, start=1):
        line = _list_item(item, f"{number}. " if numbered else "- ") if item.tag == "item" else None
        if line is None or _has_text(item.tail):
            return None
        lines.append(line)
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
