"""Reading a file as text: the size cap, decoding, and the leading notice lines some corpora carry."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from curator.ingest.decode import decode_bytes
from curator.ingest.errors import IngestError

_LEADING_HTML_COMMENT = re.compile(r"\A\s*<!--.*?-->\s*", re.DOTALL)


@dataclass
class TextFile:
    path: Path
    text: str
    encoding: str
    header: str | None = None  # the notice stripped from the top, kept for the record
    first_line: int = 1  # line number in the file of text's first line


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing empty files and files over the cap before reading them."""
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise IngestError(f"cannot read the file ({exc.strerror})", str(path)) from exc
    if size > max_bytes:
        raise IngestError(f"the file is {size / 2**20:,.0f} MB, over the [ingest].max_file_mb limit of "
                          f"{max_bytes / 2**20:,.0f} MB; split it or raise the limit", str(path))
    if size == 0:
        raise IngestError("the file is empty", str(path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read the file ({exc.strerror})", str(path)) from exc


def read_text(path: Path, data: bytes, *, hash_comments: bool = False, html_comment: bool = False) -> TextFile:
    """Decode `data` and strip a leading notice: `# ...` lines (hash_comments) or one `<!-- ... -->` block.

    The notice is how the sample corpus (and many hand-made files) say what a
    file is; it is not content, so it stays out of the text and the chunks,
    but it is kept in the document's meta.
    """
    decoded = decode_bytes(data, str(path))
    text = decoded.text.lstrip("\ufeff")
    header, first_line = None, 1
    if hash_comments:
        lines = text.split("\n")
        n = 0
        while n < len(lines) and lines[n].lstrip().startswith("#"):
            n += 1
        if n:
            header = "\n".join(lines[:n]).strip()
            text, first_line = "\n".join(lines[n:]), n + 1
    elif html_comment:
        m = _LEADING_HTML_COMMENT.match(text)
        if m:
            header = m.group(0).strip()[4:-3].strip()
            first_line = 1 + m.group(0).count("\n")
            text = text[m.end():]
    if not text.strip():
        raise IngestError("the file has no content" + (" besides its header comment" if header else ""),
                          str(path))
    return TextFile(path=path, text=text, encoding=decoded.encoding, header=header, first_line=first_line)
