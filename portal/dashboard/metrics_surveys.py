"""Survey figures: satisfaction rate and NPS, from patient surveys (discharged patients and
inpatients; staff campaigns are left out), counted in SQL over the overall and recommend items.

A response counts for its month (`survey_responses.period`, first day): a period includes
the responses of every month it touches. The channel filter applies here only. As in
portal/surveys/scoring.py, an overall answer without a value ("don't know") is a valid
response, so it stays in the satisfaction denominator; NPS counts answers with a value.
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, distinct, false, func, or_, select

from portal.dashboard.metrics import Metric
from portal.dashboard.models import SurveyMonthly
from portal.dashboard.periods import month_start
from portal.dashboard.sqlutil import grouped, month_of_date
from portal.extensions import db

try:
    from portal.surveys.answers import scale_bounds
    from portal.surveys.models import (
        Answer,
        Invitation,
        Question,
        Response,
        ReviewItem,
        SurveyTemplate,
        SurveyVersion,
    )
    AVAILABLE = True
except ImportError:  # the surveys feature is not built on this branch
    AVAILABLE = False

NAME = "surveys"
ADDITIVE = True  # a response belongs to one ward
PATIENT_AUDIENCES = ("discharged_patient", "inpatient")
CHANNELS = (("phone", _l("Phone")), ("self", _l("Self-service")), ("paper", _l("Paper")))
COUNT_NAMES = ("sat_valid", "sat_top2", "nps_valid", "promoters", "detractors",
               "self_responses", "invitations")

METRICS = (
    Metric("satisfaction", "surveys", _l("Satisfaction rate"),
           _l("Satisfaction rate (满意率) = responses whose overall item is in the top two boxes "
              "(4–5 on a 5-point scale; 9–10 on 0–10) ÷ valid responses to that item."),
           "sat_top2", "sat_valid", numerator_label=_l("Top-two-box responses"),
           denominator_label=_l("Valid responses")),
    Metric("nps", "surveys", _l("NPS"),
           _l("NPS (净推荐值) = % answering 9–10 minus % answering 0–6, on the 0–10 recommend "
              "item."),
           "promoters", "nps_valid", unit="nps", numerator_label=_l("Promoters (9–10)"),
           denominator_label=_l("Recommend answers")),
    Metric("response_rate", "surveys", _l("Survey response rate"),
           _l("Response rate (应答率) = self-service responses ÷ one-time survey links issued for "
              "discharges in the period (phone and paper answers are not invited and are left "
              "out; as on the survey results page)."),
           "self_responses", "invitations", numerator_label=_l("Self-service responses"),
           denominator_label=_l("Links issued")),
)


def key_questions() -> tuple[dict[int, float], list[int]]:
    """({overall question id: scale max}, [0–10 recommend question ids]) of patient surveys
    (looked up once per request)."""
    from flask import g, has_app_context

    cached = g.get("dashboard_key_questions") if has_app_context() else None
    if cached is None:
        cached = _key_questions()
        if has_app_context():
            g.dashboard_key_questions = cached
    return cached


def _key_questions() -> tuple[dict[int, float], list[int]]:
    rows = db.session.scalars(
        select(Question).join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .join(SurveyTemplate, SurveyTemplate.id == SurveyVersion.template_id)
        .where(SurveyTemplate.audience.in_(PATIENT_AUDIENCES),
               or_(Question.is_overall.is_(True), Question.is_recommend.is_(True))))
    overall, recommend = {}, []
    for q in rows:
        bounds = scale_bounds(q)
        if q.is_overall and bounds:
            overall[q.id] = bounds[1]
        if q.is_recommend and bounds == (0, 10):
            recommend.append(q.id)
    return overall, recommend


def _conditions(start: date, end: date, ward_ids, channel: str = "") -> list:
    conds = [Response.period >= month_start(start), Response.period <= end]
    if ward_ids is not None:
        conds.append(Response.ward_id.in_(ward_ids))
    if channel:
        conds.append(Response.channel == channel)
    return conds


def _parts(overall: dict, recommend: list) -> dict:
    """Conditions on an answer for each count."""
    by_max: dict[float, list[int]] = {}
    for qid, hi in overall.items():
        by_max.setdefault(hi, []).append(qid)
    is_overall = Answer.question_id.in_(list(overall)) if overall else false()
    top2 = or_(*[and_(Answer.question_id.in_(ids), Answer.value >= hi - 1)
                 for hi, ids in by_max.items()]) if by_max else false()
    is_rec = and_(Answer.question_id.in_(recommend), Answer.value.is_not(None)) \
        if recommend else false()
    return {"sat_valid": is_overall, "sat_top2": top2, "nps_valid": is_rec,
            "promoters": and_(is_rec, Answer.value >= 9),
            "detractors": and_(is_rec, Answer.value <= 6)}


def aggregate(start: date, end: date, ward_ids=None, by: str | None = None, channel: str = "",
              **_f) -> dict:
    """Counts from the monthly summary (portal/dashboard/models.py), not from the answers."""
    from portal.dashboard import summaries

    summaries.current()
    S = SurveyMonthly
    key = ([S.ward_id] if by == "ward" else [month_of_date(S.day)] if by == "month" else [])
    total = lambda col: func.coalesce(func.sum(col), 0)  # noqa: E731
    sums = [total(getattr(S, n)) for n in COUNT_NAMES[:5]]
    sums += [total(case((S.channel == "self", S.responses), else_=0)), total(S.invitations)]
    conds = [S.day >= month_start(start), S.day <= end]
    if ward_ids is not None:
        conds.append(S.ward_id.in_(ward_ids))
    if channel:
        conds.append(S.channel == channel)
    q = select(*key, *sums).where(*conds)
    if key:
        q = q.group_by(*key)
    result = grouped(db.session.execute(q), by, COUNT_NAMES)
    if by == "ward" and 0 in result:  # responses without a ward
        result[None] = result.pop(0)
    return result


PARTS = {("satisfaction", "numerator"): "sat_top2", ("satisfaction", "denominator"): "sat_valid",
         ("nps", "numerator"): "promoters", ("nps", "denominator"): "nps_valid"}


def drill_kind(metric: str, part: str) -> str | None:
    if metric == "response_rate":
        return "responses" if part == "numerator" else "invitations"
    return "responses" if (metric, part) in PARTS else None


def _answers(metric, part, start, end, ward_ids, channel, dimension=None):
    if dimension:  # satisfaction of one dimension (服务态度 ...): its scale items
        from portal.dashboard.survey_dimensions import answer_condition

        cond = answer_condition(dimension, top2=part == "numerator")
    else:
        overall, recommend = key_questions()
        cond = _parts(overall, recommend)[PARTS[(metric, part)]]
    return [cond, *_conditions(start, end, ward_ids, channel)]


def drill_counts(metric, part, start, end, ward_ids=None, channel: str = "", dimension=None,
                 **_f):
    if metric == "response_rate":
        from portal.dashboard.survey_dimensions import rate_counts

        return rate_counts(part, start, end, ward_ids, channel)
    month = month_of_date(Response.period)  # responses, as the rows list them
    q = (select(Response.ward_id, month, func.count(distinct(Response.id))).select_from(Answer)
         .join(Response, Response.id == Answer.response_id)
         .where(*_answers(metric, part, start, end, ward_ids, channel, dimension))
         .group_by(Response.ward_id, month).order_by(Response.ward_id, month))
    return db.session.execute(q).all()


def drill_rows(metric, part, start, end, ward_ids=None, channel: str = "", dimension=None,
               **_f):
    if metric == "response_rate":
        from portal.dashboard.survey_dimensions import rate_rows

        return rate_rows(part, start, end, ward_ids, channel)
    ids = (select(Answer.response_id).join(Response, Response.id == Answer.response_id)
           .where(*_answers(metric, part, start, end, ward_ids, channel, dimension)))
    return (select(Response).where(Response.id.in_(ids))
            .order_by(Response.answered_at.desc(), Response.id.desc()))


def with_loads(query, kind):
    from sqlalchemy.orm import selectinload

    if kind == "invitations":
        return query.options(selectinload(Invitation.ward))
    return query.options(selectinload(Response.ward))


def _export_columns():
    from portal.reports.exports import Column

    return {"responses": [
        Column(_l("Ward"), lambda r: r.ward.code if r.ward else ""),
        Column(_l("Channel"), lambda r: r.channel),
        Column(_l("Month"), lambda r: r.period.strftime("%Y-%m")),
        Column(_l("Answered at"), lambda r: r.answered_at, kind="datetime"),
    ], "invitations": [
        Column(_l("Ward"), lambda i: i.ward.code if i.ward else ""),
        Column(_l("Month"), lambda i: i.period.strftime("%Y-%m")),
        Column(_l("Issued at"), lambda i: i.created_at, kind="datetime"),
        Column(_l("Answered at"), lambda i: i.used_at, kind="datetime"),
    ]}


EXPORT_COLUMNS = _export_columns() if AVAILABLE else {}
QUEUE_TEMPLATE = "dashboard/_queue_surveys.html"
REVIEW_LIMIT = 10


def queue(filters) -> dict:
    """Open low-score review items (service recovery), oldest first."""
    from sqlalchemy.orm import selectinload

    conds = [ReviewItem.status == "open"]
    if filters.ward_ids is not None:
        conds.append(ReviewItem.ward_id.in_(filters.ward_ids))
    total = db.session.scalar(select(func.count()).select_from(ReviewItem).where(*conds))
    items = db.session.scalars(select(ReviewItem).where(*conds).options(
        selectinload(ReviewItem.ward)).order_by(ReviewItem.created_at).limit(REVIEW_LIMIT)).all()
    return {"reviews": {"total": total or 0, "rows": items}}


COMMENT_LIMIT = 1000


def report_lists(filters, user) -> dict:
    """Free-text survey comments of the month (not for leaders: text may name people)."""
    if user.role == "leader":
        return {}
    from portal.wards.models import Ward

    start, end = filters.period.start, filters.period.end
    rows = db.session.execute(
        select(Ward.code, Response.channel, Question.text_zh, Answer.text)
        .select_from(Answer).join(Response, Response.id == Answer.response_id)
        .join(Question, Question.id == Answer.question_id)
        .join(SurveyVersion, SurveyVersion.id == Question.version_id)
        .join(SurveyTemplate, SurveyTemplate.id == SurveyVersion.template_id)
        .outerjoin(Ward, Ward.id == Response.ward_id)
        .where(Answer.text.is_not(None), Answer.text != "",
               SurveyTemplate.audience.in_(PATIENT_AUDIENCES),
               *_conditions(start, end, filters.ward_ids, filters.channel))
        .order_by(Ward.code, Response.answered_at).limit(COMMENT_LIMIT)).all()
    return {"comments": {"title": _l("Survey comments"),
                         "headers": [_l("Ward"), _l("Channel"), _l("Question"), _l("Comment")],
                         "rows": [list(r) for r in rows]}}
