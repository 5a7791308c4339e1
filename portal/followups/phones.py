"""Chinese phone numbers as hospital systems export them, normalised for storage.

Mobiles are stored as 11 digits (13812345678); landlines with their area code as
`0371-65237437`. Exports carry +86/0086 prefixes, spaces, dashes, full-width digits
(１３８…) and sometimes two numbers in one cell ("138…/0371-…"). `parse_phones()`
returns the normalised numbers, or a reason the cell cannot be used.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def mark(message: str) -> str:
    """Mark a message for the catalogue (imported as `_l`); it is translated where shown.

    Import runs in the CLI and in a background thread, where there is no request and
    so no language: services keep the English message id, views translate it.
    """
    return message


_l = mark
MOBILE = re.compile(r"1[3-9]\d{9}")
# area code: 0 + 2-3 digits (010, 021, 0371 ...); local number 7-8 digits
LANDLINE = re.compile(r"(0\d{2,3})(\d{7,8})")
SEPARATORS = re.compile(r"[/,;、，；|]+|\s{2,}")
_FILLER = re.compile(r"[\s\-–—()（）.]")

REASON_INVALID = _l("not a valid mobile or landline number")
REASON_TOO_MANY = _l("more than two numbers in one cell")
REASON_NO_AREA = _l("landline without area code")


@dataclass(frozen=True)
class PhoneResult:
    phone: str | None = None
    phone2: str | None = None
    error: str | None = None  # a reason; None when the cell is usable (or empty)

    @property
    def empty(self) -> bool:
        return self.phone is None and self.error is None


def normalise_one(text: str) -> tuple[str | None, str | None]:
    """One number -> (normalised, None) or (None, reason)."""
    raw = unicodedata.normalize("NFKC", text).strip()
    plus = raw.startswith("+")
    area_hint = None
    m = re.match(r"^\(?(0\d{2,3})\)?[\s\-–—]", raw)
    if m:
        area_hint = m.group(1)
    digits = _FILLER.sub("", raw.lstrip("+"))
    if not digits.isdigit():
        return None, REASON_INVALID
    if plus or digits.startswith("0086") or (digits.startswith("86") and len(digits) in (12, 13)):
        if digits.startswith("0086"):
            digits = digits[4:]
        elif digits.startswith("86"):
            digits = digits[2:]
        elif plus:
            return None, REASON_INVALID  # another country
        area_hint = None
        if not MOBILE.fullmatch(digits) and not digits.startswith("0"):
            digits = "0" + digits  # +86 371 65237437: the trunk 0 is dropped after +86
    if MOBILE.fullmatch(digits):
        return digits, None
    if digits.startswith("01") and MOBILE.fullmatch(digits[1:]):
        return digits[1:], None  # a mobile dialled with a trunk 0
    if area_hint and digits.startswith(area_hint):
        local = digits[len(area_hint):]
        if 7 <= len(local) <= 8 and local[0] not in "01":
            return f"{area_hint}-{local}", None
    m = LANDLINE.fullmatch(digits)
    if m:
        area, local = _split_landline(digits)
        if area:
            return f"{area}-{local}", None
    if 7 <= len(digits) <= 8 and digits[0] not in "01":
        return None, REASON_NO_AREA
    return None, REASON_INVALID


# Two- and three-digit area codes (010 Beijing, 02x big cities); every other is 4 digits.
def _split_landline(digits: str) -> tuple[str | None, str | None]:
    if digits.startswith("010") or (digits.startswith("02") and len(digits) >= 3):
        area, local = digits[:3], digits[3:]
    else:
        area, local = digits[:4], digits[4:]
    if 7 <= len(local) <= 8 and local[0] not in "01":
        return area, local
    return None, None


def parse_phones(cell) -> PhoneResult:
    """A cell with zero, one or two numbers -> PhoneResult(phone, phone2, error)."""
    if cell is None:
        return PhoneResult()
    if isinstance(cell, str) and len(cell) == 11 and cell.isascii() and MOBILE.fullmatch(cell):
        return PhoneResult(phone=cell)  # the common case, without the general parsing
    if isinstance(cell, (int, float)):
        cell = str(int(cell))
    text = unicodedata.normalize("NFKC", str(cell)).strip()
    if not text or text in ("-", "无", "—", "/"):
        return PhoneResult()
    parts = [p for p in SEPARATORS.split(text) if p.strip()]
    if len(parts) == 1 and " " in parts[0].strip():
        # "13812345678 13912345678": a single space between two full numbers
        pieces = parts[0].split()
        if len(pieces) == 2 and all(normalise_one(p)[0] for p in pieces) and not (
                normalise_one(parts[0])[0]):
            parts = pieces
    if len(parts) > 2:
        return PhoneResult(error=REASON_TOO_MANY)
    numbers = []
    for part in parts:
        number, reason = normalise_one(part)
        if reason:
            return PhoneResult(error=reason)
        numbers.append(number)
    if len(numbers) == 2 and numbers[0] == numbers[1]:
        numbers.pop()
    return PhoneResult(phone=numbers[0], phone2=numbers[1] if len(numbers) > 1 else None)
