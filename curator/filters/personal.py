"""Personal data found by pattern: e-mail addresses, phone numbers, Korean resident registration numbers, card numbers.

Patterns are strict on purpose (separators where real numbers carry them, a valid
date in a registration number, a Luhn check on card numbers) so that HS codes,
amounts and exam numbers are not taken for personal data. What is found is shown
masked, never in full.
"""

from __future__ import annotations

import re

# every pattern needs an @ or nine digits and separators in a row: most texts stop here
_TRIGGER = re.compile(r"@|\d[\d\-. ()]{7,}\d")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)
_RRN = re.compile(r"(?<!\d)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\s?-\s?[1-8]\d{6}(?!\d)")
_PHONES = (
    re.compile(r"(?<![\d-])01[016789][-. ]?\d{3,4}[-. ]?\d{4}(?![\d-])"),          # Korean mobile
    re.compile(r"(?<![\d-])0(?:2|[3-6][1-5])[-. )]\d{3,4}[-. ]\d{4}(?![\d-])"),    # Korean landline
    re.compile(r"(?<![\w+])\+\d{1,3}[-. ]?\(?\d{1,4}\)?[-. ]?\d{3,4}[-. ]?\d{3,4}(?!\d)"),  # international
)
_CARD = re.compile(r"(?<![\d-])[2-6]\d{3}(?:[ -]?\d{4}){2}[ -]?\d{1,7}(?![\d-])")


def find_personal_data(text: str) -> list[tuple[str, str]]:
    """(kind, masked match) for every piece of personal data in `text`."""
    if not text or not _TRIGGER.search(text):
        return []
    found: list[tuple[str, str]] = []
    for m in _EMAIL.finditer(text):
        found.append(("e-mail address", _mask_email(m.group())))
    for m in _RRN.finditer(text):
        found.append(("resident registration number", m.group()[:6] + "-*******"))
    for pattern in _PHONES:
        for m in pattern.finditer(text):
            found.append(("phone number", _mask_digits(m.group(), keep=4)))
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            found.append(("card number", _mask_digits(m.group(), keep=4)))
    return found


def _mask_email(address: str) -> str:
    user, _, domain = address.partition("@")
    return f"{user[:1]}***@{domain}"


def _mask_digits(text: str, *, keep: int) -> str:
    """Every digit but the last `keep` replaced by *, separators kept."""
    total = sum(ch.isdigit() for ch in text)
    out, seen = [], 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            out.append(ch if seen > total - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0
