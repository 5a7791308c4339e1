"""The discharge import page: upload, progress, results, bad rows, "import only the valid rows".

Head nurses import rows of their own wards (other wards' rows are refused with a
reason); quality staff import for every ward. Registered on the follow-ups blueprint.
"""
from __future__ import annotations

import csv
import io
import math

from flask import Response, abort, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select

from portal.auth.permissions import allow
from portal.extensions import db
from portal.followups import import_jobs
from portal.followups.models import ImportBatch
from portal.followups.views import bp
from portal.htmx import hx_redirect, is_htmx, redirect_after_post, render
from portal.privacy import neutralise_formula

IMPORTERS = ("head_nurse", "quality")
PER_PAGE = 50


class UploadForm(FlaskForm):
    file = FileField(_l("Discharge list (CSV or XLSX, at most 20 MB)"), validators=[
        FileRequired(_l("Choose a file to import.")),
        FileAllowed(["csv", "txt", "xlsx"], _l("Only CSV and XLSX files can be imported.")),
    ])


class PageOfIssues:
    """What the pagination macro needs, over the bad-row file."""

    def __init__(self, page: int, total: int, per_page: int = PER_PAGE):
        self.total = total
        self.pages = max(math.ceil(total / per_page), 1)
        self.page = min(max(page, 1), self.pages)
        self.offset = (self.page - 1) * per_page
        self.has_prev, self.has_next = self.page > 1, self.page < self.pages
        self.prev_num, self.next_num = self.page - 1, self.page + 1


def _recent_batches():
    query = select(ImportBatch).order_by(ImportBatch.at.desc(), ImportBatch.id.desc()).limit(10)
    if current_user.role != "quality":
        query = query.where(ImportBatch.user_id == current_user.id)
    return db.session.scalars(query).all()


def _page(form, status=200):
    return render("followups/import.html", "followups/_import_form.html", status=status,
                  form=form, batches=_recent_batches())


@bp.route("/imports", methods=["GET", "POST"])
@allow(*IMPORTERS)
def import_page():
    form = UploadForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate_on_submit():
        return _page(form, 422)
    job = import_jobs.create(form.file.data, current_user)
    db.session.commit()  # end this request's transaction: the import takes the write lock
    import_jobs.start(job)
    return redirect_after_post(url_for("followups.import_job", token=job.token))


def _job_context(job, state):
    result = state.get("result") or {}
    total = result.get("issues_total", 0)
    try:
        number = int(request.args.get("page", 1))
    except ValueError:
        number = 1
    page = PageOfIssues(number, total, PER_PAGE)
    issues = list(import_jobs.read_issues(job, page.offset, PER_PAGE)) if total else []
    percent = _percent(state)
    can_retry = (state["status"] == "done" and not result.get("imported")
                 and result.get("rows_total", 0) > result.get("rejected", 0)
                 and job.upload.exists())
    error = state.get("error")
    error_text = ""
    if error:
        message = error["message"]  # an id kept by the background import, translated here
        error_text = _(message, **error["params"])
    return dict(job=job, state=state, result=result, issues=issues, issue_page=page, percent=percent,
                can_retry=can_retry, error_text=error_text)


def _percent(state) -> int:
    fraction = float(state.get("fraction") or 0)
    # validating is the first half of the work; writing the second
    share = fraction / 2 if state.get("phase") == "validate" else 0.5 + fraction / 2
    return 100 if state["status"] in ("done", "failed") else min(int(share * 100), 99)


@bp.route("/imports/<token>")
@allow(*IMPORTERS)
def import_job(token):
    job, state = import_jobs.get_or_404(token, current_user)
    return render("followups/import_job.html", "followups/_import_status.html",
                  **_job_context(job, state))


@bp.route("/imports/<token>/progress")
@allow(*IMPORTERS)
def import_progress(token):
    """Polled every second by the page while the import runs; the whole page once done."""
    job, state = import_jobs.get_or_404(token, current_user)
    target = url_for("followups.import_job", token=token)
    if not is_htmx():
        return redirect(target, 303)
    if state["status"] not in ("queued", "running"):
        return hx_redirect(target)
    return render("followups/_import_progress.html", **_job_context(job, state))


@bp.route("/imports/<token>/valid-only", methods=["POST"])
@allow(*IMPORTERS)
def import_valid_only(token):
    job, state = import_jobs.get_or_404(token, current_user)
    if not _job_context(job, state)["can_retry"]:
        abort(409, _("This file can no longer be imported; please upload it again."))
    db.session.commit()
    import_jobs.start(job, valid_only=True)
    return redirect_after_post(url_for("followups.import_job", token=token))


KIND_LABELS = {"error": _l("Rejected"), "warning": _l("Warning"), "name": _l("Name differs")}


@bp.route("/imports/<token>/issues.csv")
@allow(*IMPORTERS)
def import_issues_csv(token):
    job, _state = import_jobs.get_or_404(token, current_user)

    def lines():
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow([_("Row"), _("Column"), _("Kind"), _("Problem")])
        for n, issue in enumerate(import_jobs.read_issues(job)):
            writer.writerow([issue.row, neutralise_formula(issue.column),
                             str(KIND_LABELS.get(issue.kind, issue.kind)),
                             neutralise_formula(issue.text())])
            if n % 500 == 0:
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue()

    body = "\ufeff" + "".join(lines())  # BOM: Excel opens UTF-8 CSV with Chinese text correctly
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=import-problems.csv",
        "Cache-Control": "no-store"})
