"""Calendar days that differ from the Monday-to-Friday rule.

A row is either a public holiday falling on a weekday (法定节假日, kind `holiday`) or a
weekend day worked instead (调休上班, kind `workday`). Every other day follows the rule:
Monday to Friday work, Saturday and Sunday off. Admins may also enter a holiday on a
weekend (harmless) or a workday on a weekday (harmless).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin

DAY_KINDS = ("holiday", "workday")


class CalendarDay(TimestampMixin, Base):
    __tablename__ = "calendar_days"
    __table_args__ = (CheckConstraint("kind IN ('holiday', 'workday')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)  # the unique index serves range scans
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(64), default="")
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_working(self) -> bool:
        return self.kind == "workday"
