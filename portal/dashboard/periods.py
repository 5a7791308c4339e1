"""Reporting periods: a month, a quarter, a year or a custom range of local (Asia/Shanghai) days.

A period is parsed from the query string (`period=2026-10`, `2026-Q3`, `2026`, or
`from=2026-01-05&to=2026-02-10`), knows the period before it of the same kind and length,
and the twelve calendar months that end with it (the trend window).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _

from portal.timeutil import local_today

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.I)
_YEAR = re.compile(r"^(\d{4})$")
MAX_DAYS = 3 * 366 + 1  # a custom range longer than 3 years is refused


class PeriodError(ValueError):
    """The period in the query string cannot be read."""


def month_start(d: date) -> date:
    return d.replace(day=1)


def add_months(d: date, months: int) -> date:
    """First day of the month `months` after the month of d."""
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


@dataclass(frozen=True)
class Period:
    kind: str          # month | quarter | year | custom
    start: date        # first day (inclusive)
    end: date          # last day (inclusive)

    @property
    def key(self) -> str:
        """The query-string value that names this period."""
        if self.kind == "month":
            return month_key(self.start)
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return _("%(year)d-%(month)02d", year=self.start.year, month=self.start.month)
        if self.kind == "quarter":
            return _("Q%(q)d %(year)d", q=(self.start.month - 1) // 3 + 1, year=self.start.year)
        if self.kind == "year":
            return _("Year %(year)d", year=self.start.year)
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period just before: previous month/quarter/year, or the same number of days."""
        if self.kind == "month":
            start = add_months(self.start, -1)
            return Period("month", start, self.start - timedelta(days=1))
        if self.kind == "quarter":
            start = add_months(self.start, -3)
            return Period("quarter", start, self.start - timedelta(days=1))
        if self.kind == "year":
            return Period("year", date(self.start.year - 1, 1, 1), date(self.start.year - 1, 12, 31))
        end = self.start - timedelta(days=1)
        return Period("custom", end - timedelta(days=self.days - 1), end)

    def trend_months(self, count: int = 12) -> list[date]:
        """First days of the `count` calendar months ending with the month of `end`."""
        last = month_start(self.end)
        return [add_months(last, -i) for i in range(count - 1, -1, -1)]

    def clipped(self, today: date | None = None) -> tuple[date, date]:
        """(start, end) with the end no later than today: nothing is due in the future yet."""
        today = today or local_today()
        return self.start, min(self.end, today)


def month_period(first: date) -> Period:
    return Period("month", first, add_months(first, 1) - timedelta(days=1))


def default_period(today: date | None = None) -> Period:
    """The last complete month (monthly reports and dashboards open on it)."""
    today = today or local_today()
    return month_period(add_months(today, -1))


def parse_period(value: str | None = None, date_from: str | None = None,
                 date_to: str | None = None, today: date | None = None) -> Period:
    """Read a period from query arguments; an empty value gives the default period."""
    if date_from or date_to:
        try:
            start = date.fromisoformat(date_from or "")
            end = date.fromisoformat(date_to or "")
        except ValueError as e:
            raise PeriodError(_("Enter both dates as YYYY-MM-DD.")) from e
        return _custom(start, end)
    value = (value or "").strip()
    if not value:
        return default_period(today)
    try:
        if m := _MONTH.match(value):
            return month_period(date(int(m[1]), int(m[2]), 1))
        if m := _QUARTER.match(value):
            start = date(int(m[1]), (int(m[2]) - 1) * 3 + 1, 1)
            return Period("quarter", start, add_months(start, 3) - timedelta(days=1))
        if m := _YEAR.match(value):
            year = int(m[1])
            return Period("year", date(year, 1, 1), date(year, 12, 31))
        if ".." in value:
            a, _sep, b = value.partition("..")
            return _custom(date.fromisoformat(a), date.fromisoformat(b))
    except ValueError as e:
        raise PeriodError(_("This period cannot be read.")) from e
    raise PeriodError(_("This period cannot be read."))


def _custom(start: date, end: date) -> Period:
    if end < start:
        raise PeriodError(_("The end date is before the start date."))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(_("Choose a range of at most three years."))
    return Period("custom", start, end)


def period_choices(today: date | None = None) -> list[tuple[str, str]]:
    """Presets for the filter: the last 13 months, 8 quarters and 3 years."""
    today = today or local_today()
    this_month = month_start(today)
    months = [month_period(add_months(this_month, -i)) for i in range(13)]
    q_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    quarters = [parse_period(Period("quarter", add_months(q_start, -3 * i), q_start).key)
                for i in range(8)]
    years = [parse_period(str(today.year - i)) for i in range(3)]
    return [(p.key, p.label) for p in months + quarters + years]
