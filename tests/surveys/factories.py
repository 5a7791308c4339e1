"""Factories for survey records (flushed, not committed)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.extensions import db
from portal.surveys import answers, invitations
from portal.surveys.models import SurveyTemplate


def builtin(code: str = "PHONE-DISCHARGE") -> SurveyTemplate:
    return db.session.scalar(select(SurveyTemplate).where(SurveyTemplate.code == code))


def form_for(version, **by_position) -> MultiDict:
    """Form data answering questions by position: form_for(v, **{"1": "5", "6": "4"})."""
    by_pos = {q.position: q for q in version.questions}
    return MultiDict({f"q{by_pos[int(p)].id}": str(v) for p, v in by_position.items()})


def response(template: SurveyTemplate, ward_id: int | None, period: date = date(2026, 10, 1),
             channel: str = "paper", **by_position):
    version = template.current
    parsed = answers.parse_answers(version, form_for(version, **by_position))
    assert not parsed.errors, parsed.errors
    return answers.record_response(version, parsed.answers, channel=channel, ward_id=ward_id,
                                   period=period)


def invitation(template: SurveyTemplate | None = None, ward_id: int | None = None,
               period: date = date(2026, 10, 1), **kwargs):
    return invitations.issue(template or builtin("INPATIENT-SELF"), ward_id=ward_id,
                             period=period, **kwargs)
