"""Editing survey templates: questions added, changed, moved and removed.

A version that has answers is never changed: the first edit after answers copies it into
a new version and applies the change there, so old answers keep (and are scored on) the
questions they were given to. Every edit carries the template's revision number; an edit
made from an older page is refused (StaleEdit -> 409).
"""
from __future__ import annotations

from sqlalchemy import exists, select, update

from portal.db import utcnow
from portal.extensions import db
from portal.surveys.models import Question, Response, SurveyTemplate, SurveyVersion

QUESTION_FIELDS = ("kind", "text_zh", "text_en", "options", "required", "dimension",
                   "is_overall", "is_recommend")


class StaleEdit(Exception):
    """The template changed since the editor page was loaded."""


def has_answers(version: SurveyVersion) -> bool:
    return bool(db.session.scalar(select(exists().where(Response.version_id == version.id))))


def _claim_revision(template: SurveyTemplate, revision: int) -> None:
    """Bump the revision if it is still the one the editor saw (atomic compare-and-set)."""
    result = db.session.execute(
        update(SurveyTemplate)
        .where(SurveyTemplate.id == template.id, SurveyTemplate.revision == revision)
        .values(revision=revision + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.rollback()
        raise StaleEdit()
    db.session.refresh(template)


def editable_version(template: SurveyTemplate) -> tuple[SurveyVersion, dict[int, Question]]:
    """The version edits go to, and a map from the current question ids to its questions."""
    current = template.current
    if not has_answers(current):
        return current, {q.id: q for q in current.questions}
    new = SurveyVersion(template_id=template.id, number=current.number + 1, published_at=utcnow())
    db.session.add(new)
    mapping = {}
    for q in current.questions:
        copy = Question(position=q.position, **{f: getattr(q, f) for f in QUESTION_FIELDS})
        new.questions.append(copy)
        mapping[q.id] = copy
    db.session.flush()
    db.session.refresh(template)
    return new, mapping


def _renumber(version: SurveyVersion) -> None:
    for i, q in enumerate(sorted(version.questions, key=lambda q: q.position), start=1):
        q.position = i


def _single_flags(version: SurveyVersion, chosen: Question) -> None:
    """At most one overall item and one recommend item per version."""
    for q in version.questions:
        if q is chosen:
            continue
        if chosen.is_overall:
            q.is_overall = False
        if chosen.is_recommend:
            q.is_recommend = False


def add_question(template: SurveyTemplate, revision: int, fields: dict) -> Question:
    _claim_revision(template, revision)
    version, _map = editable_version(template)
    q = Question(position=len(version.questions) + 1, **fields)
    version.questions.append(q)
    _single_flags(version, q)
    db.session.flush()
    return q


def update_question(template: SurveyTemplate, revision: int, question_id: int,
                    fields: dict) -> Question:
    _claim_revision(template, revision)
    version, mapping = editable_version(template)
    q = mapping[question_id]
    for key, value in fields.items():
        setattr(q, key, value)
    _single_flags(version, q)
    db.session.flush()
    return q


def move_question(template: SurveyTemplate, revision: int, question_id: int, step: int) -> None:
    _claim_revision(template, revision)
    version, mapping = editable_version(template)
    ordered = sorted(version.questions, key=lambda q: q.position)
    i = ordered.index(mapping[question_id])
    j = max(0, min(len(ordered) - 1, i + step))
    ordered[i], ordered[j] = ordered[j], ordered[i]
    for n, q in enumerate(ordered, start=1):
        q.position = n
    db.session.flush()


def remove_question(template: SurveyTemplate, revision: int, question_id: int) -> None:
    _claim_revision(template, revision)
    version, mapping = editable_version(template)
    q = mapping[question_id]
    version.questions.remove(q)
    db.session.delete(q)
    db.session.flush()
    _renumber(version)
    db.session.flush()


def create_template(code: str, title_zh: str, title_en: str, audience: str) -> SurveyTemplate:
    template = SurveyTemplate(code=code, title_zh=title_zh, title_en=title_en, audience=audience)
    template.versions.append(SurveyVersion(number=1))
    db.session.add(template)
    db.session.flush()
    return template


def question_in_current(template: SurveyTemplate, question_id: int) -> Question | None:
    return next((q for q in template.current.questions if q.id == question_id), None)
