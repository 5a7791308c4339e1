"""Rows for calendar_days from the `chinesecalendar` package (the years it knows).

Only the days that differ from the Monday-to-Friday rule are kept: holidays on weekdays
and make-up workdays (调休) on weekends. Used by migration 0003 and `flask calendar-seed`.
"""
from __future__ import annotations

from datetime import date

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed_rows() -> list[dict]:
    """[{day, kind, name}] for every differing day chinese_calendar knows; [] without it."""
    try:
        from chinese_calendar import constants
    except ImportError:  # the package is a dependency; a missing one only means no seed
        return []
    rows = []
    for day, name in constants.holidays.items():
        if day.weekday() < 5:
            rows.append({"day": day, "kind": "holiday", "name": HOLIDAY_NAMES.get(name, name)})
    for day, name in constants.workdays.items():
        if day.weekday() >= 5:
            rows.append({"day": day, "kind": "workday",
                         "name": HOLIDAY_NAMES.get(name, name) + "调休"})
    return sorted(rows, key=lambda r: r["day"])


def missing_rows(existing: set[date]) -> list[dict]:
    return [r for r in seed_rows() if r["day"] not in existing]
