"""Audit search: filters, local dates, pagination, page and fragment, who may see it."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import insert

from portal.audit import services as audit
from portal.audit.models import AuditEntry
from portal.extensions import db
from tests import factories


def add(action, at, user=None, object_type="", object_id=""):
    db.session.execute(insert(AuditEntry).values(
        at=at, user_id=user.id if user else None, username=user.username if user else "",
        ip="10.0.0.1", action=action, object_type=object_type, object_id=object_id,
        detail={"k": "v"}))


@pytest.fixture
def entries(app):
    nurse = factories.user("nurse", wards="W01", username="nina")
    head = factories.user("head_nurse", wards="W01", username="hana")
    # 2026-03-01 23:30 in Shanghai is 15:30 UTC; 2026-03-02 00:30 Shanghai is 16:30 UTC
    add("login.success", datetime(2026, 3, 1, 15, 30, tzinfo=UTC), nurse)
    add("login.failed", datetime(2026, 3, 1, 16, 30, tzinfo=UTC), nurse)
    add("user.updated", datetime(2026, 3, 5, 2, 0, tzinfo=UTC), head, "users", str(nurse.id))
    add("user.created", datetime(2026, 3, 6, 2, 0, tzinfo=UTC), head, "users", "77")
    db.session.commit()
    return nurse, head


def actions(query) -> list[str]:
    return [e.action for e in db.session.scalars(query)]


def test_search_service_filters(entries):
    assert actions(audit.search_query(username="NINA")) == ["login.failed", "login.success"]
    assert actions(audit.search_query(action="user.")) == ["user.created", "user.updated"]
    assert actions(audit.search_query(action="user")) == []
    assert actions(audit.search_query(object_type="users", object_id="77")) == ["user.created"]
    # local days: the 23:30 sign-in belongs to 1 March, the 00:30 failure to 2 March
    assert actions(audit.search_query(date_from=date(2026, 3, 1), date_to=date(2026, 3, 1))) \
        == ["login.success"]
    assert actions(audit.search_query(date_from=date(2026, 3, 2), date_to=date(2026, 3, 5))) \
        == ["user.updated", "login.failed"]


@pytest.mark.parametrize("role", ["admin", "quality"])
def test_page_and_fragment(client, login, entries, role):
    login(role)
    page = client.get("/audit")
    assert page.status_code == 200 and b"<html" in page.data
    body = page.get_data(as_text=True)
    assert "login.success" in body and "user.created" in body and "10.0.0.1" in body
    frag = client.get("/audit?username=hana&date_from=2026-03-05&date_to=2026-03-05", htmx=True)
    assert frag.status_code == 200 and b"<html" not in frag.data
    text = frag.get_data(as_text=True)
    assert 'id="audit-results"' in text
    assert "user.updated" in text and "user.created" not in text and "login.success" not in text


def test_times_are_shown_in_shanghai(client, login, entries):
    login("admin")
    body = client.get("/audit?action=login.success").get_data(as_text=True)
    assert "2026-03-01 23:30:00" in body


def test_filter_form_keeps_values_and_pushes_url(client, login, entries):
    login("admin")
    body = client.get("/audit?action=user.").get_data(as_text=True)
    assert 'value="user."' in body and 'hx-push-url="true"' in body


def test_bad_dates_are_refused_beside_the_field(client, login, entries):
    login("admin")
    resp = client.get("/audit?date_from=2026-03-05&date_to=2026-03-01", htmx=True)
    assert resp.status_code == 422 and b"before the start date" in resp.data
    assert b"user.updated" not in resp.data
    assert client.get("/audit?date_from=notadate").status_code == 422


def test_paginated(app, client, login, entries):
    app.config["PAGE_SIZE"] = 3
    login("admin")
    first = client.get("/audit").get_data(as_text=True)
    assert 'rel="next"' in first
    second = client.get("/audit?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and "login.success" in second


@pytest.mark.parametrize("role", ["nurse", "head_nurse", "leader"])
def test_other_roles_may_not_search(client, login, role):
    login(role)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit", htmx=True).status_code == 403


def test_sign_in_events_are_searchable(client, login, app):
    """Sign-in, failure and sign-out entries written by the auth services show up."""
    from tests.auth.helpers import post_login
    from tests.factories import PASSWORD

    app.config["PASSWORD_HASH_METHOD"] = "scrypt:1024:8:1"
    factories.user("nurse", wards="W01", username="sam")
    db.session.commit()
    other = app.test_client()
    post_login(other, "sam", "wrong-password-x")
    post_login(other, "sam", PASSWORD)
    other.post("/logout")
    login("quality")
    body = client.get("/audit?username=sam").get_data(as_text=True)
    for action in ("login.failed", "login.success", "logout"):
        assert action in body
