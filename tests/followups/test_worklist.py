"""The worklist page: tabs and counts, pagination, ward filter, roles, phone reveal."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from tests.followups.factories_worklist import task_w

URL = "/followups/"


def counts(html: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'data-count="(\w+)">(\d+)<', html)}


@pytest.mark.parametrize("role", ["nurse", "head_nurse", "quality"])
def test_page_and_fragment(client, login, role):
    login(role, ward="W01")
    task_w(due_in=0)
    db.session.commit()
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="worklist"' in html and "followups.js" in html
    assert counts(html)["today"] == 1
    frag = client.get(URL, htmx=True)
    assert frag.status_code == 200
    body = frag.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith("<div id=\"worklist\"")
    assert "Vary" in frag.headers and "HX-Request" in frag.headers["Vary"]


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_other_roles_refused(client, login, role):
    login(role)
    assert client.get(URL).status_code == 403
    assert client.get("/followups/counts").status_code == 403


def test_signed_out_goes_to_login(client):
    resp = client.get(URL)
    assert resp.status_code in (302, 303) and "/login" in resp.headers["Location"]


def test_tabs_show_their_tasks(client, login):
    login("nurse")
    today = task_w(due_in=0, diagnosis="TODAYDX")
    overdue = task_w(due_in=-6, diagnosis="OVERDUEDX")
    upcoming = task_w(due_in=4, diagnosis="UPCOMINGDX")
    done = task_w(due_in=-1, status="completed", last_outcome="reached_patient",
                  diagnosis="DONEDX")
    db.session.commit()
    wanted = {"today": today, "overdue": overdue, "upcoming": upcoming, "done": done}
    for tab, task in wanted.items():
        html = client.get(f"{URL}?tab={tab}").get_data(as_text=True)
        assert f'id="task-{task.id}"' in html
        assert sum(f"{t.upper()}DX" in html for t in wanted) == 1, tab
        assert counts(html) == {"today": 1, "overdue": 1, "upcoming": 1, "done": 1}


def test_row_content_masks_phone(client, login):
    login("nurse")
    task = task_w(due_in=0)
    task.discharge.patient.phone = "13812345678"
    task.discharge.diagnosis = "肺炎恢复期"
    db.session.commit()
    html = client.get(URL).get_data(as_text=True)
    assert "138****5678" in html and "13812345678" not in html
    assert "肺炎恢复期" in html and "W01" in html
    assert 'tabindex="0"' in html and 'aria-keyshortcuts="1 2 3 4 5 6 7 8 Enter"' in html
    assert html.count('<button type="submit" name="outcome"') == 8


def test_counts_fragment(client, login):
    login("nurse")
    task_w(due_in=0)
    task_w(due_in=0)
    db.session.commit()
    resp = client.get("/followups/counts?tab=today", htmx=True)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.startswith("<nav id=\"worklist-tabs\"")
    assert 'hx-trigger="worklist-changed from:body"' in body
    assert counts(body)["today"] == 2


def test_pagination(client, login):
    login("nurse")
    for _ in range(30):
        task_w(due_in=0)
    db.session.commit()
    first = client.get(URL).get_data(as_text=True)
    assert first.count('class="task-row"') == 25 and 'rel="next"' in first
    second = client.get(f"{URL}?page=2", htmx=True).get_data(as_text=True)
    assert second.count('class="task-row"') == 5


def test_ward_filter(client, login):
    login("nurse", ward=["W01", "W02"])
    a = task_w(ward="W01")
    b = task_w(ward="W02")
    task_w(ward="W03")
    db.session.commit()
    html = client.get(URL).get_data(as_text=True)
    assert 'id="ward-filter"' in html and counts(html)["today"] == 2
    html = client.get(f"{URL}?ward=W02").get_data(as_text=True)
    assert f'id="task-{b.id}"' in html and f'id="task-{a.id}"' not in html
    assert counts(html)["today"] == 1
    assert client.get(f"{URL}?ward=W03").status_code == 404


def test_single_ward_has_no_filter(client, login):
    login("nurse")
    assert 'id="ward-filter"' not in client.get(URL).get_data(as_text=True)


def test_no_query_per_row(client, login, app):
    from sqlalchemy import event

    login("nurse")
    for _ in range(3):
        task_w(due_in=0)
    db.session.commit()
    client.get(URL)   # the reference tables this process holds (calendar ...) are loaded
    db.session.commit()   # both counted requests begin a transaction
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        client.get(URL)
        few = len(statements)
        for _ in range(20):
            task_w(due_in=0)
        db.session.commit()
        statements.clear()
        client.get(URL)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == few


def test_reveal_phone_audited(client, login):
    nurse = login("nurse")
    task = task_w(due_in=0)
    patient = task.discharge.patient
    patient.phone = "13812345678"
    db.session.commit()
    resp = client.post(f"/followups/patients/{patient.id}/phone", htmx=True)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "13812345678" in body and "<html" not in body
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "patient.phone_revealed"))
    assert entry.user_id == nurse.id and entry.object_id == str(patient.id)
    assert "13812345678" not in str(entry.detail)
    page = client.post(f"/followups/patients/{patient.id}/phone", data={"next": "/followups/"})
    assert page.status_code == 200 and "13812345678" in page.get_data(as_text=True)


def test_reveal_refused_for_other_ward_leader_and_without_csrf(client, login):
    task = task_w(ward="W02")
    db.session.commit()
    login("nurse")
    pid = task.discharge.patient_id
    assert client.post(f"/followups/patients/{pid}/phone", htmx=True).status_code == 404
    assert client.post(f"/followups/patients/{pid}/phone", csrf=False).status_code == 400
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "patient.phone_revealed")) is None


def test_leader_may_not_reveal(client, login):
    task = task_w()
    db.session.commit()
    login("leader")
    pid = task.discharge.patient_id
    assert client.post(f"/followups/patients/{pid}/phone").status_code == 403
    assert client.get(f"/followups/patients/{pid}").status_code == 403
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "patient.phone_revealed")) is None
