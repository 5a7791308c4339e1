"""Factories for test records. Each returns a flushed object; the caller commits if needed."""
from __future__ import annotations

import itertools
from functools import cache

from sqlalchemy import select

from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.wards.models import Ward

PASSWORD = "correct-horse-battery-staple"
_seq = itertools.count(1)


@cache
def _hash(password: str, method: str) -> str:
    # scrypt N=2^17 costs ~0.3 s; hash each test password once per session
    return hash_password(password)


def ward(code: str = "W01", name: str | None = None) -> Ward:
    existing = db.session.scalar(select(Ward).where(Ward.code == code))
    if existing:
        return existing
    w = Ward(code=code, name=name or f"病区{code}", name_en=f"Ward {code}")
    db.session.add(w)
    db.session.flush()
    return w


def wards(*codes: str) -> list[Ward]:
    return [ward(c) for c in codes]


def user(role: str = "nurse", wards=None, username: str | None = None,
         password: str = PASSWORD, **fields) -> User:
    from flask import current_app

    if isinstance(wards, str):
        wards = [wards]
    u = User(username=username or f"{role}{next(_seq)}", role=role,
             display_name=fields.pop("display_name", "") or f"{role} user",
             password_hash=_hash(password, current_app.config["PASSWORD_HASH_METHOD"]),
             wards=[ward(c) for c in (wards or [])], **fields)
    db.session.add(u)
    db.session.flush()
    return u
