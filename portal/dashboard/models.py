"""Summary tables the dashboard figures read: additive counts per ward and day (or month),
derived from the base tables and kept current by portal/dashboard/summary_events.py.

They hold counts, never rates, so any period is a SUM over its days. Ward 0 stands for
records without a ward (survey responses given without one). No foreign keys: these are
derived data, rebuilt from the base tables by `flask --app wsgi rebuild-summaries`.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base

NO_PREVIOUS = date(1900, 1, 1)  # prev_day of a discharge's first task


class DischargeDaily(Base):
    """Discharges per ward and discharge day."""
    __tablename__ = "summary_discharges_daily"
    __table_args__ = (Index("ix_summary_discharges_daily_day", "day"),)

    ward_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    discharges: Mapped[int] = mapped_column(default=0)


class FollowUpDaily(Base):
    """Ward follow-up tasks (not cancelled) per ward and due day.

    "Discharges due / attempted in a period" counts each discharge once however many of its
    tasks fall in the period: a task is the first of its discharge in a period starting on S
    exactly when the discharge's previous task (previous attempted task, for `attempted_links`)
    is due before S. So tasks are counted by that previous due day (`prev_day`, 1900-01-01 for
    none), and a period [S, E] sums the links of rows with day in [S, E] and prev_day < S.
    The task counts (attempted, reached, lost) sit on the row of the task's previous task.
    """
    __tablename__ = "summary_followups_daily"
    __table_args__ = (Index("ix_summary_followups_daily_day", "day"),)

    ward_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    prev_day: Mapped[date] = mapped_column(Date, primary_key=True)
    due_links: Mapped[int] = mapped_column(default=0)
    attempted_links: Mapped[int] = mapped_column(default=0)
    tasks_attempted: Mapped[int] = mapped_column(default=0)
    tasks_reached: Mapped[int] = mapped_column(default=0)
    tasks_lost: Mapped[int] = mapped_column(default=0)


class SurveyMonthly(Base):
    """Patient survey responses per ward, month (`survey_responses.period`) and channel,
    with the counts of the overall (satisfaction) and recommend (NPS) items."""
    __tablename__ = "summary_surveys_monthly"

    ward_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)   # first day of the month
    channel: Mapped[str] = mapped_column(String(12), primary_key=True)
    responses: Mapped[int] = mapped_column(default=0)
    sat_valid: Mapped[int] = mapped_column(default=0)
    sat_top2: Mapped[int] = mapped_column(default=0)
    nps_valid: Mapped[int] = mapped_column(default=0)
    promoters: Mapped[int] = mapped_column(default=0)
    detractors: Mapped[int] = mapped_column(default=0)
    invitations: Mapped[int] = mapped_column(default=0)  # one-time links issued (channel 'self')


class SurveyDimensionMonthly(Base):
    """Answers to 5-point / 0–10 items of each dimension (服务态度, 健康教育 ...) per ward,
    month and channel: valid answers and answers in the top two boxes."""
    __tablename__ = "summary_survey_dimensions_monthly"

    ward_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(12), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    valid: Mapped[int] = mapped_column(default=0)
    top2: Mapped[int] = mapped_column(default=0)


class ComplaintDaily(Base):
    """Complaints and praise per ward set, day and category: `complaints` and `praise` on the
    local day the case was received, `deadline_due` and `on_time` on its response due day
    (withdrawn complaints left out, as the figures define them).

    `wards` is the case's set of wards, ",3,7," (",": none), so a case involving several
    wards is one row: the hospital and any choice of wards count it once, each ward of the
    set counts it in the ward view (portal/dashboard/metrics_complaints.py splits the sets).
    """
    __tablename__ = "summary_complaints_daily"
    __table_args__ = (Index("ix_summary_complaints_daily_day", "day"),)

    wards: Mapped[str] = mapped_column(String(200), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    complaints: Mapped[int] = mapped_column(default=0)
    praise: Mapped[int] = mapped_column(default=0)
    deadline_due: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)


class SummaryDirty(Base):
    """Keys a write touched and the summaries do not show yet (portal/dashboard/summaries.py
    recomputes them before any read). Append-only: a writer inserts its keys in its own
    transaction, a reader deletes the rows it recomputes (see summaries.refresh_dirty).

    `summary` names the table (`discharges`, `followups`, `surveys`, `complaints`: `ref` is
    a ward id, 0 for none, and `day` the day) or records whose keys are read at refresh
    time (`task_discharges`, `responses`, `complaint_cases`: `ref` is the record's id).
    """
    __tablename__ = "summary_dirty"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary: Mapped[str] = mapped_column(String(20))
    ref: Mapped[int] = mapped_column()
    day: Mapped[date] = mapped_column(Date, default=NO_PREVIOUS)


# the listener that keeps these tables current is registered with the models
from portal.dashboard import summary_events  # noqa: E402,F401
