"""Survey results, low-score reviews and exports (the editor and the channels have their
own modules, registered on this blueprint)."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from portal.audit import services as audit
from portal.auth.permissions import allow
from portal.extensions import db
from portal.htmx import redirect_after_post, render, toast, trigger
from portal.surveys import exports, scoring, services
from portal.surveys.forms import CHANNEL_LABELS, STATUS_LABELS, ReviewForm
from portal.surveys.models import CHANNELS, REVIEW_STATUSES
from portal.timeutil import local_today

bp = Blueprint("surveys", __name__)


@bp.app_context_processor
def _phone_mode():
    """The call form (followups/_call_form.html) includes surveys/_phone_questions.html."""
    from portal.surveys.phone import phone_questions

    return {"survey_phone_questions": phone_questions}


def parse_month(raw: str | None, default: date) -> date:
    try:
        year, month = (int(p) for p in (raw or "").split("-"))
        return date(year, month, 1)
    except (ValueError, TypeError):
        return default


def _filters():
    """Results filters from the query string; 404 for a ward the user may not see."""
    today = local_today().replace(day=1)
    year_ago = date(today.year - 1, today.month, 1)
    all_templates = services.templates()
    if not all_templates:
        abort(404)
    template_id = request.args.get("template", type=int) or all_templates[0].id
    template = next((t for t in all_templates if t.id == template_id), None) or abort(404)
    version_id = request.args.get("version", type=int)
    if version_id and version_id not in [v.id for v in template.versions]:
        abort(404)
    ward_ids = services.ward_scope(current_user)
    ward_id = request.args.get("ward", type=int)
    if ward_id:
        services.check_ward(ward_id, current_user)
        ward_ids = [ward_id]
    channel = request.args.get("channel") or None
    if channel not in (None, *CHANNELS):
        abort(400)
    f = scoring.Filters(template=template, version_id=version_id, ward_ids=ward_ids,
                        channel=channel,
                        period_from=parse_month(request.args.get("from"), year_ago),
                        period_to=parse_month(request.args.get("to"), today))
    return f, all_templates, ward_id


@bp.route("/surveys")
@allow("quality", "head_nurse")
def results():
    f, all_templates, ward_id = _filters()
    result = scoring.results(f, str(get_locale() or "zh"))
    search = request.args.get("q", "").strip()[:100]
    comments = db.paginate(scoring.comments_query(f, search), page=request.args.get(
        "page", 1, type=int), per_page=20, error_out=False)
    if result.hide_below and result.responses < result.hide_below:
        comments = None
    wards = {w.id: w for w in services.visible_wards(current_user)}
    return render("surveys/results.html", "surveys/_results.html", f=f, r=result,
                  templates=all_templates, wards=wards, ward_id=ward_id, comments=comments,
                  search=search, channels=CHANNEL_LABELS)


@bp.route("/surveys/reviews")
@allow("quality", "head_nurse")
def reviews():
    status = request.args.get("status", "open")
    if status not in (*REVIEW_STATUSES, "all"):
        status = "open"
    page = db.paginate(services.reviews_query(current_user, status),
                       page=request.args.get("page", 1, type=int), per_page=30,
                       error_out=False)
    return render("surveys/reviews.html", "surveys/_reviews.html", items=page, tab=status,
                  statuses=STATUS_LABELS, channels=CHANNEL_LABELS,
                  complaints_ready=complaints_ready())


def complaints_ready() -> bool:
    from flask import current_app

    return "complaints.new" in current_app.view_functions


@bp.route("/surveys/reviews/<int:review_id>", methods=["GET", "POST"])
@allow("quality", "head_nurse")
def review(review_id):
    item = services.get_review_or_404(review_id, current_user)
    form = ReviewForm(obj=item if request.method == "GET" else None)
    if form.validate_on_submit():
        services.mark_review(item, form.status.data, form.note.data or "",
                             current_user._get_current_object())
        audit.record("survey.review_marked", item, status=item.status)
        db.session.commit()
        toast(_("The review was updated."))
        trigger("review-changed")
        return redirect_after_post(url_for("surveys.reviews"))
    status = 422 if form.is_submitted() else 200
    return render("surveys/review.html", "surveys/_review_form.html", status=status, item=item,
                  form=form, answers=services.review_answers(item),
                  complaints_ready=complaints_ready(), channels=CHANNEL_LABELS)


@bp.route("/surveys/templates/<int:template_id>/export.<fmt>")
@allow("quality")
def export(template_id, fmt):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    template = services.get_template_or_404(template_id)
    audit.record("survey.export", template, format=fmt)
    db.session.commit()
    return exports.response(template, fmt)


from portal.surveys import views_channels, views_editor  # noqa: E402,F401  (routes on bp)
