"""Survey figures beyond the headline cards: satisfaction per dimension (服务态度, 健康教育 ...)
read from the monthly dimension summary, and the records behind the response rate."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select

from portal.dashboard.metrics import SMALL_SAMPLE
from portal.dashboard.models import SurveyDimensionMonthly
from portal.dashboard.periods import month_start
from portal.dashboard.sqlutil import month_of_date
from portal.extensions import db
from portal.surveys.answers import scale_bounds
from portal.surveys.models import (
    Answer,
    Invitation,
    Question,
    Response,
    SurveyTemplate,
    SurveyVersion,
)

PATIENT_AUDIENCES = ("discharged_patient", "inpatient")
TEMPLATE = "dashboard/_dimensions.html"
DEFINITION = _l("Dimension satisfaction (维度满意率) = answers in the top two boxes (4–5 on a "
                "5-point scale; 9–10 on 0–10) ÷ valid answers to that dimension's scale items, "
                "patient surveys of the period.")


def _patient_versions():
    return (select(SurveyVersion.id)
            .join(SurveyTemplate, SurveyTemplate.id == SurveyVersion.template_id)
            .where(SurveyTemplate.audience.in_(PATIENT_AUDIENCES)))


def answer_condition(dimension: str, top2: bool):
    """Answers to the scale items of one dimension (top-two-box answers with `top2`)."""
    questions = db.session.scalars(select(Question).where(
        Question.dimension == dimension, Question.version_id.in_(_patient_versions()))).all()
    by_max: dict[float, list[int]] = {}
    for q in questions:
        if (bounds := scale_bounds(q)) is not None:
            by_max.setdefault(bounds[1], []).append(q.id)
    if not by_max:
        return false()
    if not top2:
        return Answer.question_id.in_([i for ids in by_max.values() for i in ids])
    return or_(*[and_(Answer.question_id.in_(ids), Answer.value >= hi - 1)
                 for hi, ids in by_max.items()])


def _counts(start, end, ward_ids, channel) -> dict[str, tuple[int, int]]:
    from portal.dashboard import summaries

    summaries.current()
    S = SurveyDimensionMonthly
    conds = [S.day >= month_start(start), S.day <= end]
    if ward_ids is not None:
        conds.append(S.ward_id.in_(ward_ids))
    if channel:
        conds.append(S.channel == channel)
    rows = db.session.execute(select(S.dimension, func.sum(S.valid), func.sum(S.top2))
                              .where(*conds).group_by(S.dimension))
    return {dim: (int(valid or 0), int(top2 or 0)) for dim, valid, top2 in rows}


def dimension_figures(filters) -> list[dict]:
    """One row per dimension: satisfaction now and in the previous period, with its sample."""
    now = _counts(*filters.period.clipped(), filters.ward_ids, filters.channel)
    before = _counts(*filters.period.previous().clipped(), filters.ward_ids, filters.channel)
    rate = lambda c: 100.0 * c[1] / c[0] if c and c[0] else None  # noqa: E731
    out = []
    for dim in sorted(set(now) | set(before)):
        valid, top2 = now.get(dim, (0, 0))
        value, previous = rate(now.get(dim)), rate(before.get(dim))
        out.append({"dimension": dim, "valid": valid, "top2": top2, "value": value,
                    "previous": previous, "small": 0 < valid < SMALL_SAMPLE,
                    "change": None if value is None or previous is None else value - previous})
    return out


def _response_conds(start, end, ward_ids, channel) -> list:
    conds = [Response.channel == "self", Response.version_id.in_(_patient_versions()),
             Response.period >= month_start(start), Response.period <= end]
    if ward_ids is not None:
        conds.append(Response.ward_id.in_(ward_ids))
    if channel and channel != "self":
        conds.append(false())
    return conds


def _invitation_conds(start, end, ward_ids, channel) -> list:
    conds = [Invitation.template_id.in_(select(SurveyTemplate.id).where(
                 SurveyTemplate.audience.in_(PATIENT_AUDIENCES))),
             Invitation.period >= month_start(start), Invitation.period <= end]
    if ward_ids is not None:
        conds.append(Invitation.ward_id.in_(ward_ids))
    if channel and channel != "self":
        conds.append(false())
    return conds


def rate_counts(part, start, end, ward_ids, channel):
    """[(ward id, 'YYYY-MM', n)] behind the response rate (leaders' drill-down)."""
    table = Response if part == "numerator" else Invitation
    conds = (_response_conds if part == "numerator" else _invitation_conds)(
        start, end, ward_ids, channel)
    month = month_of_date(table.period)
    return db.session.execute(select(table.ward_id, month, func.count()).where(*conds)
                              .group_by(table.ward_id, month)
                              .order_by(table.ward_id, month)).all()


def rate_rows(part, start, end, ward_ids, channel):
    if part == "numerator":
        return (select(Response).where(*_response_conds(start, end, ward_ids, channel))
                .order_by(Response.answered_at.desc(), Response.id.desc()))
    return (select(Invitation).where(*_invitation_conds(start, end, ward_ids, channel))
            .order_by(Invitation.created_at.desc(), Invitation.id.desc()))
