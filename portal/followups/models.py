"""Patients, discharges, follow-up rules, tasks, call attempts and import batches."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.models import User
from portal.db import Base, TimestampMixin, utcnow
from portal.wards.models import Ward

SEXES = ("M", "F", "U")
TASK_STATUSES = ("pending", "completed", "lost", "cancelled")
TASK_KINDS = ("ward", "quality")  # quality = sampled second-level call (抽查回访)
OUTCOMES = ("reached_patient", "reached_family", "no_answer", "busy", "wrong_number",
            "refused", "deceased", "readmitted")
REACHED = ("reached_patient", "reached_family")
RETRY_OUTCOMES = ("no_answer", "busy")  # reschedule until max attempts, then lost
HEALTH = ("better", "same", "worse")
MEDICATION = ("yes", "no", "unsure")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Patient(TimestampMixin, Base):
    __tablename__ = "patients"
    __table_args__ = (CheckConstraint(_in("sex", SEXES), name="sex_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(32), unique=True)  # 住院号/病案号
    name: Mapped[str] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(1), default="U")
    birth_date: Mapped[date | None] = mapped_column(Date)
    age_years: Mapped[int | None]  # when only an age was exported (at discharge)
    phone: Mapped[str | None] = mapped_column(String(32))   # normalised: 13812345678 / 0371-65237437
    phone2: Mapped[str | None] = mapped_column(String(32))
    consent: Mapped[bool] = mapped_column(default=True)     # agrees to follow-up calls
    contact_purged_at: Mapped[datetime | None]               # retention removed the phones

    discharges: Mapped[list[Discharge]] = relationship(back_populates="patient",
                                                       order_by="Discharge.discharged_on")


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    rows_total: Mapped[int] = mapped_column(default=0)
    added: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)

    user: Mapped[User | None] = relationship()


class Discharge(Base):
    __tablename__ = "discharges"
    __table_args__ = (
        UniqueConstraint("patient_id", "ward_id", "discharged_on"),  # re-import adds nothing
        Index("ix_discharges_ward_discharged", "ward_id", "discharged_on"),
        Index("ix_discharges_discharged_on", "discharged_on"),
        CheckConstraint("admitted_on IS NULL OR admitted_on <= discharged_on",
                        name="admitted_before_discharge"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    admitted_on: Mapped[date | None] = mapped_column(Date)
    discharged_on: Mapped[date] = mapped_column(Date)
    diagnosis: Mapped[str] = mapped_column(String(200), default="")
    attending_nurse: Mapped[str] = mapped_column(String(64), default="")
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="discharges")
    ward: Mapped[Ward] = relationship()
    tasks: Mapped[list[FollowUpTask]] = relationship(back_populates="discharge",
                                                     order_by="FollowUpTask.due_on")


class FollowUpRule(TimestampMixin, Base):
    __tablename__ = "followup_rules"
    __table_args__ = (
        CheckConstraint("days_after >= 0", name="days_after_positive"),
        CheckConstraint("window_days >= 0", name="window_positive"),
        CheckConstraint("max_attempts >= 1", name="max_attempts_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"), index=True)
    label: Mapped[str] = mapped_column(String(64))           # "D+3 call"
    days_after: Mapped[int]                                   # due = discharge date + days
    window_days: Mapped[int] = mapped_column(default=2)       # tolerance: window end = due + days
    max_attempts: Mapped[int] = mapped_column(default=3)
    call_script: Mapped[str] = mapped_column(Text, default="")
    # set by the surveys feature: questions of this template appear in the call form
    survey_template_id: Mapped[int | None] = mapped_column(ForeignKey("survey_templates.id"),
                                                           index=True)
    active: Mapped[bool] = mapped_column(default=True)
    version: Mapped[int] = mapped_column(default=1)

    ward: Mapped[Ward] = relationship()

    __mapper_args__ = {"version_id_col": version}


class FollowUpTask(Base):
    __tablename__ = "followup_tasks"
    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status_known"),
        CheckConstraint(_in("kind", TASK_KINDS), name="kind_known"),
        UniqueConstraint("discharge_id", "rule_id"),
        Index("ix_followup_tasks_worklist", "ward_id", "status", "due_on"),
        Index("ix_followup_tasks_status_due", "status", "due_on"),
        Index("ix_followup_tasks_kind_status", "kind", "status", "due_on"),
        # the worklist's done count for a nurse (own wards, ward tasks, closed, due lately)
        # is answered from this index alone, however long the history
        Index("ix_followup_tasks_ward_kind_status_due", "ward_id", "kind", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discharge_id: Mapped[int] = mapped_column(ForeignKey("discharges.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("followup_rules.id"), index=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))  # copied from the discharge: list filter
    kind: Mapped[str] = mapped_column(String(8), default="ward")
    due_on: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    next_attempt_at: Mapped[datetime | None]   # set when a no-answer reschedules the call
    status: Mapped[str] = mapped_column(String(12), default="pending")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    completed_at: Mapped[datetime | None] = mapped_column(index=True)
    sampled_task_id: Mapped[int | None] = mapped_column(ForeignKey("followup_tasks.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    discharge: Mapped[Discharge] = relationship(back_populates="tasks")
    rule: Mapped[FollowUpRule | None] = relationship()
    ward: Mapped[Ward] = relationship()
    assignee: Mapped[User | None] = relationship()
    call_attempts: Mapped[list[CallAttempt]] = relationship(back_populates="task",
                                                            order_by="CallAttempt.at")

    __mapper_args__ = {"version_id_col": version}


class CallAttempt(Base):
    __tablename__ = "call_attempts"
    __table_args__ = (
        CheckConstraint(_in("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint(f"health_status IS NULL OR {_in('health_status', HEALTH)}", name="health_known"),
        CheckConstraint(f"medication IS NULL OR {_in('medication', MEDICATION)}", name="medication_known"),
        Index("ix_call_attempts_task_at", "task_id", "at"),
        Index("ix_call_attempts_nurse_at", "nurse_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("followup_tasks.id"))
    nurse_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    answered_by: Mapped[str | None] = mapped_column(String(16))   # patient / family (relation)
    health_status: Mapped[str | None] = mapped_column(String(8))
    medication: Mapped[str | None] = mapped_column(String(8))
    concerns: Mapped[str] = mapped_column(Text, default="")
    compliments: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)

    task: Mapped[FollowUpTask] = relationship(back_populates="call_attempts")
    nurse: Mapped[User] = relationship()
