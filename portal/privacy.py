"""The one place that masks personal data for display and export."""
from __future__ import annotations


def mask_phone(phone: str | None) -> str:
    """138****5678 for a mobile; 0371-****7437 for a landline; '' for nothing."""
    if not phone:
        return ""
    digits = phone
    if "-" in phone:  # landline: area code stays, the local number keeps its last 4
        area, _, local = phone.partition("-")
        return f"{area}-{'*' * max(len(local) - 4, 0)}{local[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"
    return "*" * len(digits)


def neutralise_formula(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe.

    Numbers stay numbers; only strings that start with = + - @ or a tab/CR are changed.
    """
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
