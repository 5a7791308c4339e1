"""Wards: the unit every patient record, rule and figure belongs to."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, TimestampMixin


class Ward(TimestampMixin, Base):
    __tablename__ = "wards"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def __str__(self) -> str:
        return self.label_of(self.code, self.name)

    @staticmethod
    def label_of(code: str, name: str) -> str:
        """How a ward is named in lists and choices (also from Core rows of code and name)."""
        return f"{code} {name}"
