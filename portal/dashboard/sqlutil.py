"""SQL building blocks shared by the metric sources: month buckets in local time, date ranges."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, literal_column

from portal.extensions import db
from portal.timeutil import LOCAL_TZ


def dialect() -> str:
    return db.session.get_bind().dialect.name


def rare(condition):
    """A condition few rows meet (open cases among years of closed ones): SQLite's statistics
    do not see the skew, `unlikely()` tells its planner to use the index."""
    if dialect() == "sqlite":
        return func.unlikely(condition)
    return condition


def month_of_date(column):
    """'YYYY-MM' of a Date column (dates are already local days)."""
    if dialect() == "postgresql":
        return func.to_char(column, "YYYY-MM")
    return func.strftime("%Y-%m", column)


def month_of_datetime(column):
    """'YYYY-MM' of a UTC datetime column, in Asia/Shanghai (UTC+8 all year, no DST)."""
    if dialect() == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM")
    return func.strftime("%Y-%m", column, literal_column("'+8 hours'"))


def local_date_of(column):
    """The Asia/Shanghai calendar day of a UTC datetime column (comparable with a Date)."""
    if dialect() == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, literal_column("'+8 hours'"))


def utc_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) local, as aware datetimes: for UTC datetime columns."""
    return (datetime.combine(start, time(), LOCAL_TZ),
            datetime.combine(end + timedelta(days=1), time(), LOCAL_TZ))


def grouped(rows, by: str | None, names: tuple[str, ...]) -> dict:
    """{group key: {count name: int}} from result rows (key first, then counts in order)."""
    result = {}
    for row in rows:
        key = row[0] if by else None
        values = row[1:] if by else row
        result[key] = {n: int(v or 0) for n, v in zip(names, values, strict=True)}
    return result
