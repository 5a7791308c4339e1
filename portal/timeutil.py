"""Local time for people (Asia/Shanghai) over UTC storage."""
from __future__ import annotations

from datetime import date, datetime
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
