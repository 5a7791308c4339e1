import pytest


@pytest.fixture(autouse=True)
def english(client):
    """Assertions below read the English messages."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
