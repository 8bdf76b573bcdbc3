"""The markdown writer: the same text as trafilatura's own serializer for any extracted tree, plain blocks written without it."""

from __future__ import annotations

import random
from copy import deepcopy

import pytest
from lxml.etree import Element, SubElement
from trafilatura.xml import xmltotxt

from curator.ingest import markdown_writer
from curator.ingest.markdown_writer import tree_markdown

# Texts that exercise each rule of the serializer: markdown syntax to escape inline and at a line's start,
# LaTeX math, entities, pipes and newlines in cells, control and non-NFC characters, blank and odd spacing.
_ATOMS = ["trade terms", "무역 용어를 정리한다.", "a*b", "snake_case", "`tick`", "~tilde~", "[bracket]", "<tag>",
          "\\(x_1\\)", "\\[ y \\]", "back\\slash", "# heading", "###### six", "####### seven", "#nospace", "> quote",
          "- dash", "+ plus", "-dash", "1. one", "12) two", "1.5 ratio", "   3. indented", "    4. code-indented",
          "``", "a|b", "&amp; &lt;x&gt;", "\u200b", "\u00ad", "\u00a0", "e\u0301", "line\u2028sep", "", " ", "\n", "\t"]
_GLUE = ["", " ", "  ", "\n", " \n "]
_BLANK = [None, "", " ", "\n", "\n  ", "\t"]


def _text(rng: random.Random) -> str | None:
    if rng.random() < 0.1:
        return None
    return rng.choice(_GLUE).join(rng.choice(_ATOMS) for _ in range(rng.randint(1, 3)))


def _tail(rng: random.Random) -> str | None:
    return rng.choice(_BLANK) if rng.random() < 0.93 else _text(rng)


def _inline(parent, rng: random.Random) -> None:
    """Inline formatting, code or a line break, sometimes nested."""
    kind = rng.choice(["hi", "hi", "hi", "code", "code", "lb"])
    child = SubElement(parent, kind)
    if kind == "hi" and rng.random() < 0.9:
        child.set("rend", rng.choice(["#b", "#b", "#i", "#t", "#u", "#sup", "#sub", "#x"]))
    if kind != "lb":
        child.text = rng.choice(["``a`", "x ``` y"]) if rng.random() < 0.1 else _text(rng)
        if rng.random() < 0.05:
            _inline(child, rng)
    child.tail = rng.choice(_BLANK) if rng.random() < 0.4 else _text(rng)


def _block(body, rng: random.Random) -> None:
    kind = rng.choice(["p", "p", "head", "quote", "list", "table", "code", "odd"])
    if kind == "odd":  # a top-level element that is no block: the whole tree goes to trafilatura's serializer
        kind = rng.choice(["hi", "lb"])
    block = SubElement(body, kind)
    if kind == "head" and rng.random() < 0.9:
        block.set("rend", rng.choice(["h1", "h2", "h3", "h4", "h5", "h6", "h7", "x"]))
    if kind in ("p", "head", "quote", "code", "hi"):
        block.text = _text(rng)
        if rng.random() < 0.4:
            for _ in range(rng.randint(1, 4)):
                _inline(block, rng)
    elif kind == "list":
        _list(block, rng, depth=0)
    elif kind == "table":
        _table(block, rng)
    block.tail = _tail(rng)


def _list(block, rng: random.Random, depth: int) -> None:
    if rng.random() < 0.7:
        block.set("rend", rng.choice(["ul", "ol"]))
    if rng.random() < 0.05:
        block.text = " "
    for _ in range(rng.randint(0, 4)):
        item = SubElement(block, "item")
        item.text = _text(rng)
        if rng.random() < 0.08 and depth == 0:
            _list(SubElement(item, "list"), rng, depth + 1)
        elif rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                _inline(item, rng)
        item.tail = _tail(rng)


def _table(block, rng: random.Random) -> None:
    for _ in range(rng.randint(0, 3)):
        row = SubElement(block, "row")
        for _ in range(rng.randint(0, 3)):
            cell = SubElement(row, "cell")
            cell.text = _text(rng)
            if rng.random() < 0.3:
                cell.set("role", "head")
            if rng.random() < 0.05:
                _inline(cell, rng)
            cell.tail = _tail(rng)
        row.tail = _tail(rng)


def _tree(rng: random.Random):
    body = Element("body")
    if rng.random() < 0.03:
        body.text = _text(rng)
    for _ in range(rng.randint(0, 6)):
        _block(body, rng)
    return body


@pytest.mark.parametrize("seed", range(4))
def test_any_tree_gives_the_markdown_trafilatura_writes(seed):
    rng = random.Random(seed)
    for _ in range(1500):
        body = _tree(rng)
        expected = xmltotxt(deepcopy(body), True)
        assert tree_markdown(body) == expected, xmltotxt(body, False)


def test_list_items_with_inline_formatting_give_the_markdown_trafilatura_writes():
    # Inside an item trafilatura trims tails around inline elements by its own rules: many spacings, one list each.
    rng = random.Random(7)
    spacings = [None, "", " ", "  ", "\n", "x", " x", "x ", " x ", " : carriage paid to\n", "\t", "다."]
    written_here = 0
    for _ in range(3000):
        body = Element("body")
        block = SubElement(body, "list", rend=rng.choice(["ul", "ol"]))
        for _ in range(rng.randint(1, 3)):
            item = SubElement(block, "item")
            item.text = rng.choice([*spacings, "1. first", "# not a heading", "a*b"])
            for _ in range(rng.randint(0, 3)):
                child = SubElement(item, rng.choice(["hi", "hi", "code"]))
                if child.tag == "hi":
                    child.set("rend", rng.choice(["#b", "#i", "#t", "#u"]))
                child.text = rng.choice(["FOB", " CIF ", "a_b", "x\ny", " ", "`", ""])
                child.tail = rng.choice(spacings)
        written_here += markdown_writer._plain_list(block) is not None
        assert tree_markdown(body) == xmltotxt(deepcopy(body), True), xmltotxt(body, False)
    assert written_here > 1000


def test_plain_blocks_are_written_without_trafilaturas_serializer(monkeypatch):
    # The speed of the crawl rests on this path: a plain page must not fall through to trafilatura.
    def refuse(*_args):
        raise AssertionError("plain blocks went to trafilatura's serializer")

    monkeypatch.setattr(markdown_writer, "xmltotxt", refuse)
    body = Element("body")
    SubElement(body, "head", rend="h1").text = "Incoterms 2020"
    SubElement(body, "p").text = "1. FOB means *free on board*; the seller loads the goods."
    items = SubElement(body, "list", rend="ol")
    for text in ("EXW", "FCA", "CPT"):
        SubElement(items, "item").text = text
    row = SubElement(SubElement(body, "table"), "row")
    for text in ("term", "who pays | freight"):
        SubElement(row, "cell", role="head").text = text
    assert tree_markdown(body).split("\n") == [
        "# Incoterms 2020", "", "1\\. FOB means \\*free on board\\*; the seller loads the goods.", "",
        "1. EXW", "2. FCA", "3. CPT", "", "| term | who pays \\| freight | ", "|---|---|", ""]
