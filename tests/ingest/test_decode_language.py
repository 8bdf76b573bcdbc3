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


def test_script_table_counts_as_a_character_by_character_reading_would():
    from curator.ingest.language import _script_counts

    def by_hand(text):
        hangul = latin = kana = han = 0
        for ch in text:
            o = ord(ch)
            if 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
                hangul += 1
            elif 0x3040 <= o <= 0x30FF:
                kana += 1
            elif 0x4E00 <= o <= 0x9FFF:
                han += 1
            elif ch.isalpha():
                latin += 1
        return hangul, latin, kana, han

    every = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c <= 0xDFFF) + "𝐀𝐁 𠀀😀"
    for start in range(0, len(every), 4096):
        assert _script_counts(every[start:start + 4096]) == by_hand(every[start:start + 4096])
