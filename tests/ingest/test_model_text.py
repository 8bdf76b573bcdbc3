"""What the extraction model reads of a chunk: Markdown escapes undone in prose, code and Markdown syntax kept."""

from __future__ import annotations

from curator.ingest.model_text import model_text

# Shapes taken from trafilatura's Markdown of the Python documentation (library/optparse.html).
STORED = ("OptionParser.get\\_option\\_group(*opt\\_str*)¶\n"
          "Return the `OptionGroup` to which the option string *opt\\_str* belongs; see `a\\_b` and \\*args.\n\n"
          "```\nprint('a\\_b')\n```\n"
          "\\# not a heading\n1\\. not an item\n| cell \\| with a pipe | x |\n"
          "see [the \\[1\\] note](https://example.org/n) and \\[2\\]")


def test_identifiers_and_prose_lose_their_escapes():
    text = model_text(STORED).text
    assert text.startswith("OptionParser.get_option_group(*opt_str*)\n")  # and the permalink mark is gone
    assert "option string *opt_str* belongs" in text and "\\*args" not in text and " *args." in text


def test_code_and_the_escapes_markdown_needs_are_kept():
    text = model_text(STORED).text
    assert "`a\\_b`" in text and "print('a\\_b')" in text  # inside code a backslash is the code's own
    assert "\\# not a heading" in text and "1\\. not an item" in text
    assert "| cell \\| with a pipe | x |" in text and "[the \\[1\\] note](https://example.org/n)" in text


def test_every_character_maps_back_to_the_same_character_of_the_stored_text():
    view = model_text(STORED)
    assert len(view.text) < len(STORED)
    for i, ch in enumerate(view.text):
        assert STORED[view.source_offset(i)] == ch
    assert view.source_offset(len(view.text)) == len(STORED)


def test_text_without_markup_is_unchanged():
    plain = "수출자는 서류를 제시합니다. The seller pays."
    view = model_text(plain)
    assert view.text == plain and view.source_offset(7) == 7


def test_a_code_block_opened_at_the_end_of_a_line_is_code_and_the_prose_after_it_is_not():
    # trafilatura's Markdown of distutils/apiref.html: a code block inside a paragraph
    stored = ("*options* is a list of ```\n(long\\_option, short_option)\n```\n 3-tuples as described for\n"
              "`FancyGetopt`. *negative\\_opt* should be a dictionary")
    text = model_text(stored).text
    assert "(long\\_option, short_option)" in text and "*negative_opt* should" in text


def test_a_chunk_that_starts_inside_a_long_code_block_keeps_that_code_as_it_is():
    # a code block longer than a chunk is cut between its lines: the next chunk starts with code, then the fence
    stored = "x = a\\_b\ny = 2\n```\nThe name\\_here is prose again.\n\n```\nz = c\\_d\n```\nAnd more\\_prose."
    text = model_text(stored).text
    assert text.startswith("x = a\\_b\n") and "z = c\\_d" in text
    assert "The name_here is prose" in text and "And more_prose." in text
