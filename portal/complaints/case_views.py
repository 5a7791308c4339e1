"""One case: its page, field edits, workflow moves, comments, causes, actions, phone reveal.

Every change re-renders the case fragment (#case). A stale form gets 409 with the changes
made since it was loaded; a missing requirement 422 beside the field; a refused move 403/409.
"""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from portal.audit.services import record
from portal.auth.permissions import allow
from portal.calendar.services import calendar_for
from portal.complaints import changes, repeats, services, timeline, workflow
from portal.complaints.forms import (
    ActionForm,
    CauseForm,
    CommentForm,
    EditCaseForm,
    VerifyActionForm,
)
from portal.complaints.views import CLINICAL, bp
from portal.errors import error_response
from portal.extensions import db
from portal.htmx import redirect_after_post, render, toast, trigger
from portal.i18n import current_locale_tag
from portal.timeutil import LOCAL_TZ, local_today, to_local

CASE_WORKERS = ("head_nurse", "quality")


def _user():
    return current_user._get_current_object()


def case_context(case, **extra) -> dict:
    from portal.followups.models import Patient

    dates = [case.next_due_on, case.ack_due_on, case.response_due_on]
    dates += [a.due_on for a in case.actions]
    moves = [workflow.MOVES[m] for m in workflow.allowed_moves(case.kind, case.state,
                                                                _user().role)]
    ctx = {
        "case": case, "events": timeline.timeline(case.id), "earlier": repeats.earlier_cases(case),
        "moves": moves, "cal": calendar_for(dates), "today": local_today(),
        "patient": db.session.get(Patient, case.patient_id) if case.patient_id else None,
        "cause_form": _blank(CauseForm), "action_form": _action_form(case),
        "comment_form": _blank(CommentForm), "verify_form": _blank(VerifyActionForm),
        "fields": fields_html,
        "errors": {}, "stale": None, "revealed": False,
        # the wards to assign to: only loaded when this user may assign now
        "ward_choices": _ward_choices() if any(m.name == "assign" for m in moves) else [],
        "survey_review_id": _survey_review_id(case),
    }
    ctx.update(extra)
    return ctx


def _blank(form_class):
    """A form of the case page with nothing posted: fields_html() may reuse its HTML."""
    form = form_class(formdata=None)
    form.blank = True
    return form


_FIELDS: dict[tuple, Markup] = {}


def fields_html(form, *names: str, hints: dict | None = None) -> Markup:
    """The form-field macro (macros/forms.html) for these fields of `form`, in order.

    A case page shows four forms; rendered by WTForms and the macro they cost more than the
    rest of the page. A blank form's fields (_blank: nothing posted, no errors) are rendered
    once per language and process and reused: what they show depends on the form class,
    the field and the language only (fixed choices, no defaults from the case; the owner
    choices of the action form vary and are never given here). A form that was posted
    (422: its input and errors) is rendered each time.
    """
    key = None
    if getattr(form, "blank", False) and not form.errors:
        key = (type(form), names, tuple(sorted((hints or {}).items())), str(get_locale()))
        if (html := _FIELDS.get(key)) is not None:
            return html
    macro = current_app.jinja_env.get_template("macros/forms.html").module.field
    html = Markup("".join(macro(form[name], hint=(hints or {}).get(name)) for name in names))
    if key is not None:
        _FIELDS[key] = html
    return html


def _action_form(case) -> ActionForm:
    form = _blank(ActionForm)
    if case.kind == "complaint" and case.state not in workflow.CLOSED_STATES:
        form.fill_owners(changes.owner_candidates(case))
    return form


def _survey_review_id(case) -> int | None:
    """The low-score review of the survey response this case came from, if any."""
    if not case.survey_response_id:
        return None
    from portal.surveys.models import ReviewItem

    return db.session.scalar(select(ReviewItem.id)
                             .where(ReviewItem.response_id == case.survey_response_id))


def _ward_choices():
    from portal.wards.models import Ward

    return db.session.scalars(select(Ward).where(Ward.active).order_by(Ward.code)).all()


