"""Password policy and hashing."""
from __future__ import annotations

import pytest

from portal.auth.passwords import (
    MAX_LENGTH,
    MIN_LENGTH,
    common_passwords,
    hash_password,
    password_problem,
    verify_password,
)


def test_common_list_is_large_and_has_long_entries():
    common = common_passwords()
    assert len(common) >= 1000
    assert "q1w2e3r4t5y6" in common and "password1234" in common
    assert sum(1 for p in common if len(p) >= MIN_LENGTH) >= 100


@pytest.mark.parametrize("password,refused", [
    ("a" * 11, True),
    ("correct-horse", False),              # 13
    ("x7#kq" + "y" * 7, False),            # exactly 12
    ("z" * 128, False),
    ("z" * 129, True),
    ("q1w2e3r4t5y6", True),                # common, 12 characters
    ("Q1W2E3R4T5Y6", True),                # any case
    ("1qaz2wsx3edc", True),
])
def test_policy(app, password, refused):
    assert (password_problem(password) is not None) is refused


def test_password_may_not_be_the_username(app):
    assert password_problem("nurse.zhang.w01", "Nurse.Zhang.W01") is not None
    assert MAX_LENGTH == 128 and MIN_LENGTH == 12


def test_hash_is_scrypt_n_2_17(app):
    hashed = hash_password("correct-horse-battery")
    assert hashed.startswith("scrypt:131072:8:1$")
    assert verify_password(hashed, "correct-horse-battery")
    assert not verify_password(hashed, "correct-horse-battery!")
