"""The register (and quality queue), intake, notifications and the header badge.
The case page and its changes are in case_views.py (same blueprint)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.permissions import allow
from portal.complaints import notifications, rows, services
from portal.complaints.forms import NewCaseForm
from portal.extensions import db
from portal.htmx import redirect_after_post, render, toast, trigger
from portal.i18n import current_locale_tag
from portal.reports.exports import export_response, wants_export
from portal.templating import endpoint_url
from portal.timeutil import LOCAL_TZ, local_today

bp = Blueprint("complaints", __name__)
CLINICAL = ("nurse", "head_nurse", "quality")
REVIEWERS = ("head_nurse", "quality")  # who may open survey reviews (surveys.review)


def _int(name: str) -> int | None:
    return request.args.get(name, type=int)


def _filters() -> services.Filters:
    a = request.args
    queue = a.get("view") == "queue" or (current_user.role == "quality" and "view" not in a)
    return services.Filters(kind=a.get("kind", ""), state=a.get("state", ""),
                            ward_id=_int("ward"), staff_id=_int("staff"),
                            category_id=_int("category"), repeat=a.get("repeat") == "1",
                            overdue=a.get("overdue") == "1", reference=a.get("ref", ""),
                            queue=queue,
                            action_owner_id=current_user.id if a.get("mine") == "1" else None)


@bp.route("/complaints")
@allow(*CLINICAL)
def register():
    user = current_user._get_current_object()
    today = local_today()
    filters = _filters()
    if fmt := wants_export():
        return export_response("complaints", rows.export_columns(),
                               rows.export_select(services.register_query(user, filters, today)),
                               fmt, _("Complaints & praise"), filters=request.args)
    page = rows.page_of(*services.register_statements(user, filters, today),
                        request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    categories = services.category_labels(current_locale_tag())
    return render("complaints/register.html", "complaints/_register.html", results=page,
                  table=rows.table_html(page.items, today, categories.all), filters=filters,
                  register_url=endpoint_url("complaints.register"),
                  # counts per kind on a ward's or a staff member's record
                  counts=services.kind_counts(user, filters, today)
                  if filters.ward_id or filters.staff_id else None,
                  categories=categories.active, wards=services.ward_choices())


@bp.route("/complaints/new", methods=["GET", "POST"])
@allow(*CLINICAL)
def new():
    user = current_user._get_current_object()
    form = NewCaseForm()
    form.fill_choices(current_locale_tag())
    attempt_id = request.args.get("attempt", type=int) or _hidden_int(form.attempt.data)
    review_id = request.args.get("review", type=int) or _hidden_int(form.review.data)
    kind = request.args.get("kind") or form.kind.data or "complaint"
    if kind not in ("complaint", "praise", "suggestion"):
        abort(404)
    if review_id:  # a low-score survey review (access re-checked on every request)
        prefill = _review_prefill(review_id, user)
        form.kind.data = "complaint"  # a review becomes a complaint, never praise
    else:
        prefill = services.prefill_from_attempt(attempt_id, user, kind) if attempt_id else {}
    if request.method == "GET":
        _apply_prefill(form, prefill, kind, attempt_id, review_id)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            case = services.file_case(_intake(form, prefill), user)
            if review_id:
                _review_filed(review_id, case, user)
            db.session.flush()
            case_id, reference = case.id, case.reference  # no reading after the commit
            db.session.commit()
            toast(_("Filed as %(ref)s.", ref=reference))
            trigger("complaint-changed")
            return redirect_after_post(url_for("complaints.detail", case_id=case_id))
        status = 422
    return render("complaints/new.html", "complaints/_new_form.html", status=status, form=form,
                  patient=prefill.get("patient"), review_id=review_id)


def _hidden_int(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def _review_prefill(review_id: int, user) -> dict:
    """Intake values from a survey review item: 404 for anyone who may not open that review
    (the surveys feature shows reviews to head nurses of its ward and to quality staff), 409
    when it has already become a complaint."""
    from portal.surveys import services as surveys

    if user.role not in REVIEWERS:
        abort(404)
    prefill = surveys.review_prefill(review_id, user)
    if surveys.get_review_or_404(review_id, user).status == "complaint":
        abort(409, _("This survey review has already become a complaint."))
    return {**prefill, "kind": "complaint"}


def _review_filed(review_id: int, case, user) -> None:
    """Same transaction as the filing: the review shows status "complaint" and links the case."""
    from portal.audit.services import record
    from portal.surveys import services as surveys

    db.session.flush()
    item = surveys.review_became_complaint(review_id, case.id, user)
    record("survey.review_marked", item, status=item.status)


def _apply_prefill(form, prefill: dict, kind: str, attempt_id, review_id=None) -> None:
    form.kind.data = kind
    if not prefill:
        form.ward_ids.data = [w.id for w in current_user.wards][:1]
        return
    if review_id:
        form.review.data = str(review_id)
        form.kind.data = "complaint"
    else:
        form.attempt.data = str(attempt_id)
    for name in ("source", "description", "ward_ids", "complainant_name",
                 "complainant_relation"):
        getattr(form, name).data = prefill.get(name, "")
    if not form.ward_ids.data:
        form.ward_ids.data = [w.id for w in current_user.wards][:1]


def _intake(form, prefill: dict) -> services.Intake:
    received = form.received_at.data
    return services.Intake(
        kind=form.kind.data, source=form.source.data, description=form.description.data,
        received_at=received.replace(tzinfo=LOCAL_TZ) if received else None,
        praise_type=form.praise_type.data or "praise", category_id=form.category_id.data or None,
        severity=form.severity.data, ward_ids=form.ward_ids.data or [],
        staff_ids=form.staff_ids.data or [], staff_names=form.staff_names.data or "",
        complainant_name=form.complainant_name.data or "",
        complainant_relation=form.complainant_relation.data or "",
        complainant_phone=form.complainant_phone.data or "",
        patient_id=prefill.get("patient_id"), task_id=prefill.get("task_id"),
        call_attempt_id=prefill.get("call_attempt_id"),
        survey_response_id=prefill.get("survey_response_id"))


@bp.route("/complaints/waiting", endpoint="notifications")
@allow(*CLINICAL)
def notifications_page():
    user = current_user._get_current_object()
    page = rows.page_of(*notifications.waiting_statements(user),
                        request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    table = rows.table_html(page.items, local_today(),
                            services.category_labels(current_locale_tag()).all)
    return render("complaints/notifications.html", "complaints/_notifications.html",
                  results=page, table=table)


@bp.route("/complaints/badge")
@allow(*CLINICAL)
def badge():
    count = notifications.waiting_count(current_user._get_current_object())
    return render("complaints/_badge_count.html", "complaints/_badge_count.html", count=count)


@bp.context_processor
def complaint_labels():
    """Labels for states, kinds, sources ... translated once per language and process
    (rows.labels) rather than once per row or page."""
    labels = rows.labels()
    return {"complaint_labels": labels.groups, "list_ui": labels.ui, "locale_tag": labels.locale,
            "time_left_badge": rows.time_left_badge, "timeline_html": _timeline_html}


def _timeline_html(entries, timed=True):
    from portal.complaints.timeline import entries_html

    return entries_html(entries, timed)


# routes on the same blueprint: the case page and its changes; the categories admin page
from portal.complaints import case_views, category_views  # noqa: E402,F401
