"""The HTMX template editor: templates listed and created; questions added, edited,
moved and removed. Every change answers with the editor fragment (#survey-editor)."""
from __future__ import annotations

from flask import abort, request, url_for
from flask_babel import gettext as _

from portal.audit import services as audit
from portal.auth.permissions import allow
from portal.extensions import db
from portal.htmx import redirect_after_post, render, toast
from portal.surveys import editor, services
from portal.surveys.forms import (
    AUDIENCE_LABELS,
    KIND_LABELS,
    QuestionForm,
    TemplateForm,
    options_text,
)
from portal.surveys.models import SurveyTemplate
from portal.surveys.views import bp

EDITORS = ("quality", "admin")


@bp.route("/surveys/templates", methods=["GET", "POST"])
@allow(*EDITORS)
def templates():
    form = TemplateForm()
    if form.validate_on_submit():
        code = form.code.data.strip().upper()
        if db.session.scalar(db.select(SurveyTemplate.id).where(SurveyTemplate.code == code)):
            form.code.errors.append(_("This code is already used."))
        else:
            template = editor.create_template(code, form.title_zh.data.strip(),
                                              (form.title_en.data or "").strip(),
                                              form.audience.data)
            audit.record("survey.template_created", template)
            db.session.commit()
            return redirect_after_post(url_for("surveys.template_edit", template_id=template.id))
    status = 422 if form.is_submitted() else 200
    return render("surveys/templates.html", "surveys/_template_form.html", status=status,
                  form=form, templates=services.templates(), audiences=AUDIENCE_LABELS)


def _editor(template, status=200, form=None, editing=None, message=None):
    db.session.refresh(template)
    return render("surveys/editor.html", "surveys/_editor.html", status=status,
                  template=template, version=template.current, form=form or _blank(template),
                  editing=editing, kinds=KIND_LABELS, audiences=AUDIENCE_LABELS,
                  has_answers=editor.has_answers(template.current), message=message)


def _blank(template) -> QuestionForm:
    form = QuestionForm(formdata=None)
    form.revision.data = template.revision
    return form


def _revision() -> int:
    """The revision the editor page showed; a missing one counts as stale (409)."""
    try:
        return int(request.form.get("revision", ""))
    except ValueError:
        return -1


def _stale(template):
    return _editor(template, status=409, message=_(
        "Someone else changed this template meanwhile; this is the current version. "
        "Please make your change again."))


@bp.route("/surveys/templates/<int:template_id>")
@allow(*EDITORS)
def template_edit(template_id):
    template = services.get_template_or_404(template_id)
    edit_id = request.args.get("edit", type=int)
    editing = editor.question_in_current(template, edit_id) if edit_id else None
    form = None
    if editing is not None:
        form = QuestionForm(formdata=None, obj=editing)
        form.options.data = options_text(editing.options or [])
        form.revision.data = template.revision
        if editing.dimension and editing.dimension not in dict(form.dimension.choices):
            form.custom_dimension.data, form.dimension.data = editing.dimension, ""
    return _editor(template, form=form, editing=editing)


def _question_or_404(template, question_id):
    q = editor.question_in_current(template, question_id)
    if q is None:
        abort(404)
    return q


@bp.route("/surveys/templates/<int:template_id>/questions", methods=["POST"])
@allow(*EDITORS)
def question_add(template_id):
    template = services.get_template_or_404(template_id)
    form = QuestionForm()
    if not form.validate():
        return _editor(template, status=422, form=form)
    try:
        editor.add_question(template, _revision(), form.fields_dict())
    except editor.StaleEdit:
        return _stale(template)
    audit.record("survey.template_edited", template, change="add")
    db.session.commit()
    toast(_("Question added."))
    return _after_change(template)


@bp.route("/surveys/templates/<int:template_id>/questions/<int:question_id>", methods=["POST"])
@allow(*EDITORS)
def question_update(template_id, question_id):
    template = services.get_template_or_404(template_id)
    q = _question_or_404(template, question_id)
    form = QuestionForm()
    if not form.validate():
        return _editor(template, status=422, form=form, editing=q)
    try:
        editor.update_question(template, _revision(), q.id, form.fields_dict())
    except editor.StaleEdit:
        return _stale(template)
    audit.record("survey.template_edited", template, change="edit")
    db.session.commit()
    toast(_("Question saved."))
    return _after_change(template)


@bp.route("/surveys/templates/<int:template_id>/questions/<int:question_id>/<action>",
          methods=["POST"])
@allow(*EDITORS)
def question_action(template_id, question_id, action):
    template = services.get_template_or_404(template_id)
    q = _question_or_404(template, question_id)
    if action not in ("up", "down", "remove"):
        abort(404)
    try:
        if action == "remove":
            editor.remove_question(template, _revision(), q.id)
        else:
            editor.move_question(template, _revision(), q.id, -1 if action == "up" else 1)
    except editor.StaleEdit:
        return _stale(template)
    audit.record("survey.template_edited", template, change=action)
    db.session.commit()
    return _after_change(template)


def _after_change(template):
    from portal.htmx import is_htmx

    if is_htmx():
        return _editor(template)
    return redirect_after_post(url_for("surveys.template_edit", template_id=template.id))
