"""Users and their ward memberships."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin
from portal.wards.models import Ward

ROLES = ("nurse", "head_nurse", "quality", "leader", "admin")
CLINICAL_ROLES = ("nurse", "head_nurse", "quality")

user_wards = Table(
    "user_wards",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("ward_id", ForeignKey("wards.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"  # `user` is reserved in PostgreSQL
    __table_args__ = (
        CheckConstraint(
            "role IN ('nurse', 'head_nurse', 'quality', 'leader', 'admin')", name="role_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    language: Mapped[str | None] = mapped_column(String(8))
    # Bumped by sign-out, disabling, password reset and role change: every cookie
    # carrying an older number stops working on its next request.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    first_failed_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    wards: Mapped[list[Ward]] = relationship(secondary=user_wards, order_by=Ward.code)

    __mapper_args__ = {"version_id_col": version}

    # Flask-Login: the id in the cookie carries the session version.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def ward_ids(self) -> list[int]:
        return [w.id for w in self.wards]

    @property
    def sees_all_wards(self) -> bool:
        """Quality staff, leaders and admins work across wards."""
        return self.role in ("quality", "leader", "admin")

    def __str__(self) -> str:
        return self.display_name or self.username
