"""Rules management: list, create, edit, versioning (409), audit, roles and wards."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.followups.models import FollowUpRule, FollowUpTask
from portal.timeutil import local_today
from tests import factories
from tests.followups import factories as ff


def form(rule=None, **changes):
    data = {"label": "D+3 电话回访", "days_after": "3", "window_days": "2", "max_attempts": "3",
            "call_script": "您好，这里是心内科……", "active": "y"}
    if rule is not None:
        data["version"] = str(rule.version)
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_list_page_per_ward(client, login):
    ff.rule("W01", label="D+3 call")
    ff.rule("W02", label="W02 rule")
    login("head_nurse", ward="W01")
    page = client.get("/rules")
    assert page.status_code == 200 and "D+3 call" in page.text and "W02 rule" not in page.text
    assert "/rules/new" in page.text


def test_quality_reads_all_but_cannot_edit(client, login):
    r = ff.rule("W02", label="W02 rule")
    login("quality")
    page = client.get("/rules")
    assert "W02 rule" in page.text and "/edit" not in page.text
    assert client.get("/rules/new").status_code == 403
    assert client.get(f"/rules/{r.id}/edit").status_code == 403


@pytest.mark.parametrize("role", ["nurse", "leader"])
def test_other_roles_refused(client, login, role):
    login(role)
    assert client.get("/rules").status_code == 403


def test_head_nurse_creates_rule_for_own_ward_and_tasks_follow(client, login):
    d = ff.discharge("W01", discharged_on=local_today() - timedelta(days=1))
    ward = d.ward
    login("head_nurse", ward="W01")
    assert client.get("/rules/new").status_code == 200
    resp = client.post("/rules/new", data=form(ward=str(ward.id)))
    assert resp.status_code == 303
    rule = db.session.scalar(select(FollowUpRule))
    assert (rule.label, rule.days_after, rule.max_attempts, rule.active) == ("D+3 电话回访", 3, 3, True)
    task = db.session.scalar(select(FollowUpTask))
    assert task.due_on == d.discharged_on + timedelta(days=3)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "followup_rule.created"))
    assert entry.detail["ward"] == "W01" and "call_script" not in entry.detail


def test_head_nurse_cannot_create_for_another_ward(client, login):
    other = factories.ward("W02")
    login("head_nurse", ward="W01")
    resp = client.post("/rules/new", data=form(ward=str(other.id)), htmx=True)
    assert resp.status_code == 422 and 'id="rule-form"' in resp.text
    assert db.session.scalar(select(FollowUpRule)) is None


def test_bad_input_422_beside_the_field(client, login):
    login("admin")
    ward = factories.ward("W03")
    db.session.commit()
    resp = client.post("/rules/new", data=form(ward=str(ward.id), days_after="-1", label=""),
                       htmx=True)
    assert resp.status_code == 422 and "<html" not in resp.text
    assert resp.text.count('class="error"') >= 2


def test_edit_moves_future_pending_tasks_only(client, login):
    today = local_today()
    rule = ff.rule("W01", days_after=3)
    ahead = ff.task(rule_=rule, discharge_=ff.discharge(discharged_on=today - timedelta(days=1)))
    done = ff.task(rule_=rule, status="completed",
                   discharge_=ff.discharge(discharged_on=today - timedelta(days=1)))
    done_due = done.due_on
    login("head_nurse", ward="W01")
    page = client.get(f"/rules/{rule.id}/edit")
    assert page.status_code == 200 and 'name="version"' in page.text
    resp = client.post(f"/rules/{rule.id}/edit",
                       data=form(rule, label=rule.label, call_script="", days_after="5"))
    assert resp.status_code == 303
    db.session.expire_all()
    assert ahead.due_on == today + timedelta(days=4) and done.due_on == done_due
    assert rule.version == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "followup_rule.changed"))
    assert entry.detail["fields"] == ["days_after"] and entry.detail["tasks_moved"] == 1


def test_stale_save_is_409_with_current_version(client, login):
    rule = ff.rule("W01", label="old")
    login("head_nurse", ward="W01")
    stale = form(rule, label="mine")
    rule.label = "theirs"
    db.session.commit()
    resp = client.post(f"/rules/{rule.id}/edit", data=stale, htmx=True)
    assert resp.status_code == 409 and 'id="rule-form"' in resp.text
    assert 'value="theirs"' in resp.text
    db.session.expire_all()
    assert rule.label == "theirs"


def test_deactivating_cancels_future_tasks(client, login):
    rule = ff.rule("W01", days_after=30)
    t = ff.task(rule_=rule)
    login("admin")
    client.post(f"/rules/{rule.id}/edit", data=form(rule, days_after="30", active=None))
    db.session.expire_all()
    assert rule.active is False and t.status == "cancelled"


def test_other_wards_rule_is_404_for_head_nurse(client, login):
    rule = ff.rule("W02")
    login("head_nurse", ward="W01")
    g.pop("_login_user", None)
    assert client.get(f"/rules/{rule.id}/edit").status_code == 404
    assert client.post(f"/rules/{rule.id}/edit", data=form(rule)).status_code == 404
    assert client.get("/rules/999/edit").status_code == 404
