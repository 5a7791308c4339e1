"""Complainant phone numbers: normalised when they look valid, kept as typed otherwise."""
from __future__ import annotations

import re

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^(0\d{2,3})(\d{7,8})$")


def normalise_phone(raw: str | None) -> str:
    """13812345678 for a mobile, 0371-65237437 for a landline; other input trimmed."""
    text = (raw or "").strip()
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if MOBILE.match(digits):
        return digits
    if m := LANDLINE.match(digits):
        return f"{m.group(1)}-{m.group(2)}"
    return text
