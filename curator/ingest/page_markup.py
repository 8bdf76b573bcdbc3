"""Changes to a page's HTML tree before trafilatura reads it, for markup it would otherwise misread.

- **Permalink marks**: documentation generators put a link to each heading
  and API entry inside it (Sphinx `<a class="headerlink">¶</a>`, `§`, `#`,
  an empty anchor icon). The mark is no text of the page; left in, it ends
  every heading and signature of the stored text.
- **Definition lists**: trafilatura writes a `<dl>` as list items and joins
  everything inside a `<dd>` into one line, code blocks included
  ("import locale locale.setlocale(...) This sets..."). Each term becomes a
  paragraph of its own (an API signature as inline code, another term in
  bold) and each definition a block whose paragraphs, code blocks and lists
  stay what they are.
- **Lists with code in their items**: trafilatura joins a list item's
  paragraphs and code blocks into one line; such a list's items become
  blocks led by "•" (or "(n)"), their code blocks fenced.
- **Sections named "Comments"**: trafilatura drops any element whose id or
  class starts with "comment", to leave reader comments out, and so drops a
  documentation section titled "Comments" (Sphinx makes its id from the
  title: `<section id="comments">`, `id="comment-objects"`). Such an element
  is kept when it reads as a document section (a heading is its first
  child) and holds none of the markup of a reader-comment area (a form, a
  text box, a comment list, a reply link, Disqus): the decision is made on
  markup, never on the heading's words. Real comment areas are still dropped
  by trafilatura.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

_PERMALINK_MARKS = {"", "¶", "§", "#", "🔗", "⚓", "⚓︎", "link", "permalink"}
_PERMALINK_CLASS = re.compile(r"\b(?:headerlink|header-?anchor|anchor-?link|hash-link|anchorjs-link|permalink)\b")
# trafilatura's own tests for a comment area (xpaths.REMOVE_COMMENTS_*: the id or the class starts with
# "comment", Disqus ids), read here only to find the elements it would drop.
_COMMENT_ID = re.compile(r"^(?:[Cc]omment(?!ary)|comol)")
_COMMENT_CLASS = re.compile(r"^[Cc]omment(?!ary)|(?:article|post)-comments")
# What a reader-comment area holds and a documentation section does not.
_READER_MARKUP = re.compile(r"disqus|dsq-|comment-?list|comment-(?:body|author|meta|content|respond|reply|form|"
                            r"metadata|text)|commentlist|respond|reply|akismet|giscus|utterances|livefyre",
                            re.IGNORECASE)
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_SIGNATURE_CLASS = re.compile(r"\bsig\b|\bsig-object\b|\bdescname\b")


def prepare_page(tree: HtmlElement) -> HtmlElement:
    """Apply the changes above to a parsed page, in place; returns the tree."""
    _drop_permalinks(tree)
    _keep_document_sections(tree)
    _open_lists_with_code(tree)
    _open_definition_lists(tree)
    return tree


def _drop_permalinks(tree: HtmlElement) -> None:
    for a in list(tree.iter("a")):
        href = a.get("href") or ""
        if not href.startswith("#"):
            continue
        text = (a.text_content() or "").strip()
        if text.lower() in _PERMALINK_MARKS and (text or _PERMALINK_CLASS.search(a.get("class") or "")
                                                 or a.getparent() is not None and a.getparent().tag in _HEADINGS) or _PERMALINK_CLASS.search(a.get("class") or "") and len(text) <= 2:
            _remove_keeping_tail(a)


def _remove_keeping_tail(element: HtmlElement) -> None:
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def is_reader_comment_area(element: HtmlElement) -> bool:
    """Whether an element trafilatura would drop as comments really holds readers' comments (by its markup)."""
    # the first child with any text (Sphinx puts empty <span id=...> link targets before the heading)
    first = next((c for c in element if isinstance(c.tag, str) and (c.tag in _HEADINGS or c.text_content().strip())),
                 None)
    if first is None or first.tag not in _HEADINGS:
        return True  # not shaped like a document section: leave trafilatura's decision alone
    for node in element.iter():
        if not isinstance(node.tag, str):
            continue
        if node.tag in ("form", "textarea", "iframe"):
            return True
        marks = " ".join(filter(None, (node.get("id"), node.get("class"), node.get("itemtype"))))
        if marks and (_READER_MARKUP.search(marks) or "schema.org/Comment" in marks):
            return True
    return False


