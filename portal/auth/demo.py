"""Demo accounts: one per role, all with the same documented password."""
from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.extensions import db
from portal.wards.models import Ward

DEMO_PASSWORD = "demo-pass-2026"
DEMO_USERS = (
    ("nurse", "nurse", ["W01"]),
    ("headnurse", "head_nurse", ["W01"]),
    ("quality", "quality", []),
    ("leader", "leader", []),
    ("admin", "admin", []),
)
DEMO_NAMES = {"nurse": "张敏", "headnurse": "王芳", "quality": "刘洋", "leader": "陈院长",
              "admin": "信息科"}


def generate(rng, options) -> None:
    existing = set(db.session.scalars(select(User.username)))
    wards = {w.code: w for w in db.session.scalars(select(Ward))}
    password_hash = hash_password(DEMO_PASSWORD)  # one scrypt for all five
    for username, role, codes in DEMO_USERS:
        if username in existing:
            continue
        db.session.add(User(username=username, display_name=DEMO_NAMES[username], role=role,
                            password_hash=password_hash, wards=[wards[c] for c in codes]))
    db.session.flush()
