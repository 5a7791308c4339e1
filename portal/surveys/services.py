"""Survey access rules, the low-score review list, and paper entry.

Quality staff and admins see every ward; nurses and head nurses only their own
(another ward's record is a 404, as everywhere).
"""
from __future__ import annotations

from datetime import date

from flask import abort
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.db import utcnow
from portal.extensions import db
from portal.surveys.answers import Parsed, TamperedForm, parse_answers, record_response
from portal.surveys.models import (
    REVIEW_STATUSES,
    Response,
    ReviewItem,
    SurveyTemplate,
    SurveyVersion,
)
from portal.wards.models import Ward


def ward_scope(user) -> list[int] | None:
    """The wards a user may see survey results of; None means every ward."""
    return None if user.sees_all_wards else user.ward_ids


def visible_wards(user) -> list[Ward]:
    query = select(Ward).where(Ward.active.is_(True)).order_by(Ward.code)
    scope = ward_scope(user)
    if scope is not None:
        query = query.where(Ward.id.in_(scope))
    return list(db.session.scalars(query))


def check_ward(ward_id: int | None, user) -> None:
    scope = ward_scope(user)
    if ward_id is None or (scope is not None and ward_id not in scope):
        abort(404)


def get_template_or_404(template_id: int) -> SurveyTemplate:
    template = db.session.get(SurveyTemplate, template_id)
    if template is None:
        abort(404)
    return template


def templates(active_only: bool = False) -> list[SurveyTemplate]:
    query = select(SurveyTemplate).options(selectinload(SurveyTemplate.versions)).order_by(
        SurveyTemplate.code)
    if active_only:
        query = query.where(SurveyTemplate.active.is_(True))
    return list(db.session.scalars(query))


def parse_or_400(version: SurveyVersion, formdata) -> Parsed:
    try:
        return parse_answers(version, formdata)
    except TamperedForm:
        abort(400)


def enter_paper(template: SurveyTemplate, ward_id: int, day: date, formdata, user) -> Parsed:
    """Key in a paper form for a ward and date; returns the parse (errors -> nothing added)."""
    check_ward(ward_id, user)
    version = template.current
    parsed = parse_or_400(version, formdata)
    if not parsed.errors:
        if not parsed.answers:
            parsed.errors[0] = _("Please enter at least one answer.")
            return parsed
        record_response(version, parsed.answers, channel="paper", ward_id=ward_id, period=day,
                        entered_by_id=user.id)
    return parsed


def reviews_query(user, status: str = "open"):
    query = (select(ReviewItem)
             .options(selectinload(ReviewItem.ward),
                      selectinload(ReviewItem.response).selectinload(Response.version)
                      .selectinload(SurveyVersion.template))
             .order_by(ReviewItem.created_at.desc(), ReviewItem.id.desc()))
    if status in REVIEW_STATUSES:
        query = query.where(ReviewItem.status == status)
    scope = ward_scope(user)
    if scope is not None:
        query = query.where(ReviewItem.ward_id.in_(scope))
    return query


def get_review_or_404(review_id: int, user) -> ReviewItem:
    item = db.session.get(ReviewItem, review_id)
    if item is None:
        abort(404)
    scope = ward_scope(user)
    if scope is not None and item.ward_id not in scope:
        abort(404)
    return item


def mark_review(item: ReviewItem, status: str, note: str, user) -> None:
    if status not in ("contacted", "dismissed", "complaint", "open"):
        abort(400)
    item.status = status
    item.note = note
    item.handled_by_id = user.id
    item.handled_at = utcnow()
    db.session.flush()


def review_answers(item: ReviewItem) -> list:
    """The reviewed response's answers with their questions, in question order."""
    return sorted(item.response.answers, key=lambda a: a.question.position)


def review_prefill(review_id: int, user) -> dict:
    """What a complaint filed from a low-score review starts with (complaints.new?review=ID):
    the ward, and a description made of the score and the free-text answers. 404 when the
    user may not see the review."""
    item = get_review_or_404(review_id, user)
    template = item.response.version.template
    lines = [_("Low score %(score)g on the overall item of the survey \"%(title)s\".",
               score=item.score, title=template.title_zh)]
    lines += [a.text for a in review_answers(item) if a.text]
    return {"ward_ids": [item.ward_id] if item.ward_id else [], "description": "\n".join(lines),
            "source": "survey", "call_attempt_id": item.response.call_attempt_id,
            "survey_response_id": item.response_id}


def review_became_complaint(review_id: int, complaint_id: int, user) -> ReviewItem:
    """Called by the complaints feature in the transaction that files the complaint."""
    item = get_review_or_404(review_id, user)
    mark_review(item, "complaint", item.note, user)
    item.complaint_id = complaint_id
    db.session.flush()
    return item