def _keep_document_sections(tree: HtmlElement) -> None:
    for element in tree.iter("section", "div", "details"):
        element_id, element_class = element.get("id") or "", element.get("class") or ""
        by_id, by_class = bool(_COMMENT_ID.search(element_id)), bool(_COMMENT_CLASS.search(element_class))
        if not (by_id or by_class) or is_reader_comment_area(element):
            continue
        # Renamed rather than removed: the text is what matters, and links to the section need no id here.
        if by_id:
            element.set("id", "section-" + element_id)
        if by_class:
            element.set("class", "section-" + element_class)


def _open_definition_lists(tree: HtmlElement) -> None:
    for dl in list(tree.iter("dl")):
        parent = dl.getparent()
        if parent is None:
            continue
        block = etree.Element("div")
        for child in list(dl):
            if not isinstance(child.tag, str):
                continue
            if child.tag == "dt":
                block.append(_term(child))
            elif child.tag == "dd":
                block.append(_definition(child))
            else:
                block.append(child)
        block.tail = dl.tail
        parent.replace(dl, block)


def _open_lists_with_code(tree: HtmlElement) -> None:
    """Lists whose items hold code blocks: each item a block led by its marker ("•", or "(n)" when numbered).

    trafilatura joins everything inside a list item into one line, code
    included (">>> import itertools >>> L = [2, 4] ..."); as blocks the item's
    paragraphs and code keep their shape. The markers are not Markdown list
    markers, which would be escaped at the start of a paragraph.
    """
    for lst in reversed(list(tree.iter("ul", "ol"))):  # inner lists first
        parent = lst.getparent()
        items = [li for li in lst if isinstance(li.tag, str) and li.tag == "li"]
        if parent is None or not any(li.find(".//pre") is not None for li in items):
            continue
        block = etree.Element("div")
        first_number = int(lst.get("start", "1")) if (lst.get("start") or "1").isdigit() else 1
        for n, li in enumerate(items, first_number):
            item = _definition(li)
            marker = "• " if lst.tag == "ul" else f"({n}) "
            lead = item[0] if len(item) and item[0].tag == "p" else None
            if lead is None:
                lead = etree.Element("p")
                item.insert(0, lead)
            lead.text = marker + (lead.text or "")
            block.append(item)
        block.tail = lst.tail
        parent.replace(lst, block)


def _term(dt: HtmlElement) -> etree._Element:
    paragraph = etree.Element("p")
    text = " ".join((dt.text_content() or "").split())
    codes = [e for e in dt.iter("code", "tt", "kbd", "samp") if e.getparent() is not None]
    signature = any(_SIGNATURE_CLASS.search(e.get("class") or "") for e in dt.iter() if isinstance(e.tag, str))
    only_code = len(codes) == 1 and " ".join((codes[0].text_content() or "").split()) == text
    inner = etree.SubElement(paragraph, "code" if signature or only_code else "b")  # code is not prose
    inner.text = text
    return paragraph


def _definition(dd: HtmlElement) -> etree._Element:
    block = etree.Element("div")
    # the text and inline elements before the first block element are the definition's first paragraph
    lead = etree.Element("p")
    lead.text = dd.text
    for child in list(dd):
        if isinstance(child.tag, str) and child.tag in _BLOCKS:
            break
        lead.append(child)
    if (lead.text or "").strip() or len(lead):
        block.append(lead)
    for child in list(dd):
        block.append(child)
    return block


_BLOCKS = {"p", "div", "pre", "ul", "ol", "dl", "table", "blockquote", "section", "h1", "h2", "h3", "h4", "h5",
           "h6", "figure", "details"}
