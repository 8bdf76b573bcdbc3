"""Fixtures for the ingestion tests: small files written per test, and a minimal PDF builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from curator.ingest.add import add_file


def _make_pdf(pages: list[str]) -> bytes:
    """A valid PDF whose pages show the given texts (an empty string gives a page with no text layer)."""
    objects = ["<< /Type /Catalog /Pages 2 0 R >>", "",
               "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET" if text else ""
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_ref = len(objects)
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_ref} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>")
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>"
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.fixture
def make_pdf():
    """make_pdf(page_texts) -> bytes of a valid PDF; an empty text gives a page without a text layer."""
    return _make_pdf


@pytest.fixture
def write(tmp_path: Path):
    """write(name, text_or_bytes, encoding='utf-8') -> Path of a new file under tmp_path/in."""
    root = tmp_path / "in"

    def _write(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return _write


@pytest.fixture
def add(conn, workspace):
    """add(path, kind=None) -> FileReport, through the same call `curator add` makes."""
    def _add(path: Path, kind: str | None = None):
        return add_file(conn, path, kind=kind, config=workspace.config)

    return _add
