"""Prose documents: Markdown, plain text, HTML (main content as Markdown) and PDF (text layer)."""

from __future__ import annotations

import re
from pathlib import Path

from curator.errors import CuratorError
from curator.ingest.decode import decode_bytes
from curator.ingest.errors import IngestError
from curator.ingest.language import detect_language
from curator.ingest.load_result import LoadedDocument, LoadResult
from curator.ingest.pdf import pdf_to_text
from curator.ingest.textfile import read_text

_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def load_markdown(path: Path, data: bytes) -> LoadResult:
    tf = read_text(path, data, html_comment=True)
    content = tf.text.strip()
    heading = _MD_HEADING.search(content)
    meta = {"encoding": tf.encoding, **({"header_comment": tf.header} if tf.header else {})}
    doc = LoadedDocument(uri=str(path), kind="markdown", content=content,
                         title=heading.group(1) if heading else path.stem, language=detect_language(content),
                         meta=meta)
    return LoadResult(doc_kind="document", format="md", documents=[doc])


def load_plain_text(path: Path, data: bytes) -> LoadResult:
    tf = read_text(path, data, hash_comments=True)
    content = tf.text.strip()
    first = content.split("\n", 1)[0].strip()
    meta = {"encoding": tf.encoding, **({"header_comment": tf.header} if tf.header else {})}
    doc = LoadedDocument(uri=str(path), kind="text", content=content,
                         title=first if len(first) <= 120 else path.stem, language=detect_language(content),
                         meta=meta)
    return LoadResult(doc_kind="document", format="txt", documents=[doc])


def load_html(path: Path, data: bytes) -> LoadResult:
    from curator.ingest.html import html_to_markdown

    decoded = decode_bytes(data, str(path))
    if not decoded.text.strip():
        raise IngestError("the file has no content", str(path))
    try:
        page = html_to_markdown(decoded.text, url=None)
    except CuratorError as exc:
        raise IngestError("no main content found: the page holds only navigation, scripts or boilerplate",
                          str(path)) from exc
    doc = LoadedDocument(uri=str(path), kind="html", content=page.markdown, title=page.title or path.stem,
                         language=detect_language(page.markdown), meta={"encoding": decoded.encoding})
    return LoadResult(doc_kind="document", format="html", documents=[doc])


def load_pdf(path: Path, data: bytes) -> LoadResult:
    pdf = pdf_to_text(data, str(path))
    first = pdf.text.lstrip().split("\n", 1)[0].strip()
    meta = {"pages": pdf.pages, "pages_without_text": pdf.pages_without_text, "page_starts": pdf.page_starts}
    doc = LoadedDocument(uri=str(path), kind="pdf", content=pdf.text,
                         title=first if 0 < len(first) <= 120 else path.stem, language=detect_language(pdf.text),
                         meta=meta)
    result = LoadResult(doc_kind="document", format="pdf", documents=[doc])
    if pdf.pages_without_text:
        pages = ", ".join(map(str, pdf.pages_without_text))
        result.notes.append(f"{len(pdf.pages_without_text)} of {pdf.pages} pages have no text layer "
                            f"(pages {pages}; scans need OCR): their content is missing")
    return result
