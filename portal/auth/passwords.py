"""Password policy and hashing.

The common-password list (19,640 entries) is the one Django ships
(django/contrib/auth/common-passwords.txt.gz, BSD licence).
"""
from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 128


@cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common-passwords.txt.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def password_problem(password: str, username: str = "") -> str | None:
    """Why this password is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return str(_l("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        return str(_l("Use at most %(n)d characters.", n=MAX_LENGTH))
    if password.lower() in common_passwords():
        return str(_l("This password is too common; choose another."))
    if username and password.lower() == username.lower():
        return str(_l("The password must differ from the username."))
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)
