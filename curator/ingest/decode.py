"""Bytes to text: UTF-8 first, then the Korean legacy encodings, refusing binary data with a clear message."""

from __future__ import annotations

from dataclasses import dataclass

from curator.ingest.errors import IngestError

# Signatures of common binary formats that people give a text extension by mistake.
_MAGIC = {
    b"%PDF-": "a PDF document",
    b"PK\x03\x04": "a ZIP archive (or .docx/.xlsx)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
    b"SQLite format 3": "an SQLite database",
    b"\xd0\xcf\x11\xe0": "an old Office document",
}
_PROBE = 8192


@dataclass
class DecodedText:
    text: str
    encoding: str


def binary_kind(data: bytes) -> str | None:
    """What a byte string looks like if it is not text ('binary data' when unknown), else None."""
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            return what
    head = data[:_PROBE]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 with a byte-order mark: text, decoded below
    if b"\x00" in head:
        return "binary data"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    if head and controls / len(head) > 0.05:
        return "binary data"
    return None


def decode_bytes(data: bytes, name: str) -> DecodedText:
    """Decode a file's bytes, saying which encoding worked.

    Order: UTF-8 (with or without BOM), UTF-16 with BOM, then cp949 and its
    subset euc-kr, the encodings older Korean files use. cp949 accepts many
    random byte sequences, so its result is kept only if it reads as Korean.
    """
    what = binary_kind(data)
    if what:
        raise IngestError(f"this is {what}, not text; give the file its real extension or leave it out", name)
    if data.startswith(b"\xef\xbb\xbf"):
        return DecodedText(_strict(data[3:], "utf-8", name), "utf-8-sig")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return DecodedText(_strict(data, "utf-16", name), "utf-16")
    try:
        return DecodedText(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    for encoding in ("cp949", "euc-kr"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _reads_as_korean(text):
            return DecodedText(text, encoding)
    line = data[: utf8_error.start].count(b"\n") + 1
    raise IngestError(
        f"not valid UTF-8 (byte 0x{data[utf8_error.start]:02x} at line {line}) and not Korean cp949/euc-kr "
        "text either; convert it to UTF-8 (e.g. `iconv -f ENCODING -t UTF-8`)", name)


def decode_text(data: bytes, name: str) -> str:
    """The text of a file's bytes (see `decode_bytes`); IngestError names the file and the problem."""
    return decode_bytes(data, name).text


def _strict(data: bytes, encoding: str, name: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(f"declares {encoding} by its byte-order mark but byte {exc.start} is invalid", name) from exc


def _reads_as_korean(text: str) -> bool:
    non_ascii = [c for c in text if not c.isascii()]
    if not non_ascii:
        return True
    korean = sum(1 for c in non_ascii if 0xAC00 <= ord(c) <= 0xD7A3 or 0x3130 <= ord(c) <= 0x318F
                 or 0x4E00 <= ord(c) <= 0x9FFF or 0x3000 <= ord(c) <= 0x303F or 0xFF00 <= ord(c) <= 0xFFEF)
    return korean / len(non_ascii) >= 0.8
