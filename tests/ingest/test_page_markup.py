"""Page markup mended before trafilatura reads it, on excerpts of real Sphinx pages (the Python docs)."""

from __future__ import annotations

from pathlib import Path

import trafilatura

from curator.ingest.html import TRAFILATURA_OPTIONS, html_to_markdown

FIXTURES = Path(__file__).parent / "fixtures"
SPHINX = (FIXTURES / "sphinx_python_docs.html").read_text(encoding="utf-8")
BLOG = (FIXTURES / "blog_with_reader_comments.html").read_text(encoding="utf-8")


def test_documentation_sections_named_comments_are_kept():
    markdown = html_to_markdown(SPHINX).markdown
    assert "### 2.1.3. Comments\n\nA comment starts with a hash character (`#`)" in markdown
    assert "### Comment Objects\n\n`Comment` represents a comment in the XML document." in markdown
    # the sections around them are there too, in order
    assert markdown.index("2.1.2. Physical lines") < markdown.index("2.1.3. Comments") < markdown.index(
        "2.1.4. Encoding declarations") < markdown.index("Comment Objects")
    # what trafilatura alone gives for the same page: both sections dropped as if they were readers' comments
    plain = trafilatura.extract(SPHINX, **TRAFILATURA_OPTIONS)
    assert "Physical lines" in plain and "2.1.3. Comments" not in plain and "Comment Objects" not in plain


def test_reader_comments_are_dropped_by_their_markup_not_by_their_title():
    markdown = html_to_markdown(BLOG).markdown
    assert "FOB places the risk on the buyer" in markdown
    assert "## Comments on insurance cover\n\nInstitute Cargo Clauses (C)" in markdown  # a section, kept
    for reader_text in ("Great post", "Could you write a follow-up", "Leave a Reply", "thoughts on", "says:"):
        assert reader_text not in markdown


def test_permalink_marks_are_dropped():
    markdown = html_to_markdown(SPHINX).markdown
    assert "¶" not in markdown
    assert markdown.startswith("# 2. Lexical analysis\n")
    assert "¶" in trafilatura.extract(SPHINX, **TRAFILATURA_OPTIONS)  # the page has them


def test_definition_lists_keep_their_code_blocks_and_signatures():
    markdown = html_to_markdown(SPHINX).markdown
    assert "\n`locale.setlocale(category, locale=None)`\n\nIf *locale* is given and not `None`" in markdown
    assert ("Applications typically\nstart with a call of\n\n```\nimport locale\n"
            "locale.setlocale(locale.LC_ALL, '')\n```\nThis sets the locale") in markdown
    assert "`Comment.data`\n\nThe content of the comment as a string." in markdown
    # trafilatura alone flattens the code into the prose of the definition
    assert "import locale locale.setlocale" in trafilatura.extract(SPHINX, **TRAFILATURA_OPTIONS)


def test_the_markdown_is_what_trafilatura_extract_gives_for_the_mended_page():
    from trafilatura.utils import load_html

    from curator.ingest.page_markup import prepare_page

    for page in (SPHINX, BLOG):
        expected = trafilatura.extract(prepare_page(load_html(page)), **TRAFILATURA_OPTIONS).strip()
        assert html_to_markdown(page).markdown == expected


def test_code_blocks_inside_list_items_stay_fenced():
    markdown = html_to_markdown(SPHINX).markdown
    assert "\n• The `itertools` module gained a `groupby(iterable[, *func*])`\n" in markdown
    assert "```\n>>> import itertools\n>>> L = [2, 4, 6, 7, 8, 9, 11, 12, 14]\n" in markdown
    assert "```\n>>> word = 'abracadabra'\n" in markdown
    # trafilatura alone writes the interactive session as one line of prose
    assert "\\>>> import itertools >>> L =" in trafilatura.extract(SPHINX, **TRAFILATURA_OPTIONS)
