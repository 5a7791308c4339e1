"""The admin holiday calendar: list by year, add, edit, delete; roles; bad input; audit."""
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.calendar import services
from portal.calendar.models import CalendarDay
from portal.extensions import db


def _day(on):
    return db.session.scalar(select(CalendarDay).where(CalendarDay.day == on))


def test_list_by_year_page_and_fragment(client, login):
    login("admin")
    page = client.get("/admin/calendar?year=2026")
    assert page.status_code == 200 and "<html" in page.text and "春节调休" in page.text
    frag = client.get("/admin/calendar?year=2025", htmx=True)
    assert frag.status_code == 200 and "<html" not in frag.text and 'id="calendar-days"' in frag.text


@pytest.mark.parametrize("role", ["nurse", "head_nurse", "quality", "leader"])
def test_other_roles_refused(client, login, role):
    login(role)
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar", data={"day": "2026-11-23", "kind": "holiday"}).status_code == 403


def test_add_edit_delete_audited_and_counted(client, login):
    login("admin")
    r = client.post("/admin/calendar?year=2026", data={"day": "2026-11-23", "kind": "holiday",
                                                       "name": "院庆"})
    assert r.status_code == 303
    day = _day(date(2026, 11, 23))
    assert day.kind == "holiday"
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 24)
    r = client.post(f"/admin/calendar/{day.id}", data={"day": "2026-11-23", "kind": "workday",
                                                        "name": "x", "version": day.version},
                    htmx=True)
    assert r.status_code == 204 and "HX-Location" in r.headers
    db.session.expire_all()
    assert _day(date(2026, 11, 23)).kind == "workday"
    r = client.post(f"/admin/calendar/{day.id}/delete")
    assert r.status_code == 303 and _day(date(2026, 11, 23)) is None
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "calendar_days")).all()
    assert actions == ["calendar.day_added", "calendar.day_changed", "calendar.day_deleted"]


def test_bad_input_422(client, login):
    login("admin")
    r = client.post("/admin/calendar", data={"day": "not a date", "kind": "holiday"}, htmx=True)
    assert r.status_code == 422 and 'class="error"' in r.text
    r = client.post("/admin/calendar", data={"day": "2026-02-16", "kind": "holiday"}, htmx=True)
    assert r.status_code == 422 and "该日期已在日历中" in r.text


def test_stale_edit_409(client, login):
    login("admin")
    day = _day(date(2026, 2, 14))
    r = client.post(f"/admin/calendar/{day.id}", data={"day": "2026-02-14", "kind": "holiday",
                                                        "version": day.version + 5})
    assert r.status_code == 409
    db.session.expire_all()
    assert _day(date(2026, 2, 14)).kind == "workday"


def test_missing_day_404(client, login):
    login("admin")
    assert client.get("/admin/calendar/999999").status_code == 404


def test_edit_page_and_fragment(client, login):
    login("admin")
    day = _day(date(2026, 2, 14))
    assert client.get(f"/admin/calendar/{day.id}").status_code == 200
    r = client.get(f"/admin/calendar/{day.id}", htmx=True)
    assert r.status_code == 200 and 'id="day-form"' in r.text and "<html" not in r.text


def test_csrf_kept_on(client, login):
    login("admin")
    r = client.post("/admin/calendar", data={"day": "2026-11-23", "kind": "holiday"}, csrf=False)
    assert r.status_code == 400
