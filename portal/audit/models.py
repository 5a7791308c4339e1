"""Audit entries. The database refuses UPDATE and DELETE on this table (see migration 0001);
only the retention command may delete entries past the minimum period (migration 0006)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class AuditEntry(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_object", "object_type", "object_id"),
        Index("ix_audit_entries_action_at", "action", "at"),
        Index("ix_audit_entries_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    username: Mapped[str] = mapped_column(String(64), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32), default="")
    object_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class RetentionUnlock(Base):
    """A one-row latch: while its row exists, SQLite's trigger lets retention delete old entries.

    The retention command inserts the row and deletes it again inside its own write
    transaction (BEGIN IMMEDIATE), so no other connection ever sees it. PostgreSQL uses
    `SET LOCAL careloop.retention = 'on'` instead (see migration 0006).
    """

    __tablename__ = "retention_unlock"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
