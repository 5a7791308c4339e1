"""Working days on the Chinese calendar: the ONE place deadlines are counted.

Rule: Monday to Friday are working days, Saturday and Sunday are not, except the days in
`calendar_days` (public holidays on weekdays; weekend make-up workdays 调休). The exceptions
are a few dozen rows a year, so each process holds them all (portal/refdata.py) instead of
reading a range per call: an admin's edit counts at once in the process that saved it and
within a minute in the other gunicorn workers.

Definitions (dates are local days, Asia/Shanghai):
- ``is_working_day(d)``: d is a working day.
- ``working_days_after(start, n)``: n = 0 -> ``start`` if it is a working day, else the next
  working day ("the same working day"); n >= 1 -> the n-th working day strictly after
  ``start`` (received on Friday, 1 working day -> Monday). n < 0 is refused.
- ``working_days_between(a, b)``: the number of working days d with a < d <= b; negative
  (-(count of a >= d > b)) when b < a; so working_days_between(a, working_days_after(a, n)) == n
  for n >= 1.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from portal import refdata
from portal.calendar.models import CalendarDay
from portal.extensions import db

_EXCEPTIONS = select(CalendarDay.day, CalendarDay.kind)


def _exceptions() -> dict[date, bool]:
    """Every exception day -> whether it is a working day (this process's copy)."""
    return refdata.held("calendar", _load_exceptions, CalendarDay)


def _load_exceptions() -> dict[date, bool]:
    rows = db.session.connection().execute(_EXCEPTIONS)
    return {day: kind == "workday" for day, kind in rows}


class WorkingCalendar:
    """Answers for days inside [first, last] (the range a question needs)."""

    def __init__(self, first: date, last: date):
        self.first, self.last = first, last
        self.exceptions = _exceptions()

    def is_working_day(self, d: date) -> bool:
        if d in self.exceptions:
            return self.exceptions[d]
        return d.weekday() < 5

    def after(self, start: date, n: int) -> date | None:
        """As working_days_after, or None when the answer lies beyond the loaded range."""
        if n < 0:
            raise ValueError("n must be 0 or more")
        d = start
        if n == 0:
            while d <= self.last:
                if self.is_working_day(d):
                    return d
                d += timedelta(days=1)
            return None
        count = 0
        while d < self.last:
            d += timedelta(days=1)
            if self.is_working_day(d):
                count += 1
                if count == n:
                    return d
        return None

    def between(self, a: date, b: date) -> int:
        if b < a:
            return -self.between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1)
                   if self.is_working_day(a + timedelta(days=i)))

    def time_left(self, due: date | None, today: date) -> int | None:
        """Working days from today to due: 0 = due today, negative = overdue by that many."""
        if due is None:
            return None
        if due >= today:
            return self.between(today, due)
        return -max(self.between(due, today), 1)


def _span(n: int) -> int:
    # the longest run of days off is 9 (Spring Festival), so 7/5 n + 3 weeks always suffices
    return n * 7 // 5 + 21


def working_days_after(start: date, n: int) -> date:
    if n < 0:
        raise ValueError("n must be 0 or more")
    span = _span(n)
    while True:
        result = WorkingCalendar(start, start + timedelta(days=span)).after(start, n)
        if result is not None:
            return result
        span *= 2  # an admin entered a very long holiday: widen and ask again


def is_working_day(d: date) -> bool:
    return WorkingCalendar(d, d).is_working_day(d)


def working_days_between(a: date, b: date) -> int:
    return WorkingCalendar(min(a, b), max(a, b)).between(a, b)


def calendar_for(dates) -> WorkingCalendar:
    """One calendar covering every date given (and today), for lists that show time left."""
    from portal.timeutil import local_today

    known = [d for d in dates if d is not None] + [local_today()]
    return WorkingCalendar(min(known), max(known))


def days_of_year(year: int) -> list[CalendarDay]:
    return list(db.session.scalars(select(CalendarDay).where(
        CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31))).order_by(CalendarDay.day)))


def years() -> list[int]:
    from sqlalchemy import func

    first, last = db.session.execute(select(func.min(CalendarDay.day),
                                            func.max(CalendarDay.day))).one()
    from portal.timeutil import local_today

    this = local_today().year
    lo = min(first.year, this) if first else this
    hi = max(last.year, this + 1) if last else this + 1
    return list(range(hi, lo - 1, -1))


class DayTaken(ValueError):
    """Another row already holds this date."""


def get_day_or_404(day_id: int) -> CalendarDay:
    from flask import abort

    day = db.session.get(CalendarDay, day_id)
    if day is None:
        abort(404)
    return day


def save_day(day: CalendarDay | None, *, on: date, kind: str, name: str) -> CalendarDay:
    """Add (day=None) or change a calendar day; audited (ids and dates only)."""
    from portal.audit.services import record

    clash = db.session.scalar(select(CalendarDay).where(CalendarDay.day == on))
    if clash is not None and clash is not day:
        raise DayTaken(on)
    action = "calendar.day_changed"
    if day is None:
        day = CalendarDay(day=on, kind=kind, name=name)
        db.session.add(day)
        action = "calendar.day_added"
    else:
        day.day, day.kind, day.name = on, kind, name
    db.session.flush()
    record(action, day, day=on.isoformat(), kind=kind)
    return day


def delete_day(day: CalendarDay) -> None:
    from portal.audit.services import record

    record("calendar.day_deleted", day, day=day.day.isoformat(), kind=day.kind)
    db.session.delete(day)
    db.session.flush()
