"""The IP rate limit on POST /login (Flask-Limiter)."""
import pytest

from tests.auth.helpers import CHEAP_HASH, post_login


@pytest.fixture
def app_config():
    return {**CHEAP_HASH, "LOGIN_RATE_LIMIT": "3 per minute"}


def test_login_posts_are_rate_limited_per_address(client):
    for _ in range(3):
        assert post_login(client, "someone", "wrong-password-x").status_code == 422
    resp = post_login(client, "someone", "wrong-password-x")
    assert resp.status_code == 429
    assert b"<html" in resp.data and b"Too many requests" in resp.data
    assert post_login(client, "someone", "x", htmx=True).status_code == 429
    # the form itself still opens; another address is not limited
    assert client.get("/login").status_code == 200
    other = post_login(client, "someone", "wrong-password-x",
                       environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 422
