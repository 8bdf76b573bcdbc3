from __future__ import annotations

import pytest

from curator.ingest.decode import decode_bytes, decode_text
from curator.ingest.errors import IngestError
from curator.ingest.language import detect_language

KOREAN = "신용장은 개설은행이 대금 지급을 확약하는 증서입니다."


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr", "utf-16"])
def test_korean_text_is_read_in_every_usual_encoding(encoding):
    decoded = decode_bytes(KOREAN.encode(encoding), "lecture.txt")
    assert decoded.text.lstrip("\ufeff") == KOREAN
    if encoding in ("cp949", "euc-kr"):
        assert decoded.encoding in ("cp949", "euc-kr")


def test_cp949_only_syllables_are_read():
    text = "똠방각하 펲시콜라"  # syllables outside euc-kr's 2,350
    assert decode_text(text.encode("cp949"), "a.txt") == text


@pytest.mark.parametrize("data, what", [
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "PNG image"),
    (b"PK\x03\x04" + b"\x00" * 100, "ZIP archive"),
    (bytes(range(256)) * 10, "binary data"),
])
def test_binary_data_with_a_text_extension_is_refused(data, what):
    with pytest.raises(IngestError) as exc:
        decode_text(data, "notes.txt")
    assert what in str(exc.value) and "notes.txt" in str(exc.value)


def test_bytes_that_are_neither_utf8_nor_korean_are_refused_with_the_line():
    data = "first line\nsecond caf\xe9 line\n".encode("latin-1")
    with pytest.raises(IngestError) as exc:
        decode_text(data, "menu.txt")
    message = str(exc.value)
    assert "menu.txt" in message and "line 2" in message and "UTF-8" in message


@pytest.mark.parametrize("text, expected", [
    ("FAS, FOB, CFR, CIF가 바로 해상 전용 규칙에 해당합니다.", "ko"),
    ("Under FOB, risk passes when the goods are on board.", "en"),
    ("수출 통관 절차 (KO) is linked from every English page of the site, the rest is English text.", "en"),
    ("1234 5678 !!", "und"),
])
def test_language_is_detected_by_script(text, expected):
    assert detect_language(text) == expected
