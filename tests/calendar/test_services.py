"""working_days_after and friends against the seeded 2026 calendar (checked with chinese_calendar)."""
from datetime import date

import chinese_calendar
import pytest

from portal.calendar import services
from portal.calendar.models import CalendarDay
from portal.extensions import db


def test_seed_matches_chinese_calendar_for_2026(app):
    for day in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)):
        assert chinese_calendar.is_workday(day) and services.is_working_day(day)
    for offset in range(15, 24):
        day = date(2026, 2, offset)
        assert chinese_calendar.is_holiday(day) and not services.is_working_day(day)
    for offset in range(1, 8):
        assert not services.is_working_day(date(2026, 10, offset))
    d = date(2026, 1, 1)
    while d.year == 2026:  # the whole year agrees with the package
        assert services.is_working_day(d) == chinese_calendar.is_workday(d), d
        d = d.fromordinal(d.toordinal() + 1)


@pytest.mark.parametrize("start, n, expected", [
    (date(2026, 2, 13), 0, date(2026, 2, 13)),   # Friday, a working day: same day
    (date(2026, 2, 13), 1, date(2026, 2, 14)),   # Saturday Feb 14 is a make-up workday
    (date(2026, 2, 14), 1, date(2026, 2, 24)),   # then Feb 15-23 off
    (date(2026, 2, 15), 0, date(2026, 2, 24)),   # holiday: next working day
    (date(2026, 2, 13), 5, date(2026, 2, 27)),   # 14, 24, 25, 26, 27
    (date(2026, 2, 13), 6, date(2026, 2, 28)),   # Saturday Feb 28 make-up workday
    (date(2026, 9, 30), 1, date(2026, 10, 8)),   # National Day Oct 1-7
    (date(2026, 9, 18), 1, date(2026, 9, 20)),   # Sunday Sep 20 make-up workday
    (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday Oct 10 make-up workday
    (date(2026, 9, 30), 10, date(2026, 10, 20)),
    (date(2026, 11, 20), 1, date(2026, 11, 23)),  # ordinary weekend
    (date(2026, 11, 21), 0, date(2026, 11, 23)),
    (date(2026, 11, 23), 0, date(2026, 11, 23)),
])
def test_working_days_after(app, start, n, expected):
    assert services.working_days_after(start, n) == expected


def test_between_is_the_inverse(app):
    start = date(2026, 2, 10)
    for n in range(1, 30):
        assert services.working_days_between(start, services.working_days_after(start, n)) == n
    assert services.working_days_between(date(2026, 11, 23), date(2026, 11, 20)) == -1
    assert services.working_days_between(date(2026, 11, 20), date(2026, 11, 20)) == 0


def test_negative_n_refused(app):
    with pytest.raises(ValueError):
        services.working_days_after(date(2026, 1, 5), -1)


def test_admin_edit_changes_result_at_once(app):
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 23)
    services.save_day(None, on=date(2026, 11, 23), kind="holiday", name="test")
    db.session.commit()
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 24)
    day = db.session.query(CalendarDay).filter_by(day=date(2026, 11, 23)).one()
    services.delete_day(day)
    db.session.commit()
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 23)


def _calendar_queries(fn) -> int:
    from sqlalchemy import event

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    return len([s for s in statements if "calendar_days" in s])


def test_calendar_is_read_once_per_process_then_kept(app):
    assert _calendar_queries(lambda: services.working_days_after(date(2026, 2, 13), 10)) == 1
    assert _calendar_queries(lambda: [services.working_days_after(date(2026, 2, 13), 10),
                                      services.is_working_day(date(2025, 10, 1)),
                                      services.working_days_between(date(2026, 1, 1),
                                                                    date(2026, 12, 31))]) == 0


def test_another_process_edit_is_seen_after_the_refresh_interval(app, monkeypatch):
    from sqlalchemy import insert

    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 23)
    # another gunicorn worker adds a holiday: this process does not see the write itself
    db.session.execute(insert(CalendarDay), [{"day": date(2026, 11, 23), "kind": "holiday",
                                              "name": "elsewhere"}])
    db.session.commit()
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 23)
    from portal import refdata

    monkeypatch.setattr(refdata, "REFRESH_SECONDS", 0.0)  # ... until its copy is refreshed
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 24)


def test_uncommitted_edit_is_seen_by_its_transaction_and_dropped_on_rollback(app):
    services.working_days_after(date(2026, 11, 20), 1)   # the calendar is held
    services.save_day(None, on=date(2026, 11, 23), kind="holiday", name="test")
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 24)
    db.session.rollback()
    assert services.working_days_after(date(2026, 11, 20), 1) == date(2026, 11, 23)
