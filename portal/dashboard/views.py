"""Dashboards: leadership (aggregates only), quality, ward; and the drill-down behind figures.

Filters live in the query string, so every view is a bookmarkable, printable URL; htmx
requests get the `#dash` fragment only.
"""
from __future__ import annotations

from flask import Blueprint, abort, request
from flask_login import current_user

from portal.auth.permissions import allow
from portal.dashboard import drill_columns, services
from portal.dashboard import metrics as M
from portal.dashboard import views_context as ctx
from portal.extensions import db
from portal.htmx import render
from portal.reports.exports import export_response, wants_export

bp = Blueprint("dashboard", __name__)
bp.add_app_template_global(M.format_value, "metric_value")

DRILL_ROLES = ("leader", "quality", "head_nurse", "nurse")


@bp.route("/dashboard")
@allow("leader", "quality")
def leader():
    filters = services.read_filters(request.args, current_user)
    data = ctx.overview(filters, request.args.get("sort", ""), request.args.get("dir", "desc"))
    return render("dashboard/leader.html", "dashboard/_leader.html", **data)


@bp.route("/dashboard/quality")
@allow("quality")
def quality():
    filters = services.read_filters(request.args, current_user)
    data = ctx.overview(filters, request.args.get("sort", ""), request.args.get("dir", "desc"))
    data.update(ctx.quality_queue(filters))
    return render("dashboard/quality.html", "dashboard/_quality.html", **data)


@bp.route("/dashboard/ward")
@allow("head_nurse", "nurse", "quality")
def ward():
    filters = services.read_filters(request.args, current_user, require_ward=True)
    return render("dashboard/ward.html", "dashboard/_ward.html", **ctx.ward_view(filters))


@bp.route("/dashboard/drill")
@allow(*DRILL_ROLES)
def drill():
    metric = M.by_key(request.args.get("metric", ""))
    part = request.args.get("part", "numerator")
    if metric is None or part not in ("numerator", "denominator"):
        abort(404)
    filters = services.read_filters(request.args, current_user)
    module = M.source_module(metric.source)
    kind = module.drill_kind(metric.key, part)
    if kind is None:
        abort(404)
    start, end = filters.period.clipped()
    data = {"filters": filters, "metric": metric, "part": part, "kind": kind,
            **ctx.filter_choices(filters)}
    options = {"channel": filters.channel, "category": request.args.get("category") or None,
               "dimension": (request.args.get("dimension") or "").strip()[:32] or None}
    if current_user.role == "leader":  # aggregates only: counts by ward and month
        data["counts"] = ctx.count_table(
            module.drill_counts(metric.key, part, start, end, filters.ward_ids, **options))
    else:
        query = ctx.with_loads(
            module.drill_rows(metric.key, part, start, end, filters.ward_ids, **options), kind)
        columns = drill_columns.columns_for(kind)
        if (fmt := wants_export()) and columns:
            return export_response("drill", columns, query, fmt,
                                   f"{metric.label}-{part}", filters=request.args)
        data["exportable"] = bool(columns)
        data["rows"] = db.paginate(query,
                                   page=request.args.get("page", 1, type=int),
                                   per_page=50, error_out=False)
    return render("dashboard/drill.html", "dashboard/_drill.html", **data)
