"""The complaints register: cases, their wards and staff, timeline, root causes,
corrective actions, categories and the reference-number counters."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, Date, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import Base, TimestampMixin, utcnow
from portal.wards.models import Ward

KINDS = ("complaint", "praise", "suggestion")
PRAISE_TYPES = ("praise", "banner", "letter")          # 表扬 / 锦旗 / 感谢信
SOURCES = ("call", "survey", "in_person", "forum", "comment_book", "telephone", "letter",
           "hotline", "online", "other")
SEVERITIES = ("low", "medium", "high", "critical")
STATES = ("received", "assigned", "investigating", "responded", "corrective_action",
          "verified", "acknowledged", "closed", "withdrawn")
CAUSE_CATEGORIES = ("people", "method", "equipment", "material", "environment", "management")
ACTION_STATUSES = ("open", "done")
DESCRIPTION_MAX = 10_000


def _in(column: str, values, nullable: bool = False) -> str:
    check = f"{column} IN ({', '.join(repr(v) for v in values)})"
    return f"{column} IS NULL OR {check}" if nullable else check


complaint_wards = Table(
    "complaint_wards", Base.metadata,
    Column("complaint_id", ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True),
    Column("ward_id", ForeignKey("wards.id"), primary_key=True, index=True),
)

complaint_staff = Table(
    "complaint_staff", Base.metadata,
    Column("complaint_id", ForeignKey("complaints.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class ComplaintCategory(Base):
    __tablename__ = "complaint_categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_zh: Mapped[str] = mapped_column(String(64))
    name_en: Mapped[str] = mapped_column(String(64))
    sort: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    def label(self, locale: str) -> str:
        return self.label_in(locale, self.name_zh, self.name_en)

    @staticmethod
    def label_in(locale: str, name_zh: str, name_en: str) -> str:
        """The category's name in the language of `locale` (also for Core rows)."""
        return name_en if locale == "en" else name_zh


class ReferenceCounter(Base):
    """The last number given per prefix and year (TS-2026-0001); bumped by an upsert."""

    __tablename__ = "complaint_counters"

    prefix: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


class Complaint(TimestampMixin, Base):
    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind_known"),
        CheckConstraint(_in("praise_type", PRAISE_TYPES, True), name="praise_type_known"),
        CheckConstraint(_in("source", SOURCES), name="source_known"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity_known"),
        CheckConstraint(_in("state", STATES), name="state_known"),
        # kind and is_repeat too: the open cases' counts (dashboards) read the index alone,
        # not each open case's row scattered over every case ever filed
        # the lists' order within a state; kind and is_repeat for counts (migration 0008g)
        Index("ix_complaints_state_due", "state", "next_due_on", "id", "kind", "is_repeat"),
        Index("ix_complaints_kind_received", "kind", "received_at"),
        Index("ix_complaints_category_received", "category_id", "kind", "received_at"),
        # the dashboard's on-time rate reads the cases whose deadline falls in a period
        Index("ix_complaints_response_due_on", "response_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    praise_type: Mapped[str | None] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)  # 首诉人
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("complaint_categories.id"))
    severity: Mapped[str] = mapped_column(String(8), default="medium")
    state: Mapped[str] = mapped_column(String(20), default="received")
    complainant_name: Mapped[str] = mapped_column(String(64), default="")
    complainant_relation: Mapped[str] = mapped_column(String(32), default="")
    complainant_phone: Mapped[str] = mapped_column(String(32), default="")
    staff_names: Mapped[str] = mapped_column(String(200), default="")  # staff without an account
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("followup_tasks.id"), index=True)
    call_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempts.id"), index=True)
    survey_response_id: Mapped[int | None] = mapped_column(ForeignKey("survey_responses.id"),
                                                           index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    response_text: Mapped[str] = mapped_column(Text, default="")  # the answer to the complainant
    ack_due_on: Mapped[date | None] = mapped_column(Date)
    response_due_on: Mapped[date | None] = mapped_column(Date)
    # lists and counts read it through ix_complaints_state_due (migration 0008g)
    next_due_on: Mapped[date | None] = mapped_column(Date)
    assigned_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    responded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    is_repeat: Mapped[bool] = mapped_column(default=False, index=True)
    version: Mapped[int] = mapped_column(default=1)

    category: Mapped[ComplaintCategory | None] = relationship()
    receiver: Mapped[User] = relationship(foreign_keys=[receiver_id])
    filed_by: Mapped[User] = relationship(foreign_keys=[filed_by_id])
    wards: Mapped[list[Ward]] = relationship(secondary=complaint_wards, order_by=Ward.code)
    staff: Mapped[list[User]] = relationship(secondary=complaint_staff, order_by=User.username)
    causes: Mapped[list[RootCause]] = relationship(back_populates="complaint",
                                                   order_by="RootCause.id")
    actions: Mapped[list[CorrectiveAction]] = relationship(back_populates="complaint",
                                                           order_by="CorrectiveAction.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_complaint(self) -> bool:
        return self.kind == "complaint"


class ComplaintEvent(Base):
    """One line of a case's timeline: who did what, when. Append-only."""

    __tablename__ = "complaint_events"
    __table_args__ = (Index("ix_complaint_events_case", "complaint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(12))    # state, field, comment, cause, action
    field: Mapped[str] = mapped_column(String(32), default="")   # field name or move name
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)  # the case version this change made

    user: Mapped[User | None] = relationship()


class RootCause(Base):
    __tablename__ = "complaint_causes"
    __table_args__ = (CheckConstraint(_in("category", CAUSE_CATEGORIES), name="category_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"),
                                              index=True)
    category: Mapped[str] = mapped_column(String(12))
    narrative: Mapped[str] = mapped_column(Text)
    lesson: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="causes")


class CorrectiveAction(Base):
    __tablename__ = "complaint_actions"
    __table_args__ = (
        CheckConstraint(_in("status", ACTION_STATUSES), name="status_known"),
        Index("ix_complaint_actions_status_due", "status", "due_on"),
        Index("ix_complaint_actions_owner_status", "owner_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id", ondelete="CASCADE"),
                                              index=True)
    what: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_name: Mapped[str] = mapped_column(String(64), default="")
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="open")
    done_at: Mapped[datetime | None]
    effective: Mapped[bool | None]          # quality's verdict; None = not verified yet
    verification_note: Mapped[str] = mapped_column(Text, default="")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    complaint: Mapped[Complaint] = relationship(back_populates="actions")
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])
