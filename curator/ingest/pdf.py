"""PDF to text with pypdf, page by page, saying which pages had no text layer (scans need OCR first)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from curator.ingest.errors import IngestError


@dataclass
class PdfText:
    text: str
    pages: int
    pages_without_text: list[int] = field(default_factory=list)  # 1-based page numbers
    page_starts: list[int] = field(default_factory=list)  # character offset of each page in `text`


def pdf_to_text(data: bytes, name: str) -> PdfText:
    """Extract the text layer of a PDF given as bytes; `name` (path or URL) appears in errors.

    Pages are joined with a blank line. Raises IngestError for a file pypdf
    cannot read, an encrypted file without an empty password, or a PDF in
    which no page has any text.
    """
    from pypdf import PdfReader

    # pypdf reports recoverable damage through logging; the caller reports what matters.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError("the PDF is encrypted with a password; decrypt it first", name)
        texts = []
        for page in reader.pages:
            texts.append((page.extract_text() or "").strip())
    except IngestError:
        raise
    except Exception as exc:  # pypdf raises PdfReadError but also plain ValueError/KeyError on damaged files
        raise IngestError(f"not a readable PDF ({type(exc).__name__}: {exc})", name) from exc
    empty = [i + 1 for i, t in enumerate(texts) if not t]
    if not texts:
        raise IngestError("the PDF has no pages", name)
    if len(empty) == len(texts):
        raise IngestError(f"no text layer on any of its {len(texts)} page(s) (a scan?); run OCR on it first", name)
    parts, starts, offset = [], [], 0
    for t in texts:
        starts.append(offset)
        parts.append(t)
        offset += len(t) + 2
    return PdfText(text="\n\n".join(parts), pages=len(texts), pages_without_text=empty, page_starts=starts)
