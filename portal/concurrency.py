"""Optimistic locking for edit forms: two people cannot overwrite each other silently.

Models with a `version` column use it as SQLAlchemy's version_id_col, so an UPDATE whose
row changed since it was read fails (StaleDataError, answered with 409 in errors.py).
Forms also carry the version they were loaded with: `check_version()` compares it with
the row before anything is applied, so a save based on an old page is refused with 409
even when it arrives long after the other change.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l


class StaleEdit(Exception):
    """The record changed since the form was loaded; nothing was saved."""

    message = _l("Someone else changed this record after you opened it. Nothing was saved: "
                 "reload to see the current values, then make your change again.")


def check_version(obj, submitted) -> None:
    """Raise StaleEdit unless `submitted` (from the form) is the object's current version."""
    try:
        submitted = int(submitted)
    except (TypeError, ValueError):
        raise StaleEdit() from None
    if submitted != obj.version:
        raise StaleEdit()
