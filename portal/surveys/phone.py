"""Phone mode: the questions of a follow-up rule's survey inside the call form.

The worklist's call form includes `templates/surveys/_phone_questions.html` with
`survey_questions=phone_questions(rule)` and, in the same transaction as the call
attempt, calls `save_phone_answers(attempt, request.form)`. A form where no survey
question was answered records no response (the patient declined the survey).
"""
from __future__ import annotations

from flask import abort

from portal.db import utcnow
from portal.extensions import db
from portal.surveys.answers import TamperedForm, parse_answers, record_response
from portal.surveys.models import Question, SurveyTemplate, SurveyVersion
from portal.timeutil import to_local


def phone_version(rule) -> SurveyVersion | None:
    if rule is None or not rule.survey_template_id:
        return None
    template = db.session.get(SurveyTemplate, rule.survey_template_id)
    if template is None or not template.active:
        return None
    return template.current


def phone_questions(rule) -> list[Question]:
    """The questions to ask on a call under this rule (empty when it names no survey)."""
    version = phone_version(rule)
    return list(version.questions) if version else []


def check_phone_answers(rule, formdata) -> dict[int, str]:
    """Errors by question id (empty when the answers can be saved). 400 when tampered."""
    version = phone_version(rule)
    if version is None:
        return {}
    try:
        return parse_answers(version, formdata, all_optional=True).errors
    except TamperedForm:
        abort(400)


def save_phone_answers(attempt, formdata) -> dict[int, str]:
    """Validate and add the attempt's survey answers in the caller's transaction.

    Returns errors by question id; when there are any nothing is added and the caller
    re-renders the call form (422) with `survey_errors`. A tampered field -> 400.
    """
    task = attempt.task
    version = phone_version(task.rule)
    if version is None:
        return {}
    try:
        parsed = parse_answers(version, formdata, all_optional=True)
    except TamperedForm:
        abort(400)
    if parsed.errors or not parsed.answers:
        return parsed.errors
    if attempt.id is None:
        db.session.flush()  # the attempt's id and time
    at = attempt.at or utcnow()
    record_response(version, parsed.answers, channel="phone", ward_id=task.ward_id,
                    period=to_local(at).date(), answered_at=at,
                    call_attempt_id=attempt.id, anonymous=False)
    return {}
