"""Follow-up views: the worklist, logging a call, the patient timeline, phone reveals."""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, current_app, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.auth.permissions import allow, may
from portal.auth.views import safe_next
from portal.db import commit_keeping_state
from portal.extensions import db
from portal.followups import attempts, services
from portal.followups import worklist as wl
from portal.followups.row_html import RowHtml
from portal.followups.worklist_forms import AttemptForm, form_for_post, labels
from portal.htmx import is_htmx, redirect_after_post, render, toast, trigger
from portal.reports import list_columns
from portal.reports.exports import export_response, wants_export
from portal.surveys import phone as phone_survey
from portal.templating import endpoint_url, url_pattern
from portal.templating import escape_str as _e
from portal.timeutil import local_today

bp = Blueprint("followups", __name__)

WORKERS = ("nurse", "head_nurse", "quality")
PER_PAGE = 25  # a nurse works 20-40 calls a day; a short page keeps the list fast
WORKLIST_CHANGED = "worklist-changed"


@bp.context_processor
def _followup_context():
    names, csrf, today, urls = labels(), generate_csrf(), local_today(), _urls()
    return {"labels": names, "today": today, "csrf": csrf, "age_at": wl.age_at, "urls": urls,
            "html": RowHtml(names, urls, csrf, today, attempts.key_maker()),
            # "File as complaint" / "Record as praise" links, once the complaints feature exists
            "complaints_linked": ("complaints.new" in current_app.view_functions
                                  and may("complaints.new"))}


def _urls() -> SimpleNamespace:
    """The worklist's links: a row's as patterns (templating.url_pattern), the list's and the
    tab counts' as they are; each url_for runs once per application."""
    return SimpleNamespace(attempt=url_pattern("followups.log_attempt", "task_id"),
                           patient=url_pattern("followups.patient", "patient_id"),
                           reveal=url_pattern("followups.reveal_phone", "patient_id"),
                           worklist=endpoint_url("followups.worklist"),
                           counts=endpoint_url("followups.counts"))


def _ward_filter(wards):
    """The ward chosen in the filter (by code) among `wards`, or None for all of them."""
    code = request.args.get("ward", "").strip()
    if not code:
        return None
    for ward in wards:
        if ward.code == code:
            return ward
    abort(404)


def _back_url() -> str:
    return safe_next(request.form.get("next")) or url_for("followups.worklist")


@bp.route("/followups/")
@allow(*WORKERS)
def worklist():
    user = current_user._get_current_object()
    tab = request.args.get("tab", "today")
    if tab not in wl.TABS:
        tab = "today"
    wards = wl.user_wards(user)
    ward = _ward_filter(wards)
    if fmt := wants_export():  # the whole tab under the current filter, phones masked
        stmt, values = wl.worklist_export(user, tab, ward)
        return export_response("worklist", list_columns.WORKLIST, stmt, fmt,
                               list_columns.WORKLIST_TITLE, filters=request.args, params=values)
    tasks, counts = wl.worklist_page(user, tab, ward, request.args.get("page", 1, type=int),
                                     PER_PAGE)
    return render("followups/worklist.html", "followups/_worklist.html", tab=tab, ward=ward,
                  wards=wards, tasks=tasks, counts=counts)


@bp.route("/followups/counts")
@allow(*WORKERS)
def counts():
    """The tab labels with their counts (refreshed on `worklist-changed`)."""
    user = current_user._get_current_object()
    tab = request.args.get("tab", "today")
    ward = _ward_filter(wl.user_wards(user))
    return render("followups/_tabs.html", "followups/_tabs.html", tab=tab, ward=ward,
                  counts=wl.tab_counts(user, ward))


def _task_response(task, form=None, *, status=200, message=None, attempt=None,
                   page="followups/call.html", row=None, **extra):
    """The task's rows as a fragment (htmx) or a full page (call form, conflict). `row`: the
    task's worklist row when it is at hand (else made from the ORM task)."""
    return render(page, "followups/_task.html", status=status, task=task,
                  row=row or wl.task_row(task), form=form, message=message, attempt=attempt,
                  next_url=_back_url(), **extra)


def _conflict(task):
    return _task_response(task, status=409, page="followups/conflict.html", message=_(
        "A colleague logged a call for this patient meanwhile; the row now shows it."))


