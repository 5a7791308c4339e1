"""Reading a filled-in survey form and recording it as a response with answers.

Every channel (phone, self-service, paper, campaign) goes through `parse_answers()`,
which checks each answer against its question's kind, and `record_response()`, which
adds the response and its answers (flush, no commit) and raises a low-score review item.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from flask_babel import gettext as _

from portal.db import utcnow
from portal.extensions import db
from portal.surveys.models import TEXT_MAX, Answer, Question, Response, ReviewItem, SurveyVersion

FIELD = re.compile(r"^q(\d+)$")
DEFAULT_LOW_SCORE = {"scale5": 2, "scale11": 6, "single_choice": 2}


class TamperedForm(Exception):
    """The form names a question that is not in the version being answered (400)."""


@dataclass
class Parsed:
    answers: list[Answer]
    errors: dict[int, str]
    given: int  # how many questions got any answer


def scale_bounds(q: Question) -> tuple[float, float] | None:
    """(min, max) of a question's numeric scale; None when it has none (text, unscored choice)."""
    if q.kind == "scale5":
        return (1, 5)
    if q.kind == "scale11":
        return (0, 10)
    if q.kind == "yes_no":
        return (0, 1)
    values = [o.get("value") for o in q.options or [] if o.get("value") is not None]
    return (min(values), max(values)) if values else None


def _one(q: Question, raw: str) -> tuple[Answer | None, str | None]:
    """Check one non-empty raw answer; return the Answer or an error message."""
    if q.kind in ("scale5", "scale11"):
        lo, hi = scale_bounds(q)
        try:
            value = int(raw)
        except ValueError:
            return None, _("Please choose a number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
        if not lo <= value <= hi:
            return None, _("Please choose a number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
        return Answer(question_id=q.id, value=value), None
    if q.kind == "yes_no":
        if raw not in ("yes", "no"):
            return None, _("Please answer yes or no.")
        return Answer(question_id=q.id, value=1 if raw == "yes" else 0, choice=raw), None
    if q.kind == "single_choice":
        option = next((o for o in q.options or [] if o.get("code") == raw), None)
        if option is None:
            return None, _("Please choose one of the options.")
        return Answer(question_id=q.id, value=option.get("value"), choice=raw), None
    if len(raw) > TEXT_MAX:
        return None, _("Please keep this to %(n)d characters or fewer.", n=TEXT_MAX)
    return Answer(question_id=q.id, text=raw), None


def parse_answers(version: SurveyVersion, formdata, *, all_optional: bool = False) -> Parsed:
    """Validate the `q<id>` fields of a form against the version's questions.

    Raises TamperedForm when a field names a question of another version or template.
    `all_optional` (phone mode) accepts a form with nothing filled in at all.
    """
    questions = {q.id: q for q in version.questions}
    for key in formdata.keys():
        m = FIELD.match(key)
        if m and int(m.group(1)) not in questions:
            raise TamperedForm(key)
    answers, errors = [], {}
    for q in version.questions:
        values = [v.strip() for v in formdata.getlist(f"q{q.id}") if v.strip()]
        if len(values) > 1:
            errors[q.id] = _("Please give one answer.")
        elif values:
            answer, error = _one(q, values[0])
            if error:
                errors[q.id] = error
            else:
                answers.append(answer)
        elif q.required:
            errors[q.id] = _("This question needs an answer.")
    if all_optional and not answers and all(
            not any(v.strip() for v in formdata.getlist(f"q{q}")) for q in questions):
        return Parsed([], {}, 0)
    return Parsed(answers, errors, len(answers))


def month_of(day: date) -> date:
    return day.replace(day=1)


def low_score_threshold(q: Question) -> float | None:
    thresholds = {**DEFAULT_LOW_SCORE, **current_app.config.get("SURVEY_LOW_SCORE", {})}
    return thresholds.get(q.kind)


def record_response(version: SurveyVersion, answers: list[Answer], *, channel: str,
                    ward_id: int | None, period: date, answered_at: datetime | None = None,
                    **fields) -> Response:
    """Add a response with its (already validated) answers; flag a low overall score."""
    response = Response(version_id=version.id, channel=channel, ward_id=ward_id,
                        period=month_of(period), answered_at=answered_at or utcnow(), **fields)
    response.answers = answers
    db.session.add(response)
    db.session.flush()
    overall = {q.id: q for q in version.questions if q.is_overall}
    for answer in answers:
        q = overall.get(answer.question_id)
        threshold = low_score_threshold(q) if q else None
        if threshold is not None and answer.value is not None and answer.value <= threshold:
            db.session.add(ReviewItem(response_id=response.id, ward_id=ward_id,
                                      score=answer.value))
            db.session.flush()
            break
    return response
