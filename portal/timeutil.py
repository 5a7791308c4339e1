"""Local time for people (Asia/Shanghai) over UTC storage."""
from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from portal.db import utcnow

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def local_now() -> datetime:
    return utcnow().astimezone(LOCAL_TZ)


def local_today() -> date:
    """Today's date on the ward (the day a follow-up is due is a local day)."""
    return local_now().date()


def to_local(value: datetime | None) -> datetime | None:
    return value.astimezone(LOCAL_TZ) if value is not None else None


def local_minute(value: datetime) -> str:
    """As Babel's format_datetime(value, "yyyy-MM-dd HH:mm") in Asia/Shanghai (the |dt
    filter), without a Babel call: naive values are UTC, as Flask-Babel takes them."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LOCAL_TZ).isoformat(" ", "minutes")[:16]