@bp.route("/followups/tasks/<int:task_id>/attempts", methods=["POST"])
@allow(*WORKERS)
def log_attempt(task_id: int):
    """One outcome from the row, or the call form of a reached call.

    A reached outcome chosen in the row opens the call form (nothing saved yet); every
    other outcome, and the posted call form, records the attempt.
    """
    user = current_user._get_current_object()
    form = form_for_post(request.form)
    if isinstance(form, AttemptForm):
        return _log_call_form(task_id, user, form)
    # a row's outcome button, the call logged most: the task as one locked Core row (the
    # same scope check), and the response's row made from what was written
    state = services.lock_task_state(task_id, user)
    if not form.validate():
        return _task_response(services.get_task_or_404(task_id, user), form, status=422)
    return _record(task_id, user, form, state)


def _log_call_form(task_id: int, user, form):
    # the one lookup of the task, its row locked: recording below needs the committed state
    task = services.get_task_or_404(task_id, user, for_update=True)
    if not form.validate():
        return _task_response(task, form, status=422)
    if form.needs_call_form:
        version = int(form.version.data) if form.version.data else None
        if task.status != "pending" or (version is not None and version != task.version):
            return _conflict(task)
        form.details.data = "1"
        return _task_response(task, form)
    # the rule's satisfaction questions (phone mode) are checked before anything is saved
    survey_errors = (phone_survey.check_phone_answers(task.rule, request.form)
                     if form.is_call_form else {})
    if survey_errors:
        return _task_response(task, form, status=422, survey_errors=survey_errors)
    return _record(task_id, user, form, task)


def _record(task_id: int, user, form, task):
    """Record the validated attempt on `task` (locked: ORM task or TaskState) and answer."""
    version = int(form.version.data) if form.version.data else None
    try:
        result = attempts.record_attempt(task, user, outcome=form.outcome.data,
                                         key=form.key.data, version=version,
                                         details=form.detail_values())
    except attempts.TaskChanged:
        db.session.rollback()
        return _conflict(services.get_task_or_404(task_id, user))
    if form.is_call_form and not result.replayed:  # same transaction as the attempt
        phone_survey.save_phone_answers(result.attempt, request.form)
    # the response shows what was just written: no need to read it all back
    commit_keeping_state(db.session())
    if not result.replayed:
        toast(_("Call logged: %(outcome)s.", outcome=labels().outcomes[form.outcome.data]))
    trigger(WORKLIST_CHANGED)
    if not is_htmx():
        return redirect_after_post(_back_url())
    attempt, row = result.attempt, result.row
    if not (attempt.concerns or attempt.compliments):
        return make_response(_row_fragment(row), 200)
    return _task_response(result.task, row=row, attempt=attempt)


def _row_fragment(row) -> str:
    """followups/_task.html for a task's row alone (no form, message or complaint links),
    written by RowHtml without the template: the fragment of the call logged most. The same
    markup (tests/followups/test_call_logging.py compares the two)."""
    names = labels()
    html = RowHtml(names, _urls(), generate_csrf(), local_today(), attempts.key_maker())
    return (f'<tbody id="task-{int(row.id)}" class="task task-{_e(row.status)}">\n'
            f'{html.row(row, _back_url(), _outcome_buttons(names))}\n</tbody>\n')


def _outcome_buttons(names) -> str:
    """The outcome_buttons macro of followups/_rows.html, once per language (labels())."""
    cached = current_app.extensions.setdefault("followup_outcome_buttons", {})
    if (found := cached.get(id(names))) is None:
        keys = names.outcome_keys
        found = cached[id(names)] = "".join(
            f'<button type="submit" name="outcome" value="{_e(o)}" data-key="{_e(keys[o])}"'
            f' class="outcome outcome-{_e(o)}"><kbd>{_e(keys[o])}</kbd> {_e(label)}</button>\n'
            for o, label in names.outcomes.items())
    return found


@bp.route("/followups/patients/<int:patient_id>/phone", methods=["POST"])
@allow(*WORKERS)
def reveal_phone(patient_id: int):
    patient = services.reveal_phone(patient_id, current_user._get_current_object())
    db.session.commit()
    return render("followups/phone.html", "followups/_phone.html", patient=patient,
                  revealed=True, next_url=_back_url())


@bp.route("/followups/patients/<int:patient_id>")
@allow(*WORKERS)
def patient(patient_id: int):
    user = current_user._get_current_object()
    p = services.get_patient_or_404(patient_id, user)
    return render("followups/patient.html", "followups/_timeline.html", patient=p,
                  timeline=services.patient_timeline(p, user))


from portal.followups import import_views, rules_views, sampling_views  # noqa: E402,F401  (routes on bp)
