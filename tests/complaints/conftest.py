"""`login` that also works for a second sign-in within one test.

The app fixture keeps one app context for the whole test, so Flask-Login's cached user
(g._login_user) would survive into the next request; drop it when switching users.
"""
import pytest
from flask import g


@pytest.fixture
def login(login):
    def _login(*args, **kwargs):
        user = login(*args, **kwargs)
        g.pop("_login_user", None)
        return user

    return _login