def _case_response(case, status=200, **extra):
    return render("complaints/detail.html", "complaints/_case.html", status=status,
                  **case_context(case, **extra))


def _changed(case, message: str):
    db.session.commit()
    toast(message)
    trigger("complaint-changed")
    if request.headers.get("HX-Request") == "true":
        db.session.refresh(case)
        return _case_response(case)
    return redirect_after_post(url_for("complaints.detail", case_id=case.id))


def _stale(case, version):
    db.session.rollback()
    case = services.get_complaint_or_404(case.id, _user())
    try:
        since = int(version)
    except (TypeError, ValueError):
        since = 0
    return case, timeline.changes_since(case, since)


@bp.route("/complaints/<int:case_id>")
@allow(*CLINICAL)
def detail(case_id: int):
    return _case_response(services.get_complaint_or_404(case_id, _user()))


@bp.route("/complaints/<int:case_id>/edit", methods=["GET", "POST"])
@allow(*CASE_WORKERS)
def edit(case_id: int):
    user = _user()
    case = services.get_complaint_or_404(case_id, user)
    form = EditCaseForm(obj=case if request.method == "GET" else None)
    form.fill_choices(current_locale_tag(), case)
    if request.method == "GET":
        form.ward_ids.data = [w.id for w in case.wards]
        form.staff_ids.data = [u.id for u in case.staff]
        form.category_id.data = case.category_id or 0
        form.version.data = case.version
        form.received_at.data = to_local(case.received_at).replace(tzinfo=None, second=0,
                                                                    microsecond=0)
    status, stale = 200, None
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                _save_edit(case, user, form)
                return _after_edit(case)
            except changes.Stale:
                case, stale = _stale(case, form.version.data)
                form.version.data = case.version  # saving again now overwrites knowingly
                status = 409
            except changes.Invalid as e:
                for name, message in e.errors.items():
                    getattr(form, name).errors = [message]
                status = 422
        else:
            status = 422
    return render("complaints/edit.html", "complaints/_edit_form.html", status=status,
                  form=form, case=case, stale=stale)


def _save_edit(case, user, form) -> None:
    from portal.auth.models import User
    from portal.wards.models import Ward

    values = {name: (getattr(form, name).data or "") for name in changes.EDITABLE
              if name not in ("category_id", "praise_type", "received_at")}
    values["category_id"] = form.category_id.data or None
    received = form.received_at.data and form.received_at.data.replace(tzinfo=LOCAL_TZ)
    if received and received != to_local(case.received_at).replace(second=0, microsecond=0):
        values["received_at"] = received  # the form shows minutes: unchanged unless edited
    if case.kind == "praise":
        values["praise_type"] = form.praise_type.data or "praise"
    wards = db.session.scalars(select(Ward).where(Ward.id.in_(form.ward_ids.data or []))).all()
    staff = db.session.scalars(select(User).where(User.id.in_(form.staff_ids.data or []))).all()
    changes.edit(case, user, form.version.data, values, wards=list(wards), staff=list(staff))


def _after_edit(case):
    db.session.commit()
    toast(_("Saved."))
    trigger("complaint-changed")
    return redirect_after_post(url_for("complaints.detail", case_id=case.id))


@bp.route("/complaints/<int:case_id>/move/<name>", methods=["POST"])
@allow(*CLINICAL)
def move(case_id: int, name: str):
    from portal.wards.models import Ward

    user = _user()
    case = services.get_complaint_or_404(case_id, user)
    ward_ids = [int(x) for x in request.form.getlist("ward_ids") if x.isdigit()]
    wards = list(db.session.scalars(select(Ward).where(Ward.id.in_(ward_ids)))) if ward_ids else None
    version = request.form.get("version")
    try:
        changes.move(case, user, name, version, wards=wards,
                     response=request.form.get("response", ""), note=request.form.get("note", ""))
    except workflow.MoveRefused as e:
        if e.status == 404:
            return error_response(404)
        return error_response(e.status, e.message)
    except changes.Stale:
        case, since = _stale(case, version)
        return _case_response(case, 409, stale=since)
    except changes.Invalid as e:
        db.session.rollback()
        case = services.get_complaint_or_404(case_id, user)
        return _case_response(case, 422, errors=e.errors, move_name=name,
                              response_text=request.form.get("response", ""))
    return _changed(case, _("%(move)s: done.", move=workflow.MOVES[name].label))


