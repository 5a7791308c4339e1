"""Shared helpers for the sign-in tests."""
from __future__ import annotations

import re

CHEAP_HASH = {"PASSWORD_HASH_METHOD": "scrypt:1024:8:1"}  # the policy itself: test_passwords.py


def post_login(client, username, password, **kwargs):
    return client.post("/login", data={"username": username, "password": password}, **kwargs)


def errors(resp) -> list[str]:
    return re.findall(r'<p class="error"[^>]*>(.*?)</p>', resp.get_data(as_text=True), re.S)


def signed_out(resp) -> bool:
    """The response sends the browser to the sign-in page."""
    return resp.status_code in (302, 303, 401) and "/login" in (
        resp.headers.get("Location", "") + resp.headers.get("HX-Redirect", ""))
