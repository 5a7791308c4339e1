"""The audit log search, for administrators and quality staff."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from portal.audit import services
from portal.audit.forms import AuditSearchForm
from portal.auth.permissions import allow
from portal.extensions import db
from portal.htmx import render
from portal.reports import list_columns
from portal.reports.exports import export_response, wants_export

bp = Blueprint("audit", __name__)


@bp.route("/audit")
@allow("admin", "quality")
def search():
    form = AuditSearchForm(request.args)
    if not form.validate():  # errors beside the fields, no results
        return render("audit/search.html", "audit/_results.html", 422, form=form, results=None)
    query = services.search_query(**form.filters())
    if fmt := wants_export():
        return export_response("audit", list_columns.AUDIT, query, fmt, list_columns.AUDIT_TITLE,
                               filters=request.args)
    results = db.paginate(query,
                       page=request.args.get("page", 1, type=int),
                       per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render("audit/search.html", "audit/_results.html", form=form, results=results)
