"""Demo survey data: 12 months of phone, self-service and paper answers on the built-in
templates, invitations (some unanswered, so response rates are real), a nurses' staff
campaign, and a few low scores on the review list. Follow-up rules without a survey get
the phone survey, so the call form shows it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select, update

from portal.db import utcnow
from portal.extensions import db
from portal.followups.models import FollowUpRule
from portal.surveys import invitations
from portal.surveys.answers import record_response
from portal.surveys.models import Answer, Invitation, Response, SurveyTemplate
from portal.timeutil import LOCAL_TZ, local_today
from portal.wards.models import Ward

COMMENTS = ("护士很耐心，谢谢！", "夜间病房有点吵。", "出院指导讲得很清楚。", "呼叫铃响应有点慢。",
            "希望增加健康教育资料。", "病房卫生间需要更干净。", "责任护士态度非常好。")


def _months(today: date, n: int = 12) -> list[date]:
    out = []
    for i in range(n):
        y, m = divmod(today.year * 12 + today.month - 1 - i, 12)
        out.append(date(y, m + 1, 1))
    return out


def _answers(rng, version, mood: int) -> list[Answer]:
    """Plausible answers around a respondent's mood (1-5)."""
    out = []
    for q in version.questions:
        if q.kind == "text":
            if rng.random() < 0.25:
                out.append(Answer(question_id=q.id, text=rng.choice(COMMENTS)))
        elif q.kind == "scale5":
            out.append(Answer(question_id=q.id, value=max(1, min(5, mood + rng.randint(-1, 1)))))
        elif q.kind == "scale11":
            out.append(Answer(question_id=q.id, value=max(0, min(10, mood * 2 + rng.randint(-1, 0)))))
        elif q.kind == "yes_no":
            yes = rng.random() < 0.85
            out.append(Answer(question_id=q.id, value=1 if yes else 0, choice="yes" if yes else "no"))
        elif q.kind == "single_choice":
            options = [o for o in q.options if o.get("value") is not None]
            if rng.random() < 0.05 and len(options) < len(q.options):
                o = next(o for o in q.options if o.get("value") is None)
            else:
                o = min(options, key=lambda o: abs(o["value"] - mood))
            out.append(Answer(question_id=q.id, value=o.get("value"), choice=o["code"]))
    return out


def _mood(rng) -> int:
    return rng.choices([5, 4, 3, 2, 1], weights=[48, 32, 12, 5, 3])[0]


MAX_PER_MONTH = 1500


def _at(rng, month: date) -> datetime:
    day = month + timedelta(days=rng.randint(0, 27))
    return datetime.combine(day, time(rng.randint(8, 20), rng.randint(0, 59)), LOCAL_TZ)


def generate(rng, options) -> None:
    if db.session.scalar(select(Response.id).limit(1)):
        return
    templates = {t.code: t for t in db.session.scalars(select(SurveyTemplate))}
    wards = list(db.session.scalars(select(Ward).where(Ward.active.is_(True)).order_by(Ward.code)))
    if not wards or "PHONE-DISCHARGE" not in templates:
        return
    phone, inpatient = templates["PHONE-DISCHARGE"], templates["INPATIENT-SELF"]
    for rule in db.session.scalars(select(FollowUpRule).where(
            FollowUpRule.survey_template_id.is_(None))):
        rule.survey_template_id = phone.id
    today = local_today()
    months = _months(today)
    # about a third of discharges answer, up to MAX_PER_MONTH: responses go through the
    # survey service one by one (scoring, review items), so the demo keeps a sample of them
    # at large sizes (a million discharges must load in minutes)
    per_month = min(max(8, int(options.get("discharges", 2000)) // 12 // 3), MAX_PER_MONTH)
    for month in months:
        for _ in range(per_month):
            ward = rng.choice(wards)
            at = _at(rng, month)
            channel, template = rng.choice((("phone", phone), ("phone", phone), ("paper", phone),
                                            ("self", inpatient), ("self", inpatient)))
            if channel == "self":  # every self-service answer came through an invitation
                _token, inv = invitations.issue(template, ward_id=ward.id, period=month)
                inv.used_at = at
            record_response(template.current, _answers(rng, template.current, _mood(rng)),
                            channel=channel, ward_id=ward.id, period=month, answered_at=at,
                            anonymous=channel != "phone")
        for _ in range(per_month // 2):  # slips handed out but never answered
            invitations.issue(inpatient, ward_id=rng.choice(wards).id, period=month)
    _campaign(rng, templates.get("NURSE-SELF"), wards, today)
    db.session.flush()


def _campaign(rng, template, wards, today: date) -> None:
    if template is None:
        return
    opens = today - timedelta(days=40)
    campaign, tokens = invitations.create_campaign(
        template, title=f"{opens.year} 年护士工作满意度调查", wards=wards[:4], opens_on=opens,
        closes_on=today + timedelta(days=20), per_ward=12, user=None)
    answered = tokens[: int(len(tokens) * 0.7)]
    for _token, ward in answered:
        at = datetime.combine(opens + timedelta(days=rng.randint(0, 30)), time(12), LOCAL_TZ)
        record_response(template.current, _answers(rng, template.current, _mood(rng)),
                        channel="campaign", ward_id=ward.id, period=opens, answered_at=at,
                        campaign_id=campaign.id)
    db.session.execute(update(Invitation).where(Invitation.token_hash.in_(
        [invitations.token_hash(t) for t, _w in answered])).values(used_at=utcnow()))