def _invalid(case, form_name: str, form, errors: dict | None = None):
    """422: the case fragment with this form's input and errors kept."""
    for field_name, message in (errors or {}).items():
        getattr(form, field_name).errors = [message]
    return _case_response(case, 422, **{form_name: form})


@bp.route("/complaints/<int:case_id>/comment", methods=["POST"])
@allow(*CLINICAL)
def comment(case_id: int):
    case = services.get_complaint_or_404(case_id, _user())
    form = CommentForm()
    if not form.validate_on_submit():
        return _invalid(case, "comment_form", form)
    changes.comment(case, _user(), form.comment.data)
    return _changed(case, _("Comment added."))


@bp.route("/complaints/<int:case_id>/causes", methods=["POST"])
@allow(*CASE_WORKERS)
def add_cause(case_id: int):
    case = _workable(case_id)
    form = CauseForm()
    if not form.validate_on_submit():
        return _invalid(case, "cause_form", form)
    changes.add_cause(case, _user(), form.category.data, form.narrative.data,
                      form.lesson.data or "")
    return _changed(case, _("Root cause recorded."))


@bp.route("/complaints/<int:case_id>/actions", methods=["POST"])
@allow(*CASE_WORKERS)
def add_action(case_id: int):
    case = _workable(case_id)
    form = ActionForm()
    form.fill_owners(changes.owner_candidates(case))
    if not form.validate_on_submit():
        return _invalid(case, "action_form", form)
    try:
        changes.add_action(case, _user(), form.what.data, form.due_on.data,
                           owner_id=form.owner_id.data or None,
                           owner_name=form.owner_name.data or "")
    except changes.Invalid as e:
        db.session.rollback()
        case = services.get_complaint_or_404(case_id, _user())
        return _invalid(case, "action_form", form, e.errors)
    return _changed(case, _("Corrective action added."))


@bp.route("/complaints/<int:case_id>/actions/<int:action_id>/done", methods=["POST"])
@allow(*CASE_WORKERS)
def action_done(case_id: int, action_id: int):
    case = _workable(case_id)
    try:
        changes.action_done(case, _user(), changes.get_action_or_404(case, action_id))
    except workflow.MoveRefused as e:
        return error_response(e.status, e.message)
    return _changed(case, _("Action marked done."))


@bp.route("/complaints/<int:case_id>/actions/<int:action_id>/verify", methods=["POST"])
@allow("quality")
def verify_action(case_id: int, action_id: int):
    case = services.get_complaint_or_404(case_id, _user())
    action = changes.get_action_or_404(case, action_id)
    form = VerifyActionForm()
    if not form.validate_on_submit():
        return _invalid(case, "verify_form", form)
    try:
        changes.verify_action(case, _user(), action, form.effective.data == "yes",
                              form.verification_note.data or "")
    except changes.Invalid as e:
        return _invalid(case, "verify_form", form, e.errors)
    return _changed(case, _("Action verified."))


def _workable(case_id: int):
    """The case, if this user may work on it (head nurses: their wards' cases only)."""
    case = services.get_complaint_or_404(case_id, _user())
    if case.kind != "complaint" or case.state in workflow.CLOSED_STATES:
        from flask import abort

        abort(409, _("This case takes no root causes or actions in its state."))
    if not changes.may_act_on_ward(case, _user()):
        from flask import abort

        abort(403)
    return case


@bp.route("/complaints/<int:case_id>/phone", methods=["POST"])
@allow(*CLINICAL)
def reveal_phone(case_id: int):
    case = services.get_complaint_or_404(case_id, _user())
    record("complaint.phone_revealed", case)
    db.session.commit()
    return render("complaints/detail.html", "complaints/_phone.html",
                  **case_context(case, revealed=True))
