"""Survey templates and their versions, questions, responses, answers, invitations,
campaigns and low-score review items."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.wards.models import Ward

if TYPE_CHECKING:
    from portal.complaints.models import Complaint

AUDIENCES = ("discharged_patient", "inpatient", "doctor_on_nursing", "nurse_self")
STAFF_AUDIENCES = ("doctor_on_nursing", "nurse_self")
KINDS = ("scale5", "scale11", "yes_no", "single_choice", "text")
DIMENSIONS = ("服务态度", "健康教育", "响应及时", "技术水平", "病区环境")
CHANNELS = ("phone", "self", "paper", "campaign")
REVIEW_STATUSES = ("open", "contacted", "dismissed", "complaint")
TEXT_MAX = 2000


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SurveyTemplate(Base):
    __tablename__ = "survey_templates"
    __table_args__ = (CheckConstraint(_in("audience", AUDIENCES), name="audience_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    audience: Mapped[str] = mapped_column(String(24))
    active: Mapped[bool] = mapped_column(default=True)
    # bumped by every edit in the editor: a form carrying an older number gets 409
    revision: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    versions: Mapped[list[SurveyVersion]] = relationship(back_populates="template",
                                                         order_by="SurveyVersion.number")

    @property
    def current(self) -> SurveyVersion:
        return self.versions[-1]

    def title(self, locale: str = "zh") -> str:
        return self.title_en if locale == "en" and self.title_en else self.title_zh


class SurveyVersion(Base):
    """A numbered version; once it has answers it is never edited again (a new one is made)."""
    __tablename__ = "survey_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("survey_templates.id"))
    number: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    template: Mapped[SurveyTemplate] = relationship(back_populates="versions")
    questions: Mapped[list[Question]] = relationship(back_populates="version",
                                                     order_by="Question.position",
                                                     cascade="all, delete-orphan")


class Question(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind_known"),
        Index("ix_survey_questions_version_position", "version_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    text_zh: Mapped[str] = mapped_column(String(500))
    text_en: Mapped[str] = mapped_column(String(500), default="")
    # single_choice: [{"code": "good", "value": 4 | null, "zh": "好", "en": "Good"}, ...]
    options: Mapped[list] = mapped_column(JSON, default=list)
    required: Mapped[bool] = mapped_column(default=False)
    dimension: Mapped[str] = mapped_column(String(32), default="")
    is_overall: Mapped[bool] = mapped_column(default=False)
    is_recommend: Mapped[bool] = mapped_column(default=False)

    version: Mapped[SurveyVersion] = relationship(back_populates="questions")

    def text(self, locale: str = "zh") -> str:
        return self.text_en if locale == "en" and self.text_en else self.text_zh


campaign_wards = Table(
    "survey_campaign_wards",
    Base.metadata,
    Column("campaign_id", ForeignKey("survey_campaigns.id", ondelete="CASCADE"), primary_key=True),
    Column("ward_id", ForeignKey("wards.id"), primary_key=True),
)


class Campaign(Base):
    __tablename__ = "survey_campaigns"
    __table_args__ = (CheckConstraint("opens_on <= closes_on", name="dates_ordered"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("survey_templates.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    audience: Mapped[str] = mapped_column(String(24))
    opens_on: Mapped[date] = mapped_column(Date)
    closes_on: Mapped[date] = mapped_column(Date)
    tokens_issued: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    template: Mapped[SurveyTemplate] = relationship()
    wards: Mapped[list[Ward]] = relationship(secondary=campaign_wards, order_by=Ward.code)


class Invitation(Base):
    """A one-time self-service link. Only the SHA-256 of the token is stored; the response
    made with it is not linked back to it (answers stay anonymous)."""
    __tablename__ = "survey_invitations"
    __table_args__ = (
        Index("ix_survey_invitations_template_ward_period", "template_id", "ward_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("survey_templates.id"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    period: Mapped[date] = mapped_column(Date)          # discharge month (first day)
    discharge_id: Mapped[int | None] = mapped_column(ForeignKey("discharges.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("survey_campaigns.id"), index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    template: Mapped[SurveyTemplate] = relationship()
    ward: Mapped[Ward | None] = relationship()


class Response(Base):
    __tablename__ = "survey_responses"
    __table_args__ = (
        CheckConstraint(_in("channel", CHANNELS), name="channel_known"),
        Index("ix_survey_responses_scoring", "version_id", "ward_id", "channel", "answered_at"),
        # covers the GROUP BY of the results page (no table lookups)
        Index("ix_survey_responses_version_period", "version_id", "period", "ward_id", "channel"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("survey_versions.id"))
    channel: Mapped[str] = mapped_column(String(12))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"), index=True)
    period: Mapped[date] = mapped_column(Date)          # month (first day) the answers count for
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    call_attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempts.id"),
                                                        unique=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("survey_campaigns.id"), index=True)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # paper forms
    anonymous: Mapped[bool] = mapped_column(default=True)

    version: Mapped[SurveyVersion] = relationship()
    ward: Mapped[Ward | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(back_populates="response")


class Answer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        Index("ix_survey_answers_question_value", "question_id", "value"),
        # covers the per-response join of the scoring queries (value and choice in the index)
        Index("ix_survey_answers_scoring", "response_id", "question_id", "value", "choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"))
    value: Mapped[float | None] = mapped_column(Float)
    choice: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str | None] = mapped_column(Text)

    response: Mapped[Response] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()


class ReviewItem(Base):
    """A low score on the overall item, for service recovery."""
    __tablename__ = "survey_review_items"
    __table_args__ = (
        CheckConstraint(_in("status", REVIEW_STATUSES), name="status_known"),
        Index("ix_survey_review_items_ward_status", "ward_id", "status"),
        Index("ix_survey_review_items_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), unique=True)
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("wards.id"))
    score: Mapped[float]
    status: Mapped[str] = mapped_column(String(12), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handled_at: Mapped[datetime | None]
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))  # filed from it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    response: Mapped[Response] = relationship()
    ward: Mapped[Ward | None] = relationship()
    complaint: Mapped[Complaint | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
