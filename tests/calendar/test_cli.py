"""`flask calendar-seed` adds what chinesecalendar knows and keeps admin edits."""
from datetime import date

from sqlalchemy import delete, func, select

from portal.calendar.models import CalendarDay
from portal.calendar.seed import seed_rows
from portal.extensions import db


def test_migration_seeded_every_row(app):
    assert db.session.scalar(select(func.count(CalendarDay.id))) == len(seed_rows()) > 200


def test_seed_adds_missing_and_keeps_edits(app, runner):
    db.session.execute(delete(CalendarDay).where(CalendarDay.day.between(date(2025, 1, 1),
                                                                          date(2025, 12, 31))))
    edited = db.session.scalar(select(CalendarDay).where(CalendarDay.day == date(2026, 2, 16)))
    edited.name = "春节（院内）"
    db.session.commit()
    result = runner.invoke(args=["calendar-seed"])
    assert result.exit_code == 0 and "Added" in result.output
    assert db.session.scalar(select(func.count(CalendarDay.id))) == len(seed_rows())
    db.session.expire_all()
    assert db.session.scalar(select(CalendarDay.name).where(
        CalendarDay.day == date(2026, 2, 16))) == "春节（院内）"
