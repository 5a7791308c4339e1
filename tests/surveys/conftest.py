"""Survey tests start with empty rate-limit counters (the limiter's memory storage outlives
one test's app, and the public survey page is limited per address)."""
import pytest


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    from portal.extensions import limiter

    limiter.reset()
    yield
    limiter.reset()
