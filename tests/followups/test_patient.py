"""The patient page: one timeline of discharges, tasks and attempts; object access."""
from __future__ import annotations

import pytest

from portal.extensions import db
from tests import factories
from tests.followups.factories_worklist import attempt_w, discharge_w, patient_w, task_w


def _history():
    p = patient_w(phone="13912345678", name="张三")
    old = discharge_w("W01", days_ago=200, patient=p, diagnosis="旧诊断")
    new = discharge_w("W02", days_ago=5, patient=p, diagnosis="新诊断")
    t1 = task_w(discharge=old, due_in=-197, status="completed", attempts=1)
    t2 = task_w(discharge=new, due_in=-2)
    nurse = factories.user("nurse", wards="W01")
    attempt_w(t1, nurse, "reached_patient", health_status="better", concerns="伤口疼")
    attempt_w(t2, nurse, "no_answer")
    quality_task = task_w(discharge=new, due_in=0, kind="quality")
    db.session.commit()
    return p, quality_task


@pytest.mark.parametrize("role", ["nurse", "head_nurse", "quality"])
def test_timeline_page_and_fragment(client, login, role):
    p, _ = _history()
    login(role, ward="W01")
    resp = client.get(f"/followups/patients/{p.id}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "张三" in html and "139****5678" in html and "13912345678" not in html
    assert html.index("新诊断") < html.index("旧诊断")      # newest first
    assert "伤口疼" in html
    assert html.count('class="timeline-attempt"') == 2
    frag = client.get(f"/followups/patients/{p.id}", htmx=True).get_data(as_text=True)
    assert frag.lstrip().startswith('<section id="patient-timeline"')


def test_nurse_does_not_see_quality_tasks(client, login):
    p, _ = _history()
    login("nurse", ward="W01")
    html = client.get(f"/followups/patients/{p.id}").get_data(as_text=True)
    assert html.count('class="timeline-task"') == 2
    login("quality")


def test_quality_sees_second_level_tasks(client, login):
    p, _ = _history()
    login("quality")
    html = client.get(f"/followups/patients/{p.id}").get_data(as_text=True)
    assert html.count('class="timeline-task"') == 3


def test_other_ward_nurse_gets_404(client, login):
    p, _ = _history()
    login("nurse", ward="W03")
    assert client.get(f"/followups/patients/{p.id}").status_code == 404
    assert client.get("/followups/patients/999999").status_code == 404


@pytest.mark.parametrize("role", ["leader", "admin"])
def test_leader_and_admin_403(client, login, role):
    p, _ = _history()
    login(role)
    assert client.get(f"/followups/patients/{p.id}").status_code == 403
