"""These tests read English page text: signed-in users get the English UI unless told."""
import pytest


@pytest.fixture
def login(login):
    def _login(role, ward="default", **kwargs):
        kwargs.setdefault("language", "en")
        return login(role, ward, **kwargs)

    return _login
